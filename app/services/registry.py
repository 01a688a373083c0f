"""Registering, listing and changing services."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.attestations.policies import store_default_policy
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.db.base import utcnow
from app.pagination import clamp_limit, decode_cursor, encode_cursor
from app.scoring.snapshots import refresh_maturity
from app.services.errors import ServiceExists, ServiceNotFound
from app.services.models import Service
from app.services.repository import ServiceRepository
from app.services.schemas import ServiceCreate, ServiceOut, ServicePage, ServiceUpdate


def create_service(trail: AuditTrail, request: ServiceCreate) -> ServiceOut:
    repository = ServiceRepository(trail.session)
    if repository.by_name(request.name) is not None:
        raise ServiceExists(f"A service named {request.name!r} is already registered.")
    now = utcnow()
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
            action="service.created",
            object_kind="service",
            object_id=service.name,
            result={"repository": service.repository, "owner": service.owner},
        )
    )
    store_default_policy(trail, service)
    refresh_maturity(trail.session, service, trigger="service.created", now=now)
    return ServiceOut.model_validate(service)


def get_service(session: Session, name: str) -> ServiceOut:
    return ServiceOut.model_validate(_require(session, name))


def list_services(session: Session, *, cursor: str | None, limit: int | None) -> ServicePage:
    size = clamp_limit(limit)
    rows = ServiceRepository(session).page(after=decode_cursor(cursor), limit=size + 1)
    items = [ServiceOut.model_validate(row) for row in rows[:size]]
    following = encode_cursor(items[-1].name) if len(rows) > size else None
    return ServicePage(items=items, next=following)


def update_service(trail: AuditTrail, name: str, request: ServiceUpdate) -> ServiceOut:
    """Apply the fields sent; a request that changes nothing writes nothing."""
    service = _require(trail.session, name)
    changed = {
        field: value
        for field, value in request.model_dump(exclude_unset=True).items()
        if getattr(service, field) != value
    }
    if changed:
        for field, value in changed.items():
            setattr(service, field, value)
        service.updated_at = utcnow()
        trail.session.flush()
        trail.record(
            Change(
                action="service.updated",
                object_kind="service",
                object_id=service.name,
                result={"changed": changed},
            )
        )
        refresh_maturity(trail.session, service, trigger="service.updated")
    return ServiceOut.model_validate(service)


def _require(session: Session, name: str) -> Service:
    service = ServiceRepository(session).by_name(name)
    if service is None:
        raise ServiceNotFound(f"No service is named {name!r}.")
    return service
