"""Taking a Sigstore bundle: verify it offline, bind its subjects, store it once, record it.

One submission runs in the request's transaction::

    bytes -> sha256 -> may this token write to the service? -> same bytes stored before?
      -> parse (strict) -> the service's policy in force -> verify against the trust roots
      -> subjects: artifacts of this service (created, or joined)
      -> raw bytes + attestation + subjects + receipt -> audit leaf
      -> an SBOM predicate also goes through the SBOM path, marked as signed

Every refusal is an ``AppError`` marked with ``reject``: the request's changes roll
back and the rejection alone (who, the digest of the bytes, the reasons) is
recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.orm import Session

from app.artifacts.binding import ArtifactOfAnotherService, bind_artifact, clip
from app.artifacts.models import ARTIFACT_NAME_MAX, ARTIFACT_VERSION_MAX, Artifact
from app.artifacts.repository import ArtifactRepository
from app.attestations.bundles import (
    BUNDLE_PROBLEMS,
    BundleRejected,
    ParsedBundle,
    Reason,
    parse_bundle,
)
from app.attestations.models import (
    SUBJECT_NAME_MAX,
    Attestation,
    VerificationReceipt,
)
from app.attestations.policy import EmptyPolicy, to_sigstore
from app.attestations.policy_versions import PolicyVersion, current_policy
from app.attestations.repository import AttestationRepository
from app.attestations.schemas import AttestationOut
from app.attestations.trust import TrustRoot
from app.attestations.verification import Verified, verify
from app.audit.events import Change
from app.audit.log import AuditTrail, reject_evidence
from app.auth.credentials import Principal
from app.blobs.repository import BlobRepository
from app.collector import collector_paused
from app.db.base import utcnow
from app.digests import content_digest
from app.errors import AppError, Conflict, InvalidRequest
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.recording import Checked, store_provenance
from app.provenance.releases import release_version
from app.provenance.repository import ProvenanceRepository
from app.provenance.schemas import ProvenanceOut, SourceOut
from app.provenance.slsa import ProvenanceMalformed, provenance_from_verified
from app.sboms.formats import SbomFormat
from app.sboms.ingest import ServiceNotWritable, Upload, store_sbom
from app.sboms.schemas import SbomSignature
from app.scoring.snapshots import refresh_with_delta
from app.services.errors import ServiceNotFound
from app.services.models import Service
from app.services.repository import ServiceRepository

# A statement may name at most this many artifacts; each becomes a row to keep.
MAX_SUBJECTS = 1000
_MEDIA_TYPE_MAX = 255
_REASONS_RECORDED = 10

# SBOM predicates, and the format their JSON is loaded as.
_SBOM_PREDICATES: dict[str, SbomFormat] = {
    "https://cyclonedx.org/bom": SbomFormat.CYCLONEDX_JSON,
    **{f"https://cyclonedx.org/bom/v1.{minor}": SbomFormat.CYCLONEDX_JSON for minor in range(8)},
    "https://spdx.dev/Document": SbomFormat.SPDX_JSON,
    **{f"https://spdx.dev/Document/v2.{minor}": SbomFormat.SPDX_JSON for minor in range(4)},
    "https://spdx.dev/Document/v3.0": SbomFormat.SPDX_JSON,
}


class AttestationOfAnotherPlace(Conflict):
    slug = "attestation-of-another-service"
    title = "These exact bytes are stored for another service or artifact"


class AttestedSbomInvalid(InvalidRequest):
    slug = "attested-sbom-invalid"
    title = "The attestation verified, but its SBOM predicate cannot be ingested"


class AttestedSbomAmbiguous(InvalidRequest):
    slug = "attested-sbom-ambiguous"
    title = "The SBOM attestation names several artifacts"


# What POST /v1/attestations can answer besides authentication and the body limit.
SUBMISSION_PROBLEMS: tuple[type[AppError], ...] = (
    ServiceNotFound,
    ServiceNotWritable,
    *BUNDLE_PROBLEMS,
    ArtifactOfAnotherService,
    AttestationOfAnotherPlace,
    AttestedSbomInvalid,
    AttestedSbomAmbiguous,
    ProvenanceMalformed,
)


# One bundle as the route received it: the same fields as an SBOM upload.
Submission = Upload


@dataclass(frozen=True)
class Stored:
    """What a new submission stored: its subjects (name, digest) and its provenance, if any."""

    subjects: Sequence[tuple[str | None, str]]
    provenance: Checked | None


@dataclass(frozen=True)
class Submitted:
    attestation: AttestationOut
    created: bool  # False: the same bytes were stored before, nothing was added


def rejected_submission(error: AppError, submission: Submission, digest: str | None) -> AppError:
    """``error`` marked for the audit log as a rejected submission."""
    return reject_evidence(
        error,
        kind="attestation",
        digest=digest,
        service=submission.service,
        artifact=submission.artifact,
        reasons_recorded=_REASONS_RECORDED,
    )


def submit_attestation(
    trail: AuditTrail,
    principal: Principal,
    submission: Submission,
    *,
    trust_roots: Sequence[TrustRoot],
) -> Submitted:
    """Verify and store ``submission`` (or find it stored); refusals are audited."""
    digest = content_digest(submission.body)
    try:
        return _submit(trail, principal, submission, digest, trust_roots)
    except AppError as error:
        raise rejected_submission(error, submission, digest) from None


def _submit(
    trail: AuditTrail,
    principal: Principal,
    submission: Submission,
    digest: str,
    trust_roots: Sequence[TrustRoot],
) -> Submitted:
    session = trail.session
    if not principal.may_write_to(submission.service):
        raise ServiceNotWritable(
            f"The token {principal.name!r} may submit evidence only for its own services."
        )
    service = ServiceRepository(session).by_name(submission.service)
    if service is None:
        raise ServiceNotFound(f"No service is named {submission.service!r}.")

    attestations = AttestationRepository(session)
    stored = attestations.by_digest(digest)
    if stored is not None:
        return _repeat(trail, stored, service, submission)

    parsed = parse_bundle(submission.body, submission.content_type)
    policy = current_policy(session, service)
    now = utcnow()
    verified = verify_for_service(
        parsed, service, policy, artifact=submission.artifact, trust_roots=trust_roots, now=now
    )
    subjects = _subjects(verified)
    provenance = provenance_from_verified(verified)
    sbom_format = _SBOM_PREDICATES.get(verified.predicate_type or "")
    sbom_artifact = None if sbom_format is None else _sbom_artifact(subjects, submission.artifact)

    artifacts = ArtifactRepository(session)
    bound: list[tuple[Artifact, str | None]] = []
    for subject_digest, name in sorted(subjects.items()):
        artifact, _ = bind_artifact(artifacts, subject_digest, service.id, name=name)
        bound.append((artifact, name))

    media_type = _media_type(submission, parsed)
    BlobRepository(session).add(digest, submission.body, media_type)
    attestation = attestations.add_new(
        {
            "digest": digest,
            "service_id": service.id,
            "kind": verified.kind.value,
            "bundle_version": parsed.media_type.version,
            "predicate_type": verified.predicate_type,
            "uploaded_by": principal.name,
            "audit_index": -1,
            "created_at": now,
        }
    )
    if attestation is None:
        # The same bytes were stored by a concurrent submission that committed first.
        stored = attestations.by_digest(digest)
        if stored is None:
            raise RuntimeError(f"attestation {digest} is neither new nor stored")
        return _repeat(trail, stored, service, submission)

    stored_subjects = [(clip(name, SUBJECT_NAME_MAX), artifact.digest) for artifact, name in bound]
    attestations.add_subjects(
        attestation.id,
        [
            (artifact.id, name)
            for (artifact, _), (name, _) in zip(bound, stored_subjects, strict=True)
        ],
    )
    receipt = attestations.add_receipt(receipt_row(attestation.id, verified, policy))
    checked = None
    if provenance is not None:
        session.flush()  # the check names the receipt
        checked = store_provenance(
            session,
            attestation_id=attestation.id,
            receipt=receipt,
            record=provenance,
            service_repository=service.repository,
            trust_map=policy.policy.trust_map(),
            release_refs=policy.policy.effective_release_refs,
            now=now,
        )
        _name_releases(checked, bound)
    attestation.audit_index = receipt.audit_index = trail.record(
        Change(
            action="attestation.accepted",
            object_kind="attestation",
            object_id=str(attestation.id),
            document_sha256=digest.removeprefix("sha256:"),
            result={
                "service": service.name,
                "kind": attestation.kind,
                "predicate_type": attestation.predicate_type,
                "subjects": [artifact.digest for artifact, _ in bound][:_REASONS_RECORDED],
                "subject_count": len(bound),
                "signer": {
                    "subject": receipt.signer_subject,
                    "issuer": receipt.signer_issuer,
                },
                "log_index": receipt.log_index,
                "trust_root": receipt.trust_root_digest,
                "policy_version": receipt.policy_version,
                "policy_digest": receipt.policy_digest,
                **({} if checked is None else {"provenance": _provenance_summary(checked)}),
            },
        )
    )
    sbom = None
    if sbom_format is not None and sbom_artifact is not None:
        sbom = _ingest_sbom(
            trail,
            principal,
            service,
            artifact=sbom_artifact,
            sbom_format=sbom_format,
            verified=verified,
            attestation_id=attestation.id,
        )
    session.flush()
    out = attestation_out(
        session,
        attestation,
        service=service.name,
        media_type=media_type,
        receipt=receipt,
        sbom=sbom,
        stored=Stored(stored_subjects, checked),
    )
    delta = refresh_with_delta(session, service, trigger="attestation.accepted", now=now)
    return Submitted(out.model_copy(update={"maturity": delta}), created=True)


def _name_releases(checked: Checked, bound: Sequence[tuple[Artifact, str | None]]) -> None:
    """Subjects of a source-bound build from a tag are that tag's release, unless named."""
    version = release_version(checked.provenance.source_ref)
    if not checked.check.source_bound or version is None:
        return
    for artifact, name in bound:
        if artifact.version is None and (artifact.name or name):
            artifact.name = artifact.name or clip(name, ARTIFACT_NAME_MAX)
            artifact.version = clip(version, ARTIFACT_VERSION_MAX)


