"""Evidence counts only as judged under the policy and trust roots in force.

A receipt (and the provenance check made with it) records the policy version and
the set of trust roots it was made under. Before the gate or a maturity
computation judges evidence, every bundle among what it reads whose latest
receipt was made under another policy or other roots is checked again from its
stored bytes (``bring_up_to_date``):

* other trust roots, or a receipt that did not verify: the whole verification
  again, cryptography included;
* the same roots, another policy: what the policy decides only (the signer's
  identity, the statement), the cryptography standing as verified
  (``app.attestations.verification.verify_policy_again``);
* a provenance: a new check against the policy's trust map and release refs, and
  when today's reader refuses the document, a check that counts for nothing.

The new receipts are stored and judged; one audit leaf records the batch. A
receipt whose (policy, roots) match those in force is the cache: judging the
same evidence again verifies nothing. ``refresh`` is how every use case
recomputes a service's maturity: first this, then the snapshot.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from app.artifacts.errors import ArtifactNotFound
from app.attestations.bundles import (
    BundleMalformed,
    BundleRejected,
    ParsedBundle,
    UnsupportedBundle,
    parse_bundle,
)
from app.attestations.ingest import (
    identity_policy,
    receipt_from_row,
    receipt_row,
    verify_for_service,
    with_signer_kind,
)
from app.attestations.models import Attestation, VerificationReceipt
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot, roots_digest
from app.attestations.verification import (
    SIGSTORE_VERSION,
    Verified,
    signer_of,
    verify_policy_again,
)
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.blobs.repository import BlobRepository
from app.errors import AppError
from app.policy.versions import current_policy
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.recording import add_check, add_refusal, provenance_out
from app.provenance.repository import ProvenanceRepository
from app.provenance.schemas import ProvenanceOut
from app.provenance.slsa import ProvenanceMalformed, provenance_from_verified
from app.scoring.gathering import InForce, Judged, judged_artifacts
from app.scoring.models import MaturitySnapshot
from app.scoring.repository import MaturityRepository
from app.scoring.schemas import MaturityDelta
from app.scoring.snapshots import Trigger, refresh_maturity, refresh_with_delta
from app.services.models import Service

_UNKNOWN = ""
# An audit leaf of a re-check lists at most this many pieces of evidence (and counts all).
_EVIDENCE_RECORDED: Final = 100


@dataclass(frozen=True)
class Rechecked:
    """One piece of evidence checked again: its receipt and provenance before, and now."""

    attestation: Attestation
    before: VerificationReceipt
    receipt: VerificationReceipt
    provenance_before: ProvenanceOut | None
    provenance: ProvenanceOut | None

    @property
    def changed(self) -> bool:
        """Whether the verdict moved: verified or not, the provenance's level or binding."""
        if self.before.verified != self.receipt.verified:
            return True
        before, now = self.provenance_before, self.provenance
        if before is None or now is None:
            return before is not now
        return (before.slsa_level, before.source_bound) != (now.slsa_level, now.source_bound)


def in_force(session: Session, service: Service, trust_roots: Sequence[TrustRoot]) -> InForce:
    """What ``service``'s evidence is judged under now."""
    return InForce(current_policy(session, service), roots_digest(trust_roots))


def check_again(
    trail: AuditTrail,
    service: Service,
    judged_under: InForce,
    trust_roots: Sequence[TrustRoot],
    found: Sequence[tuple[Attestation, VerificationReceipt]],
    *,
    cryptography: bool,
) -> list[Rechecked]:
    """New receipts (and provenance checks) for ``found`` (attestation, latest receipt) pairs.

    ``cryptography=False`` skips the cryptography of a bundle whose latest receipt
    verified it under the roots still loaded. The caller records the audit leaf and
    stamps the receipts with it (``record``).
    """
    session = trail.session
    now = trail.clock.now()
    repository = AttestationRepository(session)
    made = []
    for attestation, before in found:
        receipt, verified = _receipt_again(
            session,
            attestation,
            before,
            service=service,
            judged_under=judged_under,
            trust_roots=trust_roots,
            now=now,
            cryptography=cryptography,
        )
        repository.add_receipt(receipt)
        made.append((attestation, before, receipt, verified))
    session.flush()  # the checks name the receipts
    provenances = ProvenanceRepository(session)
    rechecked = []
    for attestation, before, receipt, verified in made:
        provenance = provenances.of_attestation(attestation.id)
        rechecked.append(
            Rechecked(
                attestation,
                before,
                receipt,
                provenance_out(provenance),
                _provenance_again(
                    session,
                    provenance,
                    receipt,
                    verified,
                    service=service,
                    judged_under=judged_under,
                ),
            )
        )
    return rechecked


