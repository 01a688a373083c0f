"""/v1/services/{name}/policy: the versioned policy of a service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import Admin, GuardedRoute, Reader, SessionDep, TrailDep, TrustRootsDep
from app.api.services import NamePath
from app.errors import (
    Forbidden,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.policy.errors import PolicyVersionNotFound
from app.policy.registry import get_policy as policy_version
from app.policy.registry import policy_document
from app.policy.schemas import PolicyOut, PolicyUpdate
from app.services.errors import ServiceNotFound
from app.workflows.change_policy import change_policy

router = APIRouter(prefix="/v1/services", tags=["policies"], route_class=GuardedRoute)

_AUTH = (Unauthenticated, Forbidden, InvalidRequest)
_VERSION_MAX = 2**31 - 1
VersionPath = Annotated[
    int, Path(ge=0, le=_VERSION_MAX, description="A stored version; 0: the default policy.")
]


class PolicyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None,
        ge=0,
        le=_VERSION_MAX,
        description="A stored version (receipts name it); absent: the version in force.",
    )


@router.get(
    "/{name}/policy",
    summary="The policy in force for a service, or one of its stored versions",
    responses=problem_responses(*_AUTH, ServiceNotFound, PolicyVersionNotFound),
)
def get_policy(
    name: NamePath, session: SessionDep, _: Reader, query: Annotated[PolicyQuery, Query()]
) -> PolicyOut:
    return policy_version(session, name, query.version)


@router.get(
    "/{name}/policy/versions/{version}/document",
    summary="The exact bytes of one policy version: those its digest is the SHA-256 of",
    description="RFC 8785 canonical JSON of the stored version (absent constraints left out); "
    "version 0 is the default for the service's repository. Verification summaries name the "
    "policy they were decided under by this URI and the SHA-256 of these bytes.",
    response_class=Response,
    responses={
        200: {
            "description": "The canonical JSON of the policy version.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **problem_responses(*_AUTH, ServiceNotFound, PolicyVersionNotFound),
    },
)
def get_policy_document(
    name: NamePath, version: VersionPath, session: SessionDep, _: Reader
) -> Response:
    return Response(
        content=policy_document(session, name, version),
        media_type="application/json",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.put(
    "/{name}/policy",
    summary="Change a service's policy",
    description=(
        "Fields left out keep their current value. A change stores a new version; "
        "a policy equal to the one in force stores nothing and returns it."
    ),
    responses=problem_responses(*_AUTH, MalformedBody, PayloadTooLarge, ServiceNotFound),
)
def put_policy(
    name: NamePath, body: PolicyUpdate, trail: TrailDep, _: Admin, trust_roots: TrustRootsDep
) -> PolicyOut:
    return change_policy(trail, name, body, trust_roots=trust_roots)
