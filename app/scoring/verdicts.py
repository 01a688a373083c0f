"""The deploy gate: may this digest ship to this environment? Answered with a signed VSA.

The artifact's own release is judged with the whole checks catalogue (the
service-wide checks, coverage and exceptions, read as they stand now), so an
old, unsigned build of a service that is level 4 today is still refused. The
decision is ``allow`` when that level reaches the level the service policy
requires for the environment; the reasons of a ``deny`` are the rule and every
failing check at or below the required level.

The answer carries a SLSA Verification Summary (``app.scoring.vsa``) signed
with attestd's key, PASSED or FAILED, listing the policy version and the
evidence it was computed from. Every verdict is an audit-log leaf holding the
summary's digest.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from app.artifacts.repository import ArtifactRepository
from app.attestations.policy_versions import PolicyVersion, current_policy
from app.attestations.repository import AttestationRepository
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.auth.credentials import Principal, Role
from app.db.base import utcnow
from app.digests import normalise_digest
from app.errors import Forbidden, InvalidRequest, NotFound
from app.package import installed_version
from app.sboms.repository import SbomRepository
from app.scoring.checks import LEVEL_NAMES, Maturity, evaluate
from app.scoring.gathering import Gathered, gather
from app.scoring.policy import DEFAULT_ENVIRONMENT
from app.scoring.schemas import VerdictOut, VerdictRequest
from app.scoring.vsa import ResourceDigest, Summary, sign_summary
from app.services.models import Service
from app.signing import ServiceKey

MATURITY_LEVEL_PREFIX = "ATTESTD_MATURITY_LEVEL_"
_REASONS_RECORDED = 20


class UnknownArtifact(NotFound):
    slug = "artifact-not-found"
    title = "No such artifact"


class UnknownEnvironment(InvalidRequest):
    slug = "unknown-environment"
    title = "The service policy names no such environment"


def issue_verdict(
    trail: AuditTrail,
    principal: Principal,
    request: VerdictRequest,
    *,
    key: ServiceKey,
    public_url: str,
) -> VerdictOut:
    """Judge the artifact for the environment, sign the summary and record the verdict."""
    session = trail.session
    digest = normalise_digest(request.digest)
    found = ArtifactRepository(session).by_digest(digest)
    if found is None:
        raise UnknownArtifact(
            f"No artifact has the digest {digest}: attestd holds no evidence for it.",
            reasons=[f"artifact-unknown: {digest}"],
        )
    service = session.get_one(Service, found.service_id)
    if principal.role is Role.PIPELINE and not principal.may_write_to(service.name):
        raise Forbidden(f"This token may not ask about artifacts of service {service.name!r}.")
    environment = request.environment or DEFAULT_ENVIRONMENT
    _required_level(current_policy(session, service), service.name, environment)  # fail early
    now = utcnow()
    gathered = gather(session, service, now, target=found)
    # The level the policy version the summary names requires (the same one, but for a
    # policy stored concurrently in between on PostgreSQL).
    required = _required_level(gathered.policy, service.name, environment)
    maturity = evaluate(gathered.facts, gathered.rules)
    allowed = maturity.level >= required
    reasons = [] if allowed else _reasons(maturity, environment, required, digest)
    summary = Summary(
        subject_name=found.name or digest,
        subject_digest=digest,
        verifier_id=public_url,
        verifier_version=installed_version(),
        time_verified=now,
        resource_uri=request.resource_uri or _resource_uri(found.name, digest),
        policy=ResourceDigest(
            uri=f"{public_url}/v1/services/{quote(service.name)}/policy"
            f"?version={gathered.policy.version}",
            digest=gathered.policy.digest,
        ),
        input_attestations=_inputs(session, found.id, public_url),
        passed=allowed,
        verified_levels=_levels(gathered, maturity, digest) if allowed else (),
    )
    envelope = sign_summary(summary, key)
    payload_sha256 = hashlib.sha256(base64.b64decode(envelope["payload"])).hexdigest()
    decision = "allow" if allowed else "deny"
    audit_index = trail.record(
        Change(
            action="verdict.issued",
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
    )


def _required_level(policy: PolicyVersion, service: str, environment: str) -> int:
    environments = policy.policy.effective_environments
    if environment not in environments:
        known = ", ".join(sorted(environments))
        raise UnknownEnvironment(
            f"The policy of {service} names no environment {environment!r}; it names {known}.",
            reasons=[f"unknown-environment: {environment}"],
        )
    return environments[environment]


def _reasons(maturity: Maturity, environment: str, required: int, digest: str) -> list[str]:
    rule = (
        f"required-level: {environment} needs level {required} ({LEVEL_NAMES[required]}); "
        f"{digest} reaches level {maturity.level} ({maturity.level_name})"
    )
    return [rule, *(f"{check.id}: {check.detail}" for check in maturity.failing(required))]


def _levels(gathered: Gathered, maturity: Maturity, digest: str) -> tuple[str, ...]:
    """The SLSA Build level of the artifact's own provenance, and its maturity level."""
    target = gathered.facts.target
    build_level = 0
    if target is not None:
        build_level = max(
            (a.best_build_level for a in target.artifacts if a.digest == digest), default=0
        )
    return (f"SLSA_BUILD_LEVEL_{min(build_level, 3)}", f"{MATURITY_LEVEL_PREFIX}{maturity.level}")


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


def _resource_uri(name: str | None, digest: str) -> str:
    """The artifact's name when it is a URI (``pkg:…``, ``oci://…``), else its digest."""
    if (
        name is not None
        and urlsplit(name).scheme
        and name.isprintable()
        and not any(c.isspace() for c in name)
    ):
        return name
    return digest
