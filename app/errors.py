"""The one error model of attestd, rendered as RFC 9457 problem details.

Every error a client can see is an ``AppError``::

    AppError                      500 internal-error
    ├── BadRequest                400 bad-request
    │   ├── MalformedBody         400 malformed-body
    │   └── InvalidCursor         400 invalid-cursor
    ├── Unauthenticated           401 unauthenticated
    ├── Forbidden                 403 forbidden
    ├── NotFound                  404 not-found
    ├── MethodNotAllowed          405 method-not-allowed
    ├── Conflict                  409 conflict
    ├── PayloadTooLarge           413 payload-too-large
    ├── UnsupportedMediaType      415 unsupported-media-type
    ├── InvalidRequest            422 invalid-request
    └── ServiceUnavailable        503 unavailable

Domain packages subclass these with their own slug (``ServiceNotFound`` is a
``NotFound`` with slug ``service-not-found``). ``problem_responses`` turns a list
of error classes into the ``responses=`` a route declares, so the OpenAPI
document shows every problem a route can return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:attestd:problem:"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


class AppError(Exception):
    """Base of every error attestd reports to a client."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"
    # Set by app.audit.log.reject: the rejection to record in the audit log.
    audit_change: object | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        reasons: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.reasons = list(reasons)
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    @classmethod
    def type_uri(cls) -> str:
        return PROBLEM_TYPE_PREFIX + cls.slug


class BadRequest(AppError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class MalformedBody(BadRequest):
    slug = "malformed-body"
    title = "Request body is not well-formed"


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


class Unauthenticated(AppError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self) -> None:
        # One answer for missing, malformed, unknown and revoked tokens, so a
        # caller learns nothing about which tokens exist.
        super().__init__(
            "A valid bearer token is required.",
            headers={"WWW-Authenticate": 'Bearer realm="attestd"'},
        )


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class MethodNotAllowed(AppError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidRequest(AppError):
    status = 422
    slug = "invalid-request"
    title = "Request failed validation"


class ServiceUnavailable(AppError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


class FieldError(BaseModel):
    """One failed constraint of a request, located by its path."""

    location: str = Field(description="Where the bad value is, e.g. body.name or query.limit.")
    message: str
    type: str = Field(description="Machine-readable kind of failure, e.g. string_too_long.")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of attestd."""

    model_config = ConfigDict(
        json_schema_extra={"description": "RFC 9457 problem details (application/problem+json)."}
    )

    type: str = Field(description="URI naming the kind of problem: urn:attestd:problem:<slug>.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="Path of the request that failed.")
    request_id: str
    slug: str = Field(description="Stable short name of the problem, e.g. service-not-found.")
    reasons: list[str] = Field(default_factory=list)
    errors: list[FieldError] | None = Field(
        default=None, description="Present on request validation problems."
    )


def build_problem(
    error: AppError,
    *,
    instance: str,
    request_id: str,
    errors: list[FieldError] | None = None,
) -> Problem:
    return Problem(
        type=error.type_uri(),
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=instance,
        request_id=request_id,
        slug=error.slug,
        reasons=error.reasons,
        errors=errors,
    )


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry for the problems a route can return."""
    by_status: dict[int, list[type[AppError]]] = {}
    declared: tuple[type[AppError], ...] = (*errors, AppError)
    for error in declared:
        by_status.setdefault(error.status, []).append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        slugs = ", ".join(sorted({e.slug for e in group}))
        responses[status] = {
            "description": f"{group[0].title} ({slugs})",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
    return responses


def problem_schemas() -> dict[str, Any]:
    """JSON schemas of ``Problem`` and what it refers to, for the OpenAPI components."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}
