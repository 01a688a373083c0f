"""Register a service, or change it: the registry, its first policy, its maturity."""

from __future__ import annotations

from collections.abc import Sequence

from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.policy.registry import store_default_policy
from app.services import registry
from app.services.schemas import ServiceCreate, ServiceOut, ServiceUpdate
from app.workflows.recheck import refresh


def register_service(
    trail: AuditTrail, request: ServiceCreate, *, trust_roots: Sequence[TrustRoot]
) -> ServiceOut:
    """A new service, with its repository's default policy and its first maturity snapshot."""
    service = registry.create_service(trail, request)
    store_default_policy(trail, service)
    refresh(
        trail,
        service,
        trigger=Action.SERVICE_CREATED,
        trust_roots=trust_roots,
        now=service.created_at,
    )
    return ServiceOut.model_validate(service)


def change_service(
    trail: AuditTrail, name: str, request: ServiceUpdate, *, trust_roots: Sequence[TrustRoot]
) -> ServiceOut:
    """Apply the fields sent; a change moves the maturity (the repository is a check)."""
    service, changed = registry.update_service(trail, name, request)
    if changed:
        refresh(
            trail,
            service,
            trigger=Action.SERVICE_UPDATED,
            trust_roots=trust_roots,
            now=service.updated_at,
        )
    return ServiceOut.model_validate(service)
