"""Storing an SBOM upload: load it, find its artifact, store it once, record it.

``store_sbom`` runs in the request's transaction, for a service the caller may
write to (``app.workflows.intake``)::

    same bytes stored before? -> load (format, hardened parse, official schema)
      -> extract -> quality, minimum elements -> artifact (created, or bound to this
      service already) -> raw bytes + SBOM row + components + edges + vulnerabilities
      (bulk) -> audit leaf

The record answered shows the SBOM's profiles judged with the component share of
the service's policy in force (``app.sboms.profiles``).

Every refusal is an ``AppError``; the use case that called it records the
rejection (``app.workflows.accept_sbom``, ``app.workflows.accept_bundle``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.artifacts.binding import bind_artifact
from app.artifacts.errors import ArtifactOfAnotherService
from app.artifacts.repository import ArtifactRepository
from app.artifacts.uploads import Upload
from app.attestations.repository import AttestationRepository
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.blobs.repository import BlobRepository
from app.errors import AppError, Conflict, InvalidRequest
from app.policy.versions import current_policy
from app.sboms.contents import SbomContents
from app.sboms.extraction import extract
from app.sboms.loading import load_sbom
from app.sboms.models import Sbom
from app.sboms.profiles import Measures, judge_all, measure
from app.sboms.quality import score
from app.sboms.repository import SbomRepository
from app.sboms.schemas import SbomProfileOut, SbomRecord, SbomSignature
from app.services.models import Service

# A purl longer than this (UTF-8 bytes) is kept but not searchable: PostgreSQL
# refuses B-tree entries over ~2.7 kB, and the search index holds a purl twice.
MAX_SEARCHABLE_PURL_BYTES = 1000


class SbomWithoutArtifact(InvalidRequest):
    slug = "sbom-without-artifact"
    title = "No artifact for this SBOM"


class SbomSubjectAmbiguous(InvalidRequest):
    slug = "sbom-subject-ambiguous"
    title = "The SBOM's subject has several digests"


class SbomOfAnotherArtifact(Conflict):
    slug = "sbom-of-another-artifact"
    title = "These exact bytes are stored for another artifact"


# What storing an SBOM can answer besides the loading problems.
STORE_PROBLEMS: tuple[type[AppError], ...] = (
    SbomWithoutArtifact,
    SbomSubjectAmbiguous,
    ArtifactOfAnotherService,
    SbomOfAnotherArtifact,
)


@dataclass(frozen=True)
class Stored:
    sbom: SbomRecord
    created: bool  # False: the same bytes were stored before, nothing was added


def store_sbom(
    trail: AuditTrail,
    service: Service,
    upload: Upload,
    *,
    signature: SbomSignature | None = None,
) -> Stored:
    """Store ``upload`` for ``service`` or find it stored; refusals raise.

    ``signature`` names the verified attestation whose predicate the SBOM is: the
    stored SBOM is marked as signed by it, also when these bytes were stored before.
    """
    session = trail.session
    digest = upload.digest
    sboms = SbomRepository(session)
    stored = sboms.by_digest(digest)
    if stored is not None:
        return _repeat(trail, service, stored, upload, signature)

    loaded = load_sbom(upload.content_type, upload.body)
    contents = extract(loaded)
    quality = score(contents)
    measures = measure(contents, sbom_format=loaded.format, spec_version=loaded.spec_version)
    sbom_format, spec_version = loaded.format, loaded.spec_version
    del loaded  # the parsed document is several times the size of the bytes
    artifact_digest = upload.artifact or _subject_digest(contents)

    now = trail.clock.now()
    artifact, artifact_created = bind_artifact(
        ArtifactRepository(session),
        artifact_digest,
        service.id,
        name=contents.subject_name,
        version=contents.subject_version,
        now=now,
    )

    try:
        with session.begin_nested():
            media_type = upload.media_type(sbom_format.media_type)
            BlobRepository(session).add(digest, upload.body, media_type, now=now)
            sbom = sboms.add(
                Sbom(
                    digest=digest,
                    artifact_id=artifact.id,
                    format=sbom_format.value,
                    spec_version=spec_version,
                    component_count=len(contents.components),
                    dependency_count=len(contents.dependencies),
                    invalid_purl_count=sum(1 for c in contents.components if not c.purl_valid),
                    vulnerability_count=len(contents.vulnerabilities),
                    unanalyzed_vulnerability_count=contents.unanalyzed_vulnerability_count,
                    open_vulnerabilities=contents.open_vulnerabilities,
                    quality_score=quality.score,
                    quality=dict(quality.to_json()),
                    minimum_elements=measures.to_json(),
                    subject_name=contents.subject_name,
                    subject_version=contents.subject_version,
                    subject_digests=list(contents.subject_digests),
                    uploaded_by=trail.actor.name,
                    attestation_id=None if signature is None else signature.attestation_id,
                    audit_index=-1,
                    created_at=now,
                )
            )
    except IntegrityError:
        # The same bytes were stored by a concurrent upload that committed first.
        stored = sboms.by_digest(digest)
        if stored is None:
            raise
        return _repeat(trail, service, stored, upload, signature)

    sboms.add_components(component_rows(contents, sbom_id=sbom.id, artifact_id=artifact.id))
    sboms.add_dependencies((sbom.id, ref, target) for ref, target in contents.dependencies)
    sboms.add_vulnerabilities(vulnerability_rows(contents, sbom_id=sbom.id))
    sbom.audit_index = trail.record(
        Change(
            action=Action.SBOM_ACCEPTED,
            object_kind="sbom",
            object_id=str(sbom.id),
            document_sha256=digest.removeprefix("sha256:"),
            result={
                "service": service.name,
                "artifact": artifact.digest,
                "artifact_created": artifact_created,
                "format": sbom.format,
                "spec_version": sbom.spec_version,
                "component_count": sbom.component_count,
                "quality_score": sbom.quality_score,
                **({} if signature is None else {"attestation_id": signature.attestation_id}),
            },
        )
    )
    session.flush()
    out = sbom_out(
        sbom,
        service=service.name,
        artifact_digest=artifact.digest,
        media_type=media_type,
        component_share=component_share(session, service),
        signature=signature,
    )
    return Stored(out, created=True)


def _repeat(
    trail: AuditTrail,
    service: Service,
    stored: Sbom,
    upload: Upload,
    signature: SbomSignature | None,
) -> Stored:
    """The answer to bytes stored before: the same record, if they are for the same place.

    A signature arriving for an SBOM stored unsigned marks it signed; one that was
    signed before keeps its first signature.
    """
    found, owner = ArtifactRepository(trail.session).with_service_by_id(stored.artifact_id)
    if owner != upload.service or (upload.artifact is not None and upload.artifact != found.digest):
        raise SbomOfAnotherArtifact(
            "These exact bytes were uploaded before for another artifact or service.",
            reasons=[f"stored as SBOM {stored.id} of {found.digest} in service {owner!r}"],
        )
    newly_signed = signature is not None and stored.attestation_id is None
    if signature is not None and newly_signed:
        stored.attestation_id = signature.attestation_id
    trail.record(
        Change(
            action=Action.SBOM_REPEATED,
            object_kind="sbom",
            object_id=str(stored.id),
            document_sha256=stored.digest.removeprefix("sha256:"),
            result={
                "service": owner,
                "artifact": found.digest,
                **({"signed_by_attestation": stored.attestation_id} if newly_signed else {}),
            },
        )
    )
    media_type = BlobRepository(trail.session).media_type(stored.digest)
    if stored.attestation_id is not None and (
        signature is None or signature.attestation_id != stored.attestation_id
    ):
        signature = sbom_signature(trail.session, stored.attestation_id)
    out = sbom_out(
        stored,
        service=owner,
        artifact_digest=found.digest,
        media_type=media_type,
        component_share=component_share(trail.session, service),
        signature=signature,
    )
    return Stored(out, created=False)


def _subject_digest(contents: SbomContents) -> str:
    """The one digest the SBOM's subject declares (sha256 preferred over sha512)."""
    for algorithm in ("sha256:", "sha512:"):
        found = [d for d in contents.subject_digests if d.startswith(algorithm)]
        if len(found) > 1:
            raise SbomSubjectAmbiguous(
                "The SBOM's subject lists several digests of one algorithm; "
                "name the artifact with ?artifact=sha256:…",
                reasons=[f"subject digests: {', '.join(found[:5])}"],
            )
        if found:
            return found[0]
    raise SbomWithoutArtifact(
        "Name the artifact this SBOM describes with ?artifact=sha256:…, "
        "or put its digest in the SBOM's subject.",
        reasons=[
            "no artifact parameter, and the SBOM's subject has no SHA-256 or SHA-512 digest "
            "(CycloneDX: metadata.component.hashes; SPDX: the described package's checksums)"
        ],
    )


