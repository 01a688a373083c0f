"""/v1/exceptions: waivers of one check, approved by a second admin, expiring by themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.api.deps import (
    Admin,
    ClockDep,
    GuardedRoute,
    Reader,
    SessionDep,
    TrailDep,
    TrustRootsDep,
)
from app.errors import (
    Forbidden,
    InvalidCursor,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.scoring import exceptions
from app.scoring.exceptions import (
    ExceptionNotFound,
    ExceptionNotPending,
    InvalidException,
    SelfApproval,
)
from app.scoring.schemas import ExceptionCreate, ExceptionOut, ExceptionPage, ExceptionQuery
from app.services.errors import ServiceNotFound
from app.workflows import manage_exceptions

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"], route_class=GuardedRoute)
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)

ExceptionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Exception id.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Request an exception to one check of one service",
    description="Pending until another admin approves it; expires_at at most 90 days ahead. "
    "service-repository, exceptions-controlled and few-exceptions cannot be waived.",
    responses=problem_responses(
        *_AUTH, MalformedBody, PayloadTooLarge, ServiceNotFound, InvalidException
    ),
)
def request_exception(
    body: ExceptionCreate, trail: TrailDep, admin: Admin, trust_roots: TrustRootsDep
) -> ExceptionOut:
    return manage_exceptions.request_exception(trail, admin, body, trust_roots=trust_roots)


@router.post(
    "/{exception_id}/approve",
    summary="Approve a pending exception (not by its requester)",
    responses=problem_responses(*_AUTH, ExceptionNotFound, SelfApproval, ExceptionNotPending),
)
def approve_exception(
    exception_id: ExceptionId, trail: TrailDep, admin: Admin, trust_roots: TrustRootsDep
) -> ExceptionOut:
    return manage_exceptions.approve_exception(trail, admin, exception_id, trust_roots=trust_roots)


@router.delete(
    "/{exception_id}",
    summary="Revoke an exception; it stops applying at once",
    responses=problem_responses(*_AUTH, ExceptionNotFound),
)
def revoke_exception(
    exception_id: ExceptionId, trail: TrailDep, admin: Admin, trust_roots: TrustRootsDep
) -> ExceptionOut:
    return manage_exceptions.revoke_exception(trail, admin, exception_id, trust_roots=trust_roots)


@router.get(
    "",
    summary="Exceptions in the order they were requested",
    responses=problem_responses(*_AUTH, InvalidCursor, ServiceNotFound),
)
def list_exceptions(
    session: SessionDep, _: Reader, query: Annotated[ExceptionQuery, Query()], clock: ClockDep
) -> ExceptionPage:
    return exceptions.list_exceptions(session, query, clock.now())


@router.get(
    "/{exception_id}",
    summary="One exception and its status now",
    responses=problem_responses(*_AUTH, ExceptionNotFound),
)
def get_exception(
    exception_id: ExceptionId, session: SessionDep, _: Reader, clock: ClockDep
) -> ExceptionOut:
    return exceptions.get_exception(session, exception_id, clock.now())
