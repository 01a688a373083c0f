"""The record of one artifact: where it came from, what is in it, who signed it.

It joins every evidence domain: the SBOMs, the signatures and attestations with
their latest receipts, the best provenance, the consistency findings between
them, and whether the artifact's release is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.artifacts.errors import ArtifactNotFound
from app.artifacts.repository import ArtifactRepository
from app.attestations.ingest import receipt_out
from app.attestations.repository import AttestationRepository
from app.attestations.schemas import ReceiptOut
from app.provenance.findings import artifact_findings
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.recording import provenance_out
from app.provenance.releases import release_reproducibility
from app.provenance.repository import ProvenanceRepository
from app.provenance.schemas import ProvenanceOut
from app.sboms.ingest import component_share, sbom_profiles, vulnerability_counts
from app.sboms.models import Sbom
from app.sboms.repository import SbomRepository
from app.services.models import Service
from app.workflows.schemas import ArtifactEvidence, ArtifactOut, ArtifactSbom, ArtifactSigner


def get_artifact(session: Session, digest: str) -> ArtifactOut:
    found = ArtifactRepository(session).with_service(digest)
    if found is None:
        raise ArtifactNotFound(f"No artifact has the digest {digest}.")
    artifact, service = found
    owner = session.get_one(Service, artifact.service_id)
    share = component_share(session, owner)
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
                {
                    **_columns(sbom),
                    "profiles": sbom_profiles(sbom, share),
                    "signed": sbom.attestation_id is not None,
                }
            )
            for sbom in sboms
        ],
        signatures=evidence["signature"],
        attestations=evidence["attestation"],
        provenance=_best_provenance(provenances),
        consistency=artifact_findings(session, artifact, sboms, provenances),
        reproducibility=release_reproducibility(
            session,
            owner,
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
        "vulnerabilities": vulnerability_counts(sbom),
        "quality": sbom.quality,
        "audit_index": sbom.audit_index,
        "created_at": sbom.created_at,
    }
