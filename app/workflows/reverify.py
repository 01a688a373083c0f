"""Re-verify evidence on demand: an artifact's, or a whole service's, from its stored bytes.

Every signature and attestation in scope is read back from its stored bytes and
verified as if it had just arrived, cryptography included, against the trust
roots loaded now and the service's policy in force now
(``app.workflows.recheck.check_again``). Each gets a new receipt, verified or
not, with the reasons; a provenance gets a new check against today's trust map
and release refs, or, when today's reader refuses it, a check that counts for
nothing. Earlier receipts and checks are never changed: the record keeps what
was concluded, and when. One audit leaf records each re-verification.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.artifacts.errors import ArtifactNotFound
from app.artifacts.repository import ArtifactRepository
from app.attestations.ingest import receipt_out
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.services.models import Service
from app.services.repository import ServiceRepository
from app.workflows.recheck import (
    Rechecked,
    check_again,
    evidence_summary,
    in_force,
    record,
    refresh,
)
from app.workflows.schemas import ReverifiedOut, ReverifyOut, ServiceReverifyOut


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
    judged_under = in_force(session, service, trust_roots)
    now = trail.clock.now()
    rechecked = check_again(
        trail,
        service,
        judged_under,
        trust_roots,
        AttestationRepository(session).for_artifact(artifact.id),
        cryptography=True,
    )
    index = record(
        trail,
        rechecked,
        action=Action.ARTIFACT_REVERIFIED,
        object_kind="artifact",
        object_id=digest,
        judged_under=judged_under,
        result={
            "service": service.name,
            "trust_roots": [root.digest for root in trust_roots],
            "evidence": [
                {
                    "attestation_id": item.attestation.id,
                    "receipt_id": item.receipt.id,
                    "verified": item.receipt.verified,
                }
                for item in rechecked
            ],
        },
    )
    session.flush()
    refresh(trail, service, trigger=Action.ARTIFACT_REVERIFIED, trust_roots=trust_roots, now=now)
    return ReverifyOut(
        digest=digest,
        service=service.name,
        audit_index=index,
        reverified_at=now,
        evidence=[_out(item) for item in rechecked],
    )


def reverify_service(
    trail: AuditTrail, name: str, *, trust_roots: Sequence[TrustRoot]
) -> ServiceReverifyOut:
    """New receipts for every piece of evidence of the service, and what changed."""
    session = trail.session
    service = ServiceRepository(session).require(name)
    judged_under = in_force(session, service, trust_roots)
    now = trail.clock.now()
    rechecked = check_again(
        trail,
        service,
        judged_under,
        trust_roots,
        AttestationRepository(session).of_service(service.id),
        cryptography=True,
    )
    changed = [item for item in rechecked if item.changed]
    index = record(
        trail,
        rechecked,
        action=Action.SERVICE_REVERIFIED,
        object_kind="service",
        object_id=service.name,
        judged_under=judged_under,
        result={"count": len(rechecked), "changed": evidence_summary(changed)},
    )
    session.flush()
    refresh(trail, service, trigger=Action.SERVICE_REVERIFIED, trust_roots=trust_roots, now=now)
    return ServiceReverifyOut(
        service=service.name,
        reverified_at=now,
        audit_index=index,
        policy_version=judged_under.policy.version,
        trust_roots_digest=judged_under.trust_roots_digest,
        checked=len(rechecked),
        changed=[_out(item) for item in changed],
    )


def _out(item: Rechecked) -> ReverifiedOut:
    return ReverifiedOut.model_validate(
        {
            "attestation_id": item.attestation.id,
            "kind": item.attestation.kind,
            "receipt": receipt_out(item.receipt),
            "provenance": item.provenance,
            "was_verified": item.before.verified,
            "changed": item.changed,
        }
    )
