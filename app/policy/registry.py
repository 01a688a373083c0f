"""Reading and changing the stored, versioned policy of a service.

A service has the versions it was given, 1, 2, … (each immutable, the highest
in force), or none: it is then at version 0, the default for its repository
(``app.policy.identities.default_policy_for``), computed afresh. A service
registered with a GitHub repository stores that default as version 1; the
default elsewhere is the empty policy, which accepts no signer, and is not
stored. Each stored version is an audit-log leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.db.base import CREATED_BY_MAX
from app.policy.document import (
    PolicyVersion,
    ServicePolicyDocument,
    apply_update,
    canonical_policy,
    policy_digest,
)
from app.policy.errors import InvalidPolicy, PolicyVersionNotFound
from app.policy.maturity import CHECK_LEVELS
from app.policy.models import ServicePolicy
from app.policy.repository import PolicyRepository
from app.policy.schemas import PolicyOut, PolicyUpdate
from app.policy.versions import checked_version, current_version, default_policy
from app.services.errors import ServiceNotFound
from app.services.models import Service
from app.services.repository import ServiceRepository


@dataclass(frozen=True)
class PolicyChange:
    """The policy in force after an update, and the service whose policy it is."""

    policy: PolicyOut
    service: Service
    changed: bool  # False: the result equalled the policy in force, nothing was stored


def get_policy(session: Session, service_name: str, version: int | None = None) -> PolicyOut:
    """The policy in force, or the stored ``version`` (as verification receipts name it)."""
    service = ServiceRepository(session).require(service_name)
    repository = PolicyRepository(session)
    current, row = current_version(repository, service)
    if version is None or version == current.version:
        return _out(service, current, row)
    stored = repository.version(service.id, version) if version > 0 else None
    if stored is None:
        raise PolicyVersionNotFound(
            f"Service {service_name!r} has no stored policy version {version}; the version "
            f"in force is {current.version}."
            + (
                " Version 0 is the default that applied before the first stored version."
                if version == 0
                else ""
            )
        )
    return _out(service, checked_version(service, stored), stored)


def policy_document(session: Session, service_name: str, version: int) -> bytes:
    """The exact bytes whose sha256 is the digest of ``version`` (0: the default policy).

    Version 0 is the default for the service's repository, served whether or not
    versions were stored since, so that a summary decided under it stays checkable.
    """
    service = ServiceRepository(session).require(service_name)
    if version == 0:
        return canonical_policy(default_policy(service))
    stored = PolicyRepository(session).version(service.id, version)
    if stored is None:
        raise PolicyVersionNotFound(
            f"Service {service_name!r} has no stored policy version {version}."
        )
    return canonical_policy(checked_version(service, stored).policy)


def update_policy(trail: AuditTrail, service_name: str, update: PolicyUpdate) -> PolicyChange:
    """Apply the fields sent; a result equal to the policy in force stores nothing."""
    repository = PolicyRepository(trail.session)
    service = repository.service_for_update(service_name)
    if service is None:
        raise ServiceNotFound(f"No service is named {service_name!r}.")
    current, row = current_version(repository, service)
    try:
        updated = apply_update(current.policy, update)
    except ValidationError as error:
        # PolicyUpdate checks each field; this catches a rule spanning fields it missed.
        problems = [str(detail["msg"]) for detail in error.errors()]
        raise InvalidPolicy(
            f"The resulting policy is not valid: {'; '.join(problems)}", reasons=problems
        ) from None
    digest = policy_digest(updated)
    if digest == current.digest:
        return PolicyChange(_out(service, current, row), service, changed=False)
    stored = _store(trail, service, updated, digest, version=current.version + 1)
    trail.record(
        Change(
            action=Action.POLICY_UPDATED,
            object_kind="service-policy",
            object_id=service.name,
            result={
                "version": stored.version,
                "digest": stored.digest,
                "previous_digest": current.digest,
            },
        )
    )
    out = _out(service, PolicyVersion(updated, stored.version, digest), stored)
    return PolicyChange(out, service, changed=True)


def store_default_policy(trail: AuditTrail, service: Service) -> None:
    """Store version 1 of a newly registered service, when its default accepts anyone."""
    default = default_policy(service)
    if not default.identities:
        # Version 0 already means "the default", and this one accepts nobody.
        return
    stored = _store(trail, service, default, policy_digest(default), version=1)
    trail.record(
        Change(
            action=Action.POLICY_CREATED,
            object_kind="service-policy",
            object_id=service.name,
            result={"version": stored.version, "digest": stored.digest},
        )
    )


def _store(
    trail: AuditTrail,
    service: Service,
    policy: ServicePolicyDocument,
    digest: str,
    *,
    version: int,
) -> ServicePolicy:
    return PolicyRepository(trail.session).add(
        ServicePolicy(
            service_id=service.id,
            version=version,
            document=policy.model_dump(mode="json", exclude_none=True),
            digest=digest,
            created_at=trail.clock.now(),
            # The audit leaf keeps the full actor; an operator's login name may be longer.
            created_by=trail.actor.name[:CREATED_BY_MAX],
        )
    )


def _out(service: Service, current: PolicyVersion, row: ServicePolicy | None) -> PolicyOut:
    maturity = current.policy.maturity()
    return PolicyOut(
        service=service.name,
        version=current.version,
        digest=current.digest,
        identities=list(current.policy.identities),
        trusted_builders=list(current.policy.trusted_builders or ()),
        builders=list(current.policy.builders or ()),
        reusable_workflows=list(current.policy.reusable_workflows or ()),
        release_refs=current.policy.effective_release_refs,
        reproducibility_quorum=current.policy.effective_quorum,
        environments=current.policy.effective_environments,
        min_sbom_quality=maturity.min_sbom_quality,
        sbom_profiles=dict(maturity.sbom_profiles),
        sbom_component_share=maturity.sbom_component_share,
        coverage_window_days=maturity.coverage_window.days,
        check_weights={check_id: maturity.weight(check_id) for check_id in CHECK_LEVELS},
        deny_open_severity=dict(maturity.deny_open_severity),
        predicate_types=list(current.policy.predicate_types or ()),
        keys=list(current.policy.keys or ()),
        allow_v01_inclusion_promise=bool(current.policy.allow_v01_inclusion_promise),
        created_at=row.created_at if row is not None else None,
        created_by=row.created_by if row is not None else None,
    )