def _provenance_summary(checked: Checked) -> dict[str, object]:
    """What the audit leaf says of a provenance: builder, level, source and its binding."""
    provenance, check = checked.provenance, checked.check
    return {
        "builder_id": provenance.builder_id,
        "slsa_level": check.slsa_level,
        "source": {
            "repository": provenance.source_repository,
            "ref": provenance.source_ref,
            "commit": provenance.source_commit,
        },
        "source_bound": check.source_bound,
        "trust_map_digest": check.trust_map_digest,
    }


def verify_for_service(
    parsed: ParsedBundle,
    service: Service,
    policy: PolicyVersion,
    *,
    artifact: str | None,
    trust_roots: Sequence[TrustRoot],
    now: datetime,
) -> Verified:
    """``parsed`` verified against ``trust_roots`` and the policy ``service`` has in force."""
    try:
        identities = to_sigstore(policy.policy)
    except EmptyPolicy:
        raise BundleRejected(
            [
                Reason(
                    "no-allowed-identity",
                    f"the policy of service {service.name!r} (version {policy.version}) allows "
                    "no signer; an admin sets one with PUT /v1/services/{name}/policy",
                )
            ]
        ) from None
    return verify(
        parsed,
        trust_roots=trust_roots,
        policy=identities,
        policy_digest=policy.digest,
        artifact=artifact,
        now=now,
    )