def component_rows(
    contents: SbomContents, *, sbom_id: int, artifact_id: int
) -> Iterator[tuple[Any, ...]]:
    """The components as rows in ``app.sboms.repository.COMPONENT_COLUMNS`` order.

    A generator: the bulk insert takes the rows one by one, so they never all exist
    at once.
    """
    dumps = orjson.dumps
    for c in contents.components:
        searchable = (
            c.purl_key is not None
            and c.purl is not None
            and len(c.purl.encode()) <= MAX_SEARCHABLE_PURL_BYTES
        )
        yield (
            sbom_id,
            artifact_id,
            c.ref,
            c.name,
            c.version,
            c.type,
            c.purl,
            c.purl_valid,
            c.purl_key if searchable else None,
            (c.purl_version or "") if searchable else None,
            c.cpe,
            c.supplier,
            dumps(c.licenses).decode(),
            dumps(c.hashes).decode(),
        )


def vulnerability_rows(contents: SbomContents, *, sbom_id: int) -> Iterator[tuple[Any, ...]]:
    """The vulnerabilities as rows in ``app.sboms.repository.VULNERABILITY_COLUMNS`` order."""
    for v in contents.vulnerabilities:
        affects = orjson.dumps(v.affects).decode()
        yield sbom_id, v.id, v.severity.value, v.analysis_state, v.justification, affects


