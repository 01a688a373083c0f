"""Registering, listing and changing services; each change is an audit-log leaf."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.pagination import clamp_limit, decode_cursor, encode_cursor
from app.services.errors import ServiceExists
from app.services.models import Service
from app.services.repository import ServiceRepository
from app.services.schemas import ServiceCreate, ServiceOut, ServicePage, ServiceUpdate


def create_service(trail: AuditTrail, request: ServiceCreate) -> Service:
    """Store a new service; ``ServiceExists`` when the name is taken."""
    repository = ServiceRepository(trail.session)
    if repository.by_name(request.name) is not None:
        raise ServiceExists(f"A service named {request.name!r} is already registered.")
    now = trail.clock.now()
    try:
        service = repository.add(
            Service(
                name=request.name,
                repository=request.repository,
                owner=request.owner,
                created_at=now,
                updated_at=now,
            )
        )
    except IntegrityError:
        # Another request registered the same name between our check and insert.
        raise ServiceExists(f"A service named {request.name!r} is already registered.") from None
    trail.record(
        Change(
            action=Action.SERVICE_CREATED,
            object_kind="service",
            object_id=service.name,
            result={"repository": service.repository, "owner": service.owner},
        )
    )
    return service


def get_service(session: Session, name: str) -> ServiceOut:
    return ServiceOut.model_validate(ServiceRepository(session).require(name))


def list_services(session: Session, *, cursor: str | None, limit: int | None) -> ServicePage:
    size = clamp_limit(limit)
    rows = ServiceRepository(session).page(after=decode_cursor(cursor), limit=size + 1)
    items = [ServiceOut.model_validate(row) for row in rows[:size]]
    following = encode_cursor(items[-1].name) if len(rows) > size else None
    return ServicePage(items=items, next=following)


def update_service(trail: AuditTrail, name: str, request: ServiceUpdate) -> tuple[Service, bool]:
    """Apply the fields sent: the service, and whether it changed (a no-op writes nothing)."""
    service = ServiceRepository(trail.session).require(name)
    changed = {
        field: value
        for field, value in request.model_dump(exclude_unset=True).items()
        if getattr(service, field) != value
    }
    if changed:
        for field, value in changed.items():
            setattr(service, field, value)
        service.updated_at = trail.clock.now()
        trail.session.flush()
        trail.record(
            Change(
                action=Action.SERVICE_UPDATED,
                object_kind="service",
                object_id=service.name,
                result={"changed": changed},
            )
        )
    return service, bool(changed)