def _subjects(verified: Verified) -> dict[str, str | None]:
    """Digest -> name of each subject, the first name kept for a digest named twice."""
    subjects: dict[str, str | None] = {}
    for subject in verified.subjects:
        subjects.setdefault(subject.digest, subject.name)
    if len(subjects) > MAX_SUBJECTS:
        raise BundleRejected(
            [
                Reason(
                    "too-many-subjects",
                    f"the statement names {len(subjects)} artifacts; attestd keeps at most "
                    f"{MAX_SUBJECTS} per attestation",
                )
            ]
        )
    return subjects


def _sbom_artifact(subjects: dict[str, str | None], artifact: str | None) -> str:
    """The one artifact an SBOM predicate describes: the caller's, or the only subject."""
    if artifact is not None:
        return artifact
    if len(subjects) == 1:
        return next(iter(subjects))
    raise AttestedSbomAmbiguous(
        "An SBOM is kept for one artifact, and this statement names several; "
        "name the one it describes with ?artifact=sha256:…",
        reasons=[f"{len(subjects)} subjects: {', '.join(sorted(subjects)[:3])}, …"],
    )


def _ingest_sbom(
    trail: AuditTrail,
    principal: Principal,
    service: Service,
    *,
    artifact: str,
    sbom_format: SbomFormat,
    verified: Verified,
    attestation_id: int,
) -> tuple[int, str]:
    """The statement's predicate stored as an SBOM, marked as signed: (id, digest)."""
    predicate = (verified.statement or {}).get("predicate")
    content = orjson.dumps(predicate)
    receipt = verified.receipt
    signature = SbomSignature(
        attestation_id=attestation_id,
        verified=receipt.verified,
        subject=receipt.signer_subject,
        issuer=receipt.signer_issuer,
    )
    upload = Upload(service.name, artifact, sbom_format.media_type, content)
    try:
        with collector_paused():
            ingested = store_sbom(
                trail, principal, upload, content_digest(content), signature=signature
            )
    except AppError as error:
        if error.status == Conflict.status:
            raise
        raise AttestedSbomInvalid(
            f"The attestation verified, but its predicate is not an SBOM attestd can keep: "
            f"{error.detail}",
            reasons=[f"{error.slug}: {error.title}", *error.reasons],
        ) from None
    return ingested.sbom.id, ingested.sbom.digest


