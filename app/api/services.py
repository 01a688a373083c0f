"""/v1/services: the services registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.api.deps import Admin, GuardedRoute, Reader, SessionDep, TrailDep, TrustRootsDep
from app.errors import (
    Forbidden,
    InvalidCursor,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.pagination import PageQuery
from app.services import registry
from app.services.errors import ServiceExists, ServiceNotFound
from app.services.names import SERVICE_NAME_MAX, SERVICE_NAME_PATTERN
from app.services.schemas import ServiceCreate, ServiceOut, ServicePage, ServiceUpdate
from app.workflows import reverify
from app.workflows.register_service import change_service, register_service
from app.workflows.schemas import ServiceReverifyOut

router = APIRouter(prefix="/v1/services", tags=["services"], route_class=GuardedRoute)

NamePath = Annotated[
    str,
    Path(max_length=SERVICE_NAME_MAX, pattern=SERVICE_NAME_PATTERN, description="Service name."),
]
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)
_BODY = (MalformedBody, PayloadTooLarge)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a service",
    responses=problem_responses(*_AUTH, *_BODY, ServiceExists),
)
def create_service(
    body: ServiceCreate, trail: TrailDep, _: Admin, trust_roots: TrustRootsDep
) -> ServiceOut:
    return register_service(trail, body, trust_roots=trust_roots)


@router.get(
    "",
    summary="List services by name",
    responses=problem_responses(*_AUTH, InvalidCursor),
)
def list_services(
    session: SessionDep,
    _: Reader,
    page: Annotated[PageQuery, Query()],
) -> ServicePage:
    return registry.list_services(session, cursor=page.cursor, limit=page.limit)


@router.get(
    "/{name}",
    summary="One service",
    responses=problem_responses(*_AUTH, ServiceNotFound),
)
def get_service(name: NamePath, session: SessionDep, _: Reader) -> ServiceOut:
    return registry.get_service(session, name)


@router.patch(
    "/{name}",
    summary="Change a service's repository or owner",
    responses=problem_responses(*_AUTH, *_BODY, ServiceNotFound),
)
def update_service(
    name: NamePath, body: ServiceUpdate, trail: TrailDep, _: Admin, trust_roots: TrustRootsDep
) -> ServiceOut:
    return change_service(trail, name, body, trust_roots=trust_roots)


@router.post(
    "/{name}/reverify",
    summary="Verify all of a service's evidence again, against today's trust roots and policy",
    description="Every signature and attestation of the service is verified again from its "
    "stored bytes, cryptography included; each gets a new receipt and each provenance a new "
    "check (one that counts for nothing when today's reader refuses it). Earlier receipts "
    "stay as they were. One audit-log entry. The answer counts what was checked and lists "
    "what changed.",
    responses=problem_responses(*_AUTH, ServiceNotFound),
)
def reverify_service(
    name: NamePath, trail: TrailDep, _: Admin, trust_roots: TrustRootsDep
) -> ServiceReverifyOut:
    return reverify.reverify_service(trail, name, trust_roots=trust_roots)
