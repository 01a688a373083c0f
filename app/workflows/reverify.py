"""Re-verify an artifact: its stored evidence checked again against today's trust roots and policy.

Every signature and attestation naming the artifact is read back from its
stored bytes and verified as if it had just arrived, against the trust roots
loaded now and the service's policy in force now. Each gets a new receipt,
verified or not, with the reasons; a provenance gets a new check against
today's trust map and release refs. Earlier receipts and checks are never
changed: the record keeps what was concluded, and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app.artifacts.errors import ArtifactNotFound
from app.artifacts.repository import ArtifactRepository
from app.attestations.bundles import (
    BundleMalformed,
    BundleRejected,
    ParsedBundle,
    UnsupportedBundle,
    parse_bundle,
)
from app.attestations.ingest import receipt_out, receipt_row, verify_for_service
from app.attestations.models import Attestation, VerificationReceipt
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot
from app.attestations.verification import SIGSTORE_VERSION, Verified, signer_of
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.blobs.repository import BlobRepository
from app.errors import AppError
from app.policy.document import PolicyVersion
from app.policy.versions import current_policy
from app.provenance.recording import add_check, provenance_out
from app.provenance.repository import ProvenanceRepository
from app.provenance.schemas import ProvenanceOut
from app.provenance.slsa import ProvenanceMalformed, provenance_from_verified
from app.scoring.snapshots import refresh_maturity
from app.services.models import Service
from app.workflows.schemas import ReverifiedOut, ReverifyOut

_UNKNOWN = ""


def reverify_artifact(
    trail: AuditTrail, digest: str, *, trust_roots: Sequence[TrustRoot]
) -> ReverifyOut:
    """New receipts for every piece of evidence naming ``digest``; one audit leaf for all."""
    session = trail.session
    found = ArtifactRepository(session).with_service(digest)
    if found is None:
        raise ArtifactNotFound(f"No artifact has the digest {digest}.")
    artifact, _ = found
    service = session.get_one(Service, artifact.service_id)
    policy = current_policy(session, service)
    attestations = AttestationRepository(session)
    now = trail.clock.now()

    results: list[tuple[Attestation, VerificationReceipt]] = []
    verified_now: list[Verified | None] = []
    for attestation, _ in attestations.for_artifact(artifact.id):
        receipt, verified = _verify_again(
            session, attestation, service, policy, trust_roots, now=now
        )
        attestations.add_receipt(receipt)
        results.append((attestation, receipt))
        verified_now.append(verified)
    session.flush()  # the checks name the receipts

    provenances = [
        _check_again(session, attestation, receipt, verified, service=service, policy=policy)
        for (attestation, receipt), verified in zip(results, verified_now, strict=True)
    ]

    index = trail.record(
        Change(
            action=Action.ARTIFACT_REVERIFIED,
            object_kind="artifact",
            object_id=digest,
            result={
                "service": service.name,
                "policy_version": policy.version,
                "policy_digest": policy.digest,
                "trust_roots": [root.digest for root in trust_roots],
                "evidence": [
                    {"attestation_id": a.id, "receipt_id": r.id, "verified": r.verified}
                    for a, r in results
                ],
            },
        )
    )
    for _, receipt in results:
        receipt.audit_index = index
    session.flush()
    refresh_maturity(session, service, trigger=Action.ARTIFACT_REVERIFIED, now=now)
    return ReverifyOut(
        digest=digest,
        service=service.name,
        audit_index=index,
        reverified_at=now,
        evidence=[
            ReverifiedOut.model_validate(
                {
                    "attestation_id": attestation.id,
                    "kind": attestation.kind,
                    "receipt": receipt_out(receipt),
                    "provenance": provenance,
                }
            )
            for (attestation, receipt), provenance in zip(results, provenances, strict=True)
        ],
    )


def _verify_again(
    session: Session,
    attestation: Attestation,
    service: Service,
    policy: PolicyVersion,
    trust_roots: Sequence[TrustRoot],
    *,
    now: datetime,
) -> tuple[VerificationReceipt, Verified | None]:
    """A new receipt for the stored bundle, and what verified (None when it did not)."""
    stored = BlobRepository(session).content(attestation.digest)
    if stored is None:  # a foreign key keeps the bytes while the attestation exists
        raise ArtifactNotFound(f"Attestation {attestation.id} has no stored bundle.")
    media_type, content = stored
    parsed: ParsedBundle | None = None
    try:
        parsed = parse_bundle(content, media_type)
        verified = verify_for_service(
            parsed, service, policy, artifact=None, trust_roots=trust_roots, now=now
        )
    except (UnsupportedBundle, BundleMalformed, BundleRejected) as error:
        return _refused(attestation, parsed, policy, error, now), None
    return receipt_row(attestation.id, verified, policy), verified


def _refused(
    attestation: Attestation,
    parsed: ParsedBundle | None,
    policy: PolicyVersion,
    error: AppError,
    now: datetime,
) -> VerificationReceipt:
    """The receipt of a bundle that no longer verifies: what it still says, and why."""
    signer = signer_of(parsed.certificate) if parsed is not None else None
    entry = parsed.log_entry if parsed is not None else None
    return VerificationReceipt(
        attestation_id=attestation.id,
        verified=False,
        reasons=list(error.reasons) or [f"{error.slug}: {error.detail}"],
        signer_subject=(signer.subject if signer else None) or _UNKNOWN,
        signer_issuer=(signer.issuer if signer else None) or _UNKNOWN,
        claims=dict(signer.claims) if signer else {},
        log_index=entry.log_index if entry else -1,
        log_id=entry.log_id if entry else _UNKNOWN,
        integrated_time=entry.integrated_time if entry else None,
        trust_root_source=_UNKNOWN,
        trust_root_digest=_UNKNOWN,
        policy_version=policy.version,
        policy_digest=policy.digest,
        sigstore_version=SIGSTORE_VERSION,
        verified_at=now,
        audit_index=-1,
    )


def _check_again(
    session: Session,
    attestation: Attestation,
    receipt: VerificationReceipt,
    verified: Verified | None,
    *,
    service: Service,
    policy: PolicyVersion,
) -> ProvenanceOut | None:
    """The attestation's provenance with a new check, when it has one and still verifies."""
    found = ProvenanceRepository(session).of_attestation(attestation.id)
    if found is None or verified is None:
        return provenance_out(found)
    try:
        record = provenance_from_verified(verified)
    except ProvenanceMalformed:
        record = None
    if record is None:  # read when it arrived; a stricter reader now refuses it
        return provenance_out(found)
    check = add_check(
        session,
        found[0],
        record,
        receipt,
        service_repository=service.repository,
        trust_map=policy.policy.trust_map(),
        release_refs=policy.policy.effective_release_refs,
        now=receipt.verified_at,
    )
    return provenance_out((found[0], check))
