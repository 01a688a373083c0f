"""Ask the deploy gate: may this digest ship to this environment? Answered with a signed VSA.

::

    the artifact (unknown: 404) -> may this caller ask about its service?
      -> the level the environment needs (unknown environment: 422)
      -> evidence judged under another policy or other trust roots: checked again
         (app.workflows.recheck)
      -> the facts of its release, evaluated (app.scoring) -> allow or deny: the level,
         and no open vulnerability as severe as the policy's deny_open_severity
      -> a SLSA Verification Summary signed with attestd's summary key -> audit leaf

The summary says PASSED or FAILED for one environment, with the level it
required and every level reached, until when it holds, the policy version it
was decided under (by the URI of that version's exact bytes and their digest)
and the evidence it was computed from; the audit leaf holds its digest.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy.orm import Session

from app.artifacts.errors import ArtifactNotFound
from app.artifacts.repository import ArtifactRepository
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.auth.credentials import Principal, Role
from app.digests import normalise_digest
from app.errors import Forbidden
from app.package import installed_version
from app.policy.maturity import DEFAULT_ENVIRONMENT, LEVEL_NAMES
from app.sboms.repository import SbomRepository
from app.scoring.checks import Maturity, evaluate
from app.scoring.gathering import Gathered, gather, judged_artifacts
from app.scoring.schemas import VerdictOut, VerdictRequest
from app.scoring.verdicts import (
    deny_reasons,
    required_level,
    resource_uri,
    summary_expiry,
    verified_levels,
)
from app.scoring.vsa import GateDecision, ResourceDigest, Summary, Waiver, sign_summary
from app.services.models import Service
from app.signing import ServiceKey
from app.workflows.recheck import bring_up_to_date, in_force

_REASONS_RECORDED = 20


def ask_gate(
    trail: AuditTrail,
    principal: Principal,
    request: VerdictRequest,
    *,
    key: ServiceKey,
    public_url: str,
    validity: timedelta,
    trust_roots: Sequence[TrustRoot],
) -> VerdictOut:
    """Judge the artifact for the environment, sign the summary and record the verdict.

    ``key`` signs the summary, which holds for ``validity`` at most.
    """
    session = trail.session
    digest = normalise_digest(request.digest)
    found = ArtifactRepository(session).by_digest(digest)
    if found is None:
        raise ArtifactNotFound(
            f"No artifact has the digest {digest}: attestd holds no evidence for it.",
            reasons=[f"artifact-unknown: {digest}"],
        )
    service = session.get_one(Service, found.service_id)
    if principal.role is Role.PIPELINE and not principal.may_write_to(service.name):
        raise Forbidden(f"This token may not ask about artifacts of service {service.name!r}.")
    environment = request.environment or DEFAULT_ENVIRONMENT
    judged_under = in_force(session, service, trust_roots)
    required = required_level(judged_under.policy, service.name, environment)
    now = trail.clock.now()
    # Evidence judged under another policy or other trust roots is checked again first.
    judged = judged_artifacts(session, service, judged_under.policy, now, target=found)
    bring_up_to_date(trail, service, judged_under, trust_roots, judged.artifacts)
    gathered = gather(
        session, service, now, judged_under, target=found, environment=environment, judged=judged
    )
    maturity = evaluate(gathered.facts, gathered.rules)
    reasons = deny_reasons(
        maturity,
        gathered.facts.target,
        gathered.rules,
        environment=environment,
        required=required,
        digest=digest,
    )
    allowed = not reasons
    summary = Summary(
        subject_name=found.name or digest,
        subject_digest=digest,
        verifier_id=public_url,
        verifier_version=installed_version(),
        time_verified=now,
        resource_uri=request.resource_uri or resource_uri(found.name, digest, public_url),
        # The exact bytes the digest is of: GET …/document serves them.
        policy=ResourceDigest(
            uri=f"{public_url}/v1/services/{quote(service.name)}/policy/versions/"
            f"{gathered.policy.version}/document",
            digest=gathered.policy.digest,
        ),
        input_attestations=_inputs(session, found.id, public_url),
        passed=allowed,
        verified_levels=(
            verified_levels(gathered.facts.target, maturity, digest) if allowed else ()
        ),
        gate=GateDecision(
            service=service.name,
            environment=environment,
            required_level=required,
            level=maturity.level,
            policy_version=gathered.policy.version,
            valid_until=summary_expiry(now, validity, gathered.valid_until),
            waivers=_waivers(gathered, maturity, required),
        ),
    )
    envelope = sign_summary(summary, key)
    payload_sha256 = hashlib.sha256(base64.b64decode(envelope["payload"])).hexdigest()
    decision = "allow" if allowed else "deny"
    audit_index = trail.record(
        Change(
            action=Action.VERDICT_ISSUED,
            object_kind="artifact",
            object_id=digest,
            document_sha256=payload_sha256,
            result={
                "service": service.name,
                "decision": decision,
                "environment": environment,
                "required_level": required,
                "level": maturity.level,
                "policy_version": gathered.policy.version,
                "reasons": reasons[:_REASONS_RECORDED],
            },
        )
    )
    return VerdictOut(
        decision=decision,
        digest=digest,
        service=service.name,
        environment=environment,
        required_level=required,
        level=maturity.level,
        level_name=LEVEL_NAMES[maturity.level],
        reasons=reasons,
        waived=[
            f"{check.id}: exception {check.waived_by}"
            for check in maturity.checks
            if check.status == "waived" and check.level <= required
        ],
        vsa=envelope,
        audit_index=audit_index,
        verified_at=now,
        valid_until=summary.gate.valid_until,
    )


def _inputs(session: Session, artifact_id: int, public_url: str) -> tuple[ResourceDigest, ...]:
    """The artifact's SBOMs and verified Sigstore bundles, by their raw URIs and digests."""
    sboms = [
        ResourceDigest(uri=f"{public_url}/v1/sboms/{sbom.id}/raw", digest=sbom.digest)
        for sbom in SbomRepository(session).for_artifact(artifact_id)
    ]
    bundles = [
        ResourceDigest(
            uri=f"{public_url}/v1/attestations/{attestation.id}/raw", digest=attestation.digest
        )
        for attestation, receipt in AttestationRepository(session).for_artifact(artifact_id)
        if receipt.verified
    ]
    return (*sboms, *bundles)


def _waivers(gathered: Gathered, maturity: Maturity, required: int) -> tuple[Waiver, ...]:
    """The exceptions the decision relied on: those waiving a check at or below ``required``."""
    exceptions = {e.id: e for e in gathered.facts.exceptions}
    return tuple(
        Waiver(
            check=check.id,
            exception_id=waiver.id,
            approved_by=waiver.approved_by or "",
            expires_at=waiver.expires_at,
        )
        for check in maturity.checks
        if check.status == "waived"
        and check.level <= required
        and check.waived_by is not None
        and (waiver := exceptions[check.waived_by])
    )
