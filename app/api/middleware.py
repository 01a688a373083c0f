"""Pure ASGI middleware: request ids, access log and metrics, body size cap.

Pure ASGI (not ``BaseHTTPMiddleware``) so that request bodies stream through
untouched and the size cap applies while bytes arrive, not after buffering.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, AppError, PayloadTooLarge, build_problem
from app.logs import log_fields, request_id_var
from app.metrics import UNMATCHED_ROUTE, HttpMetrics

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept only if it is short and plain, so it is safe
# to echo in headers and logs. Matched with fullmatch: "$" alone would also
# accept a trailing newline, which would then be echoed into a header.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("attestd.access")
error_log = logging.getLogger("attestd.errors")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Assigns the request id, echoes it, logs the request and records metrics."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = offered if offered and _REQUEST_ID.fullmatch(offered) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if response_started:
                raise
            # Nothing internal reaches the client: the details go to the log.
            error_log.exception("unhandled error", extra=log_fields(path=scope["path"]))
            await send_problem(scope, send_with_id, AppError("An internal error occurred."))
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(
                method=scope["method"], route=route, status=status, seconds=elapsed
            )
            access_log.info(
                "request",
                extra=log_fields(
                    method=scope["method"],
                    route=route,
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 3),
                ),
            )
            request_id_var.reset(token)


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when a streamed body passes the cap.

    An ``HTTPException`` so that FastAPI's body reader lets it through to the
    exception handlers instead of turning it into a parse error.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class BodySizeLimitMiddleware:
    """Refuses bodies over ``limit`` bytes without buffering them.

    A declared ``Content-Length`` over the limit is refused before the body is
    read; a body without one is counted as it streams and refused at the first
    chunk that passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await send_problem(scope, send, self._too_large(), close=True)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLargeError(self._too_large().detail)
            return message

        await self.app(scope, counting_receive, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body exceeds {self.limit} bytes.")


async def send_problem(scope: Scope, send: Send, error: AppError, *, close: bool = False) -> None:
    """Answer with ``error`` as problem+json from raw ASGI, outside the exception handlers."""
    problem = build_problem(
        error,
        instance=scope["path"],
        request_id=scope.get("state", {}).get("request_id", ""),
    )
    body = problem.model_dump_json(exclude_none=True).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        # The unread body stays on the connection; the client must not reuse it.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