def sbom_signature(session: Session, attestation_id: int) -> SbomSignature:
    """Who signed the SBOM that attestation ``attestation_id`` carries, per its latest receipt."""
    receipt = AttestationRepository(session).latest_receipt(attestation_id)
    return SbomSignature(
        attestation_id=attestation_id,
        verified=receipt.verified,
        subject=receipt.signer_subject,
        issuer=receipt.signer_issuer,
    )


def component_share(session: Session, service: Service) -> float:
    """The share of components the service's policy in force asks a profile's elements of."""
    return current_policy(session, service).policy.maturity().sbom_component_share


def sbom_out(
    sbom: Sbom,
    *,
    service: str,
    artifact_digest: str,
    media_type: str,
    component_share: float,
    signature: SbomSignature | None = None,
) -> SbomRecord:
    return SbomRecord.model_validate(
        {
            "id": sbom.id,
            "digest": sbom.digest,
            "format": sbom.format,
            "spec_version": sbom.spec_version,
            "media_type": media_type,
            "service": service,
            "artifact": {"digest": artifact_digest},
            "component_count": sbom.component_count,
            "dependency_count": sbom.dependency_count,
            "invalid_purl_count": sbom.invalid_purl_count,
            "vulnerabilities": vulnerability_counts(sbom),
            "quality": sbom.quality,
            "profiles": sbom_profiles(sbom, component_share),
            "subject": {
                "name": sbom.subject_name,
                "version": sbom.subject_version,
                "digests": sbom.subject_digests,
            },
            "uploaded_by": sbom.uploaded_by,
            "signature": signature,
            "audit_index": sbom.audit_index,
            "created_at": sbom.created_at,
        }
    )


def vulnerability_counts(sbom: Sbom) -> dict[str, Any]:
    """The ``SbomVulnerabilities`` of a stored SBOM: what it lists and leaves open itself."""
    by_severity = sbom.open_vulnerabilities
    return {
        "count": sbom.vulnerability_count,
        "unanalyzed": sbom.unanalyzed_vulnerability_count,
        "open": None if by_severity is None else sum(by_severity.values()),
        "open_by_severity": by_severity,
    }


def sbom_profiles(sbom: Sbom, component_share: float) -> list[SbomProfileOut]:
    """Every profile judged on the SBOM's stored minimum elements."""
    measures = Measures.from_json(sbom.minimum_elements)
    return [SbomProfileOut.model_validate(r) for r in judge_all(measures, component_share)]
