"""Storing a Sigstore bundle: verify it offline, bind its subjects, store it once.

The use case (``app.workflows.accept_bundle``) runs these steps in the
request's transaction, for a service the caller may write to::

    same bytes stored before? (``repeat``) -> parse (strict)
      -> verify against the trust roots and the policy in force (``verify_for_service``)
      -> subjects: artifacts of this service (created, or joined)
      -> raw bytes + attestation + subjects + receipt (``store_attestation``)
      -> audit leaf (``accepted``), once what the statement says is stored too

Every refusal is an ``AppError``; the use case records the rejection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sigstore.verify.policy import VerificationPolicy

from app.artifacts.binding import bind_artifact, clip
from app.artifacts.models import Artifact
from app.artifacts.repository import ArtifactRepository
from app.artifacts.uploads import Upload
from app.attestations.bundles import BundleRejected, ParsedBundle, Reason
from app.attestations.models import SUBJECT_NAME_MAX, Attestation, VerificationReceipt
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot
from app.attestations.verification import Receipt, Verified, signer_of, verify
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.blobs.repository import BlobRepository
from app.errors import Conflict
from app.policy.document import PolicyVersion
from app.policy.errors import EmptyPolicy
from app.policy.identities import matched_identity, to_sigstore
from app.services.models import Service
from app.services.repository import ServiceRepository

# A statement may name at most this many artifacts; each becomes a row to keep.
MAX_SUBJECTS = 1000
# An audit leaf lists at most this many subjects.
_SUBJECTS_RECORDED = 10


class AttestationOfAnotherPlace(Conflict):
    slug = "attestation-of-another-service"
    title = "These exact bytes are stored for another service or artifact"


@dataclass(frozen=True)
class StoredAttestation:
    """A new attestation as stored: its row, receipt, media type and subjects."""

    attestation: Attestation
    receipt: VerificationReceipt
    media_type: str
    bound: Sequence[tuple[Artifact, str | None]]  # each subject's artifact, and its name

    @property
    def subjects(self) -> list[tuple[str | None, str]]:
        """(name as stored, digest) of each subject, as ``AttestationRepository.subjects``."""
        return [(clip(name, SUBJECT_NAME_MAX), artifact.digest) for artifact, name in self.bound]


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
    verified = verify(
        parsed,
        trust_roots=trust_roots,
        policy=identity_policy(service, policy, parsed),
        policy_digest=policy.digest,
        artifact=artifact,
        now=now,
        keys=policy.policy.keys or (),
        allow_v01_inclusion_promise=bool(policy.policy.allow_v01_inclusion_promise),
    )
    return with_signer_kind(verified, parsed, policy)


def identity_policy(
    service: Service, policy: PolicyVersion, parsed: ParsedBundle
) -> VerificationPolicy | None:
    """The signers ``policy`` allows, in sigstore's form; a policy allowing none refuses.

    None for a keyed bundle: the policy's keys judge it, never its identities.
    """
    if parsed.certificate is None:
        return None
    try:
        return to_sigstore(policy.policy)
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


def with_signer_kind(verified: Verified, parsed: ParsedBundle, policy: PolicyVersion) -> Verified:
    """``verified`` with the identity that accepted its signer, and the signer's kind.

    A keyed signer matches no identity; its kind is the one its key states.
    """
    receipt = verified.receipt
    if parsed.certificate is None:
        key = policy.policy.trusted_key(receipt.key_fingerprint)
        if key is None:
            raise ValueError("a keyed receipt whose key the policy does not list")
        return replace(verified, receipt=replace(receipt, signer_kind=key.effective_kind))
    identity = matched_identity(policy.policy, parsed.certificate)
    kind = policy.policy.signer_kind(
        identity,
        receipt.signer_subject,
        receipt.signer_issuer,
        receipt.claims,
        uri_subject=signer_of(parsed.certificate).uri_subject,
    )
    return replace(verified, receipt=replace(receipt, identity=identity, signer_kind=kind))


def subjects_of(verified: Verified) -> dict[str, str | None]:
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


def store_attestation(
    trail: AuditTrail,
    service: Service,
    upload: Upload,
    *,
    parsed: ParsedBundle,
    verified: Verified,
    policy: PolicyVersion,
    subjects: Mapping[str, str | None],
    now: datetime,
) -> StoredAttestation | None:
    """The verified bundle stored with its subjects and receipt; None when a concurrent
    submission of the same bytes committed first (``repeat`` then answers)."""
    session = trail.session
    artifacts = ArtifactRepository(session)
    bound: list[tuple[Artifact, str | None]] = []
    for subject_digest, name in sorted(subjects.items()):
        artifact, _ = bind_artifact(artifacts, subject_digest, service.id, name=name, now=now)
        bound.append((artifact, name))

    media_type = upload.media_type(parsed.media_type.value)
    BlobRepository(session).add(upload.digest, upload.body, media_type, now=now)
    attestations = AttestationRepository(session)
    attestation = attestations.add_new(
        {
            "digest": upload.digest,
            "service_id": service.id,
            "kind": verified.kind.value,
            "bundle_version": parsed.media_type.version,
            "predicate_type": verified.predicate_type,
            "uploaded_by": trail.actor.name,
            "audit_index": -1,
            "created_at": now,
        }
    )
    if attestation is None:
        return None
    names = [clip(name, SUBJECT_NAME_MAX) for _, name in bound]
    attestations.add_subjects(
        attestation.id,
        [(artifact.id, name) for (artifact, _), name in zip(bound, names, strict=True)],
    )
    receipt = attestations.add_receipt(receipt_row(attestation.id, verified, policy))
    return StoredAttestation(attestation, receipt, media_type, bound)


def accepted(
    trail: AuditTrail,
    service: Service,
    stored: StoredAttestation,
    *,
    provenance: Mapping[str, Any] | None,
) -> int:
    """Record the accepted attestation (with what its provenance says); its audit index."""
    attestation, receipt = stored.attestation, stored.receipt
    index = trail.record(
        Change(
            action=Action.ATTESTATION_ACCEPTED,
            object_kind="attestation",
            object_id=str(attestation.id),
            document_sha256=attestation.digest.removeprefix("sha256:"),
            result={
                "service": service.name,
                "kind": attestation.kind,
                "predicate_type": attestation.predicate_type,
                "subjects": [artifact.digest for artifact, _ in stored.bound][:_SUBJECTS_RECORDED],
                "subject_count": len(stored.bound),
                "signer": {
                    "subject": receipt.signer_subject,
                    "issuer": receipt.signer_issuer,
                },
                "log_index": receipt.log_index,
                "trust_root": receipt.trust_root_digest,
                "policy_version": receipt.policy_version,
                "policy_digest": receipt.policy_digest,
                **({} if provenance is None else {"provenance": dict(provenance)}),
            },
        )
    )
    attestation.audit_index = receipt.audit_index = index
    return index


def repeat(trail: AuditTrail, stored: Attestation, service: Service, upload: Upload) -> None:
    """Bytes stored before: recorded as a repeat if they are for the same place, else refused."""
    subjects = AttestationRepository(trail.session).subjects(stored.id)
    if stored.service_id != service.id or (
        upload.artifact is not None and upload.artifact not in {digest for _, digest in subjects}
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
            action=Action.ATTESTATION_REPEATED,
            object_kind="attestation",
            object_id=str(stored.id),
            document_sha256=stored.digest.removeprefix("sha256:"),
            result={"service": service.name},
        )
    )


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
        trust_roots_digest=receipt.trust_roots_digest,
        policy_version=policy.version,
        policy_digest=receipt.policy_digest,
        sigstore_version=receipt.sigstore_version,
        verified_at=receipt.verified_at,
        audit_index=-1,
        matched_identity=receipt.identity,
        signer_kind=receipt.signer_kind,
        key_fingerprint=receipt.key_fingerprint,
    )


def receipt_from_row(row: VerificationReceipt) -> Receipt:
    """A stored receipt as the verifier states one."""
    return Receipt(
        verified=row.verified,
        signer_subject=row.signer_subject,
        signer_issuer=row.signer_issuer,
        claims=dict(row.claims),
        log_index=row.log_index,
        log_id=row.log_id,
        integrated_time=row.integrated_time,
        trust_root_source=row.trust_root_source,
        trust_root_digest=row.trust_root_digest,
        trust_roots_digest=row.trust_roots_digest,
        policy_digest=row.policy_digest,
        sigstore_version=row.sigstore_version,
        verified_at=row.verified_at,
        identity=row.matched_identity,
        signer_kind=row.signer_kind,
        key_fingerprint=row.key_fingerprint,
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
            "identity": receipt.matched_identity,
            "kind": receipt.signer_kind,
            "key_fingerprint": receipt.key_fingerprint,
        },
        "tlog": {
            "log_index": receipt.log_index,
            "log_id": receipt.log_id,
            "integrated_time": receipt.integrated_time,
        },
        "trust_root": {"source": receipt.trust_root_source, "digest": receipt.trust_root_digest},
        "trust_roots_digest": receipt.trust_roots_digest,
        "policy_version": receipt.policy_version,
        "policy_digest": receipt.policy_digest,
        "sigstore_version": receipt.sigstore_version,
        "verified_at": receipt.verified_at,
        "audit_index": receipt.audit_index,
    }
