"""Exception handlers that render every error as application/problem+json."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.errors import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    BadRequest,
    FieldError,
    InvalidRequest,
    MalformedBody,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    build_problem,
)

_BY_STATUS: dict[int, type[AppError]] = {
    400: BadRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: InvalidRequest,
}


def problem_response(
    request: Request, error: AppError, errors: list[FieldError] | None = None
) -> JSONResponse:
    problem = build_problem(
        error,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", ""),
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers,
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return problem_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    raw = exc.errors()
    if any(error.get("type") == "json_invalid" for error in raw):
        return problem_response(request, MalformedBody("The request body is not valid JSON."))
    # The offending input is never echoed: it may be huge, binary or secret.
    errors = [
        FieldError(
            location=".".join(str(part) for part in error.get("loc", ())),
            message=str(error.get("msg", "invalid")),
            type=str(error.get("type", "invalid")),
        )
        for error in raw
    ]
    detail = f"{len(errors)} problem(s) with the request."
    reasons = [f"{error.location}: {error.message}" for error in errors]
    return problem_response(request, InvalidRequest(detail, reasons=reasons), errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
    kind = _BY_STATUS.get(exc.status_code, AppError)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if kind is NotFound:
        detail = "No such route."
    if kind is BadRequest and exc.__cause__ is not None:
        # FastAPI's body reader turns any failure to decode the body (bytes that
        # are not UTF-8, nesting too deep for the parser) into a bare 400.
        kind, detail = MalformedBody, "The request body could not be parsed."
    if kind is MethodNotAllowed:
        # Starlette names only the first matching route's methods; a path
        # served by several routes (GET and PATCH) must list them all.
        allowed = _allowed_methods(request)
        detail = f"This path answers {', '.join(allowed)}."
        headers["Allow"] = ", ".join(allowed)
    error = kind(detail, headers=headers)
    return problem_response(request, error)


# Methods probed when a 405 must list what a path does answer.
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route fully matches for this path, asked of the router itself.

    Probing by method works whatever the routes are (plain routes or the
    wrappers FastAPI makes of included routers), since ``matches`` is the
    router's own test.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