def record(
    trail: AuditTrail,
    rechecked: Sequence[Rechecked],
    *,
    action: Action,
    object_kind: str,
    object_id: str,
    judged_under: InForce,
    result: Mapping[str, object],
) -> int:
    """One audit leaf for a batch of evidence checked again, named on each new receipt."""
    index = trail.record(
        Change(
            action=action,
            object_kind=object_kind,
            object_id=object_id,
            result={
                "policy_version": judged_under.policy.version,
                "policy_digest": judged_under.policy.digest,
                "trust_roots_digest": judged_under.trust_roots_digest,
                **result,
            },
        )
    )
    for item in rechecked:
        item.receipt.audit_index = index
    return index


def evidence_summary(rechecked: Sequence[Rechecked]) -> list[dict[str, object]]:
    """What an audit leaf says of each piece of evidence checked again (the first 100)."""
    return [
        {
            "attestation_id": item.attestation.id,
            "receipt_id": item.receipt.id,
            "verified": item.receipt.verified,
            "was_verified": item.before.verified,
        }
        for item in rechecked[:_EVIDENCE_RECORDED]
    ]


def bring_up_to_date(
    trail: AuditTrail,
    service: Service,
    judged_under: InForce,
    trust_roots: Sequence[TrustRoot],
    artifact_ids: Collection[int],
) -> list[Rechecked]:
    """Check again every bundle naming these artifacts that was judged under other rules."""
    session = trail.session
    repository = AttestationRepository(session)
    under = (judged_under.policy.digest, judged_under.trust_roots_digest)
    if not repository.judged_otherwise(artifact_ids, *under):
        return []
    # One re-check of a service at a time: a concurrent one waits, then finds it done.
    MaturityRepository(session).lock_service(service.id)
    found = repository.judged_otherwise(artifact_ids, *under)
    rechecked = check_again(trail, service, judged_under, trust_roots, found, cryptography=False)
    if rechecked:
        record(
            trail,
            rechecked,
            action=Action.EVIDENCE_RECHECKED,
            object_kind="service",
            object_id=service.name,
            judged_under=judged_under,
            result={"count": len(rechecked), "evidence": evidence_summary(rechecked)},
        )
    return rechecked


def refresh(
    trail: AuditTrail,
    service: Service,
    *,
    trigger: Trigger,
    trust_roots: Sequence[TrustRoot],
    now: datetime | None = None,
) -> MaturitySnapshot:
    """The service's maturity recomputed, its evidence first brought up to date."""
    judged_under, judged, moment = _up_to_date(trail, service, trust_roots, now)
    return refresh_maturity(
        trail.session, service, trigger=trigger, now=moment, in_force=judged_under, judged=judged
    )


def refresh_with_change(
    trail: AuditTrail,
    service: Service,
    *,
    trigger: Trigger,
    trust_roots: Sequence[TrustRoot],
    now: datetime | None = None,
) -> MaturityDelta:
    """``refresh``, answered with the change from the previous snapshot."""
    judged_under, judged, moment = _up_to_date(trail, service, trust_roots, now)
    return refresh_with_delta(
        trail.session, service, trigger=trigger, now=moment, in_force=judged_under, judged=judged
    )


def _up_to_date(
    trail: AuditTrail, service: Service, trust_roots: Sequence[TrustRoot], now: datetime | None
) -> tuple[InForce, Judged, datetime]:
    moment = now if now is not None else trail.clock.now()
    judged_under = in_force(trail.session, service, trust_roots)
    judged = judged_artifacts(trail.session, service, judged_under.policy, moment)
    bring_up_to_date(trail, service, judged_under, trust_roots, judged.artifacts)
    return judged_under, judged, moment


