"""Reading artifacts: the record of one digest, and its components."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.artifacts.repository import ArtifactRepository
from app.artifacts.schemas import ArtifactEvidence, ArtifactOut, ArtifactSbom, ArtifactSigner
from app.attestations.ingest import provenance_out, receipt_out
from app.attestations.repository import AttestationRepository
from app.attestations.schemas import ReceiptOut
from app.errors import NotFound
from app.pagination import clamp_limit, decode_position, encode_position
from app.provenance.findings import artifact_findings
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.releases import release_reproducibility
from app.provenance.repository import ProvenanceRepository
from app.provenance.schemas import ProvenanceOut
from app.sboms.models import Component, Sbom
from app.sboms.repository import SbomRepository
from app.sboms.schemas import ComponentOut, ComponentPage, HashOut
from app.services.models import Service


class ArtifactNotFound(NotFound):
    slug = "artifact-not-found"
    title = "No such artifact"


def get_artifact(session: Session, digest: str) -> ArtifactOut:
    found = ArtifactRepository(session).with_service(digest)
    if found is None:
        raise _not_found(digest)
    artifact, service = found
    sboms = SbomRepository(session).for_artifact(artifact.id)
    provenances = ProvenanceRepository(session).for_artifact(artifact.id)
    evidence: dict[str, list[ArtifactEvidence]] = {"signature": [], "attestation": []}
    for attestation, receipt in AttestationRepository(session).for_artifact(artifact.id):
        evidence[attestation.kind].append(
            ArtifactEvidence(
                id=attestation.id,
                digest=attestation.digest,
                predicate_type=attestation.predicate_type,
                verified=receipt.verified,
                signer=ArtifactSigner(subject=receipt.signer_subject, issuer=receipt.signer_issuer),
                log_index=receipt.log_index,
                receipt=ReceiptOut.model_validate(receipt_out(receipt)),
                audit_index=attestation.audit_index,
                created_at=attestation.created_at,
            )
        )
    return ArtifactOut(
        digest=artifact.digest,
        service=service,
        name=artifact.name,
        version=artifact.version,
        created_at=artifact.created_at,
        sboms=[
            ArtifactSbom.model_validate(
                {**_columns(sbom), "signed": sbom.attestation_id is not None}
            )
            for sbom in sboms
        ],
        signatures=evidence["signature"],
        attestations=evidence["attestation"],
        provenance=_best_provenance(provenances),
        consistency=artifact_findings(session, artifact, sboms, provenances),
        reproducibility=release_reproducibility(
            session,
            session.get_one(Service, artifact.service_id),
            artifact.name,
            artifact.version,
        ),
    )


def _best_provenance(
    found: Sequence[tuple[Provenance, ProvenanceCheck]],
) -> ProvenanceOut | None:
    """Bound to the service's source first, then the higher level, then the newer."""
    if not found:
        return None
    best = max(found, key=lambda pair: (pair[1].source_bound, pair[1].slsa_level, pair[0].id))
    return provenance_out(best)


def _columns(sbom: Sbom) -> dict[str, object]:
    return {
        "id": sbom.id,
        "digest": sbom.digest,
        "format": sbom.format,
        "spec_version": sbom.spec_version,
        "component_count": sbom.component_count,
        "vulnerabilities": {
            "count": sbom.vulnerability_count,
            "unanalyzed": sbom.unanalyzed_vulnerability_count,
        },
        "quality": sbom.quality,
        "audit_index": sbom.audit_index,
        "created_at": sbom.created_at,
    }


def artifact_components(
    session: Session, digest: str, *, cursor: str | None, limit: int | None
) -> ComponentPage:
    """One page of the components of every SBOM of the artifact, in upload order."""
    size = clamp_limit(limit)
    position = decode_position(cursor, (int,))
    artifact = _require(session, digest)
    rows = SbomRepository(session).artifact_components(
        artifact.id, after=None if position is None else int(position[0]), limit=size + 1
    )
    items = [_component_out(row) for row in rows[:size]]
    following = encode_position(items[-1].id) if len(rows) > size else None
    return ComponentPage(items=items, next=following)


def _component_out(row: Component) -> ComponentOut:
    return ComponentOut(
        id=row.id,
        sbom_id=row.sbom_id,
        ref=row.ref,
        name=row.name,
        version=row.version,
        type=row.type,
        purl=row.purl,
        purl_valid=row.purl_valid,
        cpe=row.cpe,
        supplier=row.supplier,
        licenses=list(row.licenses),
        hashes=[HashOut(algorithm=algorithm, value=value) for algorithm, value in row.hashes],
    )


def _require(session: Session, digest: str) -> Artifact:
    artifact = ArtifactRepository(session).by_digest(digest)
    if artifact is None:
        raise _not_found(digest)
    return artifact


def _not_found(digest: str) -> ArtifactNotFound:
    return ArtifactNotFound(f"No artifact has the digest {digest}.")
