"""/v1/services/{name}/policy: the versioned policy of a service."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import Admin, GuardedRoute, Reader, SessionDep, TrailDep
from app.api.services import NamePath
from app.attestations import policies
from app.attestations.schemas import PolicyOut, PolicyUpdate
from app.errors import (
    Forbidden,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.services.errors import ServiceNotFound

router = APIRouter(prefix="/v1/services", tags=["policies"], route_class=GuardedRoute)

_AUTH = (Unauthenticated, Forbidden, InvalidRequest)


@router.get(
    "/{name}/policy",
    summary="The policy in force for a service",
    responses=problem_responses(*_AUTH, ServiceNotFound),
)
def get_policy(name: NamePath, session: SessionDep, _: Reader) -> PolicyOut:
    return policies.get_policy(session, name)


@router.put(
    "/{name}/policy",
    summary="Change a service's policy",
    description=(
        "Fields left out keep their current value. A change stores a new version; "
        "a policy equal to the one in force stores nothing and returns it."
    ),
    responses=problem_responses(*_AUTH, MalformedBody, PayloadTooLarge, ServiceNotFound),
)
def put_policy(name: NamePath, body: PolicyUpdate, trail: TrailDep, _: Admin) -> PolicyOut:
    return policies.put_policy(trail, name, body)