# --- one piece of evidence -----------------------------------------------------------------


def _receipt_again(
    session: Session,
    attestation: Attestation,
    before: VerificationReceipt,
    *,
    service: Service,
    judged_under: InForce,
    trust_roots: Sequence[TrustRoot],
    now: datetime,
    cryptography: bool,
) -> tuple[VerificationReceipt, Verified | None]:
    """A new receipt for the stored bundle, and what verified (None when it did not)."""
    stored = BlobRepository(session).content(attestation.digest)
    if stored is None:  # a foreign key keeps the bytes while the attestation exists
        raise ArtifactNotFound(f"Attestation {attestation.id} has no stored bundle.")
    media_type, content = stored
    policy = judged_under.policy
    parsed: ParsedBundle | None = None
    try:
        parsed = parse_bundle(content, media_type)
        if (
            cryptography
            or not before.verified
            or before.trust_roots_digest != judged_under.trust_roots_digest
        ):
            verified = verify_for_service(
                parsed, service, policy, artifact=None, trust_roots=trust_roots, now=now
            )
        else:
            verified = _policy_again(parsed, before, service, judged_under, now)
    except (UnsupportedBundle, BundleMalformed, BundleRejected) as error:
        return _refused(attestation, parsed, judged_under, error, now), None
    return receipt_row(attestation.id, verified, policy), verified


def _policy_again(
    parsed: ParsedBundle,
    before: VerificationReceipt,
    service: Service,
    judged_under: InForce,
    now: datetime,
) -> Verified:
    """The policy in force applied to a bundle verified under the roots still loaded."""
    policy = judged_under.policy
    verified = verify_policy_again(
        parsed,
        receipt_from_row(before),
        policy=identity_policy(service, policy, parsed),
        policy_digest=policy.digest,
        now=now,
        keys=policy.policy.keys or (),
        allow_v01_inclusion_promise=bool(policy.policy.allow_v01_inclusion_promise),
    )
    return with_signer_kind(verified, parsed, policy)


def _refused(
    attestation: Attestation,
    parsed: ParsedBundle | None,
    judged_under: InForce,
    error: AppError,
    now: datetime,
) -> VerificationReceipt:
    """The receipt of a bundle that no longer verifies: what it still says, and why."""
    signer = (
        signer_of(parsed.certificate)
        if parsed is not None and parsed.certificate is not None
        else None
    )
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
        trust_roots_digest=judged_under.trust_roots_digest,
        policy_version=judged_under.policy.version,
        policy_digest=judged_under.policy.digest,
        sigstore_version=SIGSTORE_VERSION,
        verified_at=now,
        audit_index=-1,
    )


def _provenance_again(
    session: Session,
    found: tuple[Provenance, ProvenanceCheck] | None,
    receipt: VerificationReceipt,
    verified: Verified | None,
    *,
    service: Service,
    judged_under: InForce,
) -> ProvenanceOut | None:
    """The attestation's provenance (``found``, with its latest check) checked again, when
    it has one and still verifies.

    Fails closed: a provenance today's reader refuses gets a check that counts for
    nothing (level 0, not bound to the source) instead of keeping its old one.
    """
    if found is None or verified is None:
        return provenance_out(found)
    policy = judged_under.policy.policy
    try:
        record = provenance_from_verified(verified)
        refusal = None if record is not None else "the statement is no longer read as provenance"
    except ProvenanceMalformed as error:
        record, refusal = None, "; ".join(error.reasons) or error.detail
    if record is None:
        check = add_refusal(
            session,
            found[0],
            receipt,
            reason=f"provenance-unreadable: {refusal}",
            trust_map=policy.trust_map(),
            now=receipt.verified_at,
        )
        return provenance_out((found[0], check))
    check = add_check(
        session,
        found[0],
        record,
        receipt,
        service_repository=service.repository,
        trust_map=policy.trust_map(),
        release_refs=policy.effective_release_refs,
        now=receipt.verified_at,
    )
    return provenance_out((found[0], check))