def _repeat(
    trail: AuditTrail, stored: Attestation, service: Service, submission: Submission
) -> Submitted:
    """The answer to bytes stored before: the same record, if they are for the same place."""
    attestations = AttestationRepository(trail.session)
    subjects = attestations.subjects(stored.id)
    if stored.service_id != service.id or (
        submission.artifact is not None
        and submission.artifact not in {digest for _, digest in subjects}
    ):
        owner = ServiceRepository(trail.session).name_of(stored.service_id)
        raise AttestationOfAnotherPlace(
            "These exact bytes were submitted before for another service or artifact.",
            reasons=[
                f"stored as attestation {stored.id} of service {owner!r}, about "
                + ", ".join(digest for _, digest in subjects[:3])
            ],
        )
    trail.record(
        Change(
            action="attestation.repeated",
            object_kind="attestation",
            object_id=str(stored.id),
            document_sha256=stored.digest.removeprefix("sha256:"),
            result={"service": service.name},
        )
    )
    media_type = BlobRepository(trail.session).media_type(stored.digest)
    receipt = attestations.latest_receipt(stored.id)
    sbom = attestations.sbom_of(stored.id)
    out = attestation_out(
        trail.session,
        stored,
        service=service.name,
        media_type=media_type,
        receipt=receipt,
        sbom=sbom,
    )
    return Submitted(out, created=False)


