"""/v1/services: the services registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.api.deps import Admin, GuardedRoute, Reader, SessionDep, TrailDep
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
from app.workflows.register_service import change_service, register_service

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
def create_service(body: ServiceCreate, trail: TrailDep, _: Admin) -> ServiceOut:
    return register_service(trail, body)


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
def update_service(name: NamePath, body: ServiceUpdate, trail: TrailDep, _: Admin) -> ServiceOut:
    return change_service(trail, name, body)
