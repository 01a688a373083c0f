"""Register a service, or change it: the registry, its first policy, its maturity."""

from __future__ import annotations

from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.policy.registry import store_default_policy
from app.scoring.snapshots import refresh_maturity
from app.services import registry
from app.services.schemas import ServiceCreate, ServiceOut, ServiceUpdate


def register_service(trail: AuditTrail, request: ServiceCreate) -> ServiceOut:
    """A new service, with its repository's default policy and its first maturity snapshot."""
    service = registry.create_service(trail, request)
    store_default_policy(trail, service)
    refresh_maturity(trail.session, service, trigger=Action.SERVICE_CREATED, now=service.created_at)
    return ServiceOut.model_validate(service)


def change_service(trail: AuditTrail, name: str, request: ServiceUpdate) -> ServiceOut:
    """Apply the fields sent; a change moves the maturity (the repository is a check)."""
    service, changed = registry.update_service(trail, name, request)
    if changed:
        refresh_maturity(
            trail.session, service, trigger=Action.SERVICE_UPDATED, now=service.updated_at
        )
    return ServiceOut.model_validate(service)