def receipt_row(
    attestation_id: int, verified: Verified, policy: PolicyVersion
) -> VerificationReceipt:
    receipt = verified.receipt
    return VerificationReceipt(
        attestation_id=attestation_id,
        verified=receipt.verified,
        reasons=[],
        signer_subject=receipt.signer_subject,
        signer_issuer=receipt.signer_issuer,
        claims=dict(receipt.claims),
        log_index=receipt.log_index,
        log_id=receipt.log_id,
        integrated_time=receipt.integrated_time,
        trust_root_source=receipt.trust_root_source,
        trust_root_digest=receipt.trust_root_digest,
        policy_version=policy.version,
        policy_digest=receipt.policy_digest,
        sigstore_version=receipt.sigstore_version,
        verified_at=receipt.verified_at,
        audit_index=-1,
    )


def attestation_out(
    session: Session,
    attestation: Attestation,
    *,
    service: str,
    media_type: str,
    receipt: VerificationReceipt,
    sbom: tuple[int, str] | None,
    stored: Stored | None = None,
) -> AttestationOut:
    """The record of ``attestation``; its subjects and provenance as ``stored`` just now, if so."""
    if stored is None:
        subjects = AttestationRepository(session).subjects(attestation.id)
        found = ProvenanceRepository(session).of_attestation(attestation.id)
    else:
        subjects = stored.subjects
        checked = stored.provenance
        found = None if checked is None else (checked.provenance, checked.check)
    return AttestationOut.model_validate(
        {
            "id": attestation.id,
            "digest": attestation.digest,
            "kind": attestation.kind,
            "bundle_version": attestation.bundle_version,
            "media_type": media_type,
            "predicate_type": attestation.predicate_type,
            "service": service,
            "subjects": [{"name": name, "digest": digest} for name, digest in subjects],
            "receipt": receipt_out(receipt),
            "sbom": None if sbom is None else {"id": sbom[0], "digest": sbom[1]},
            "provenance": provenance_out(found),
            "uploaded_by": attestation.uploaded_by,
            "audit_index": attestation.audit_index,
            "created_at": attestation.created_at,
        }
    )


def provenance_out(found: tuple[Provenance, ProvenanceCheck] | None) -> ProvenanceOut | None:
    """A stored provenance with its check, as the wire shows it."""
    if found is None:
        return None
    provenance, check = found
    source = None
    if provenance.source_repository is not None:
        source = SourceOut(
            repository=provenance.source_repository,
            ref=provenance.source_ref,
            commit=provenance.source_commit,
        )
    return ProvenanceOut(
        attestation_id=provenance.attestation_id,
        predicate_type=provenance.predicate_type,
        builder_id=provenance.builder_id,
        build_type=provenance.build_type,
        invocation_id=provenance.invocation_id,
        started_on=provenance.started_on,
        finished_on=provenance.finished_on,
        source=source,
        slsa_level=check.slsa_level,
        trusted_builder=check.trusted_builder,
        source_bound=check.source_bound,
        reasons=list(check.reasons),
        findings=list(provenance.findings),
        checked_at=check.checked_at,
    )


def receipt_out(receipt: VerificationReceipt) -> dict[str, object]:
    return {
        "id": receipt.id,
        "verified": receipt.verified,
        "reasons": list(receipt.reasons),
        "signer": {
            "subject": receipt.signer_subject,
            "issuer": receipt.signer_issuer,
            "claims": dict(receipt.claims),
        },
        "tlog": {
            "log_index": receipt.log_index,
            "log_id": receipt.log_id,
            "integrated_time": receipt.integrated_time,
        },
        "trust_root": {"source": receipt.trust_root_source, "digest": receipt.trust_root_digest},
        "policy_version": receipt.policy_version,
        "policy_digest": receipt.policy_digest,
        "sigstore_version": receipt.sigstore_version,
        "verified_at": receipt.verified_at,
        "audit_index": receipt.audit_index,
    }


def _media_type(submission: Submission, parsed: ParsedBundle) -> str:
    """The Content-Type as sent, or the bundle's own when it was absent or too long."""
    sent = (submission.content_type or "").strip()
    if sent and len(sent) <= _MEDIA_TYPE_MAX:
        return sent
    return parsed.media_type.value
