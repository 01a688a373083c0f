"""The body size cap (64 KiB in the test settings), applied before any buffering.

Starlette's ``TestClient`` reads a generator body to the end before it calls
the application, so it cannot show that the cap stops reading early. The
streaming cases here drive the ASGI application directly with a ``receive``
that pulls chunks from a generator on demand, and count what was pulled;
``test_server.py`` shows the same over a real socket. Streamed bodies are sent
with an admin token: the size cap is what must stop them, not authentication.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

LIMIT = 64 * 1024
CHUNK = 64 * 1024
STREAM_TOTAL = 2 * 1024 * 1024


def assert_too_large(status: int, headers: dict[str, str], body: bytes, request_id: str) -> None:
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["slug"] == "payload-too-large"
    assert problem["type"] == "urn:attestd:problem:payload-too-large"
    assert problem["status"] == 413
    assert problem["instance"] == "/v1/services"
    assert str(LIMIT) in problem["detail"]
    assert problem["request_id"] == request_id


# -- declared Content-Length, through the test client ------------------------------


def test_a_declared_length_over_the_limit_is_refused_without_a_token(client):
    response = client.post(
        "/v1/services",
        content=b"x" * (LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )
    assert_too_large(
        response.status_code,
        dict(response.headers),
        response.content,
        response.headers["X-Request-ID"],
    )
    # The rest of the body is never read, so the connection cannot be reused.
    assert response.headers["connection"] == "close"


def test_a_declared_length_over_the_limit_is_refused_on_any_route(client, admin_headers):
    response = client.post("/nowhere", content=b"x" * (LIMIT + 1), headers=admin_headers)
    assert response.status_code == 413
    assert response.json()["slug"] == "payload-too-large"


def _service_json(size: int) -> bytes:
    """A JSON service of exactly ``size`` bytes whose name is far too long."""
    template = {"name": "", "repository": "https://github.com/acme/payments"}
    overhead = len(json.dumps(template).encode())
    document = json.dumps({**template, "name": "a" * (size - overhead)}).encode()
    assert len(document) == size
    return document


@pytest.mark.parametrize("size", [LIMIT - 1, LIMIT], ids=["just-under", "exactly-at"])
def test_a_body_within_the_limit_reaches_validation(client, admin_headers, size):
    response = client.post(
        "/v1/services",
        content=_service_json(size),
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["slug"] == "invalid-request"
    assert [error["location"] for error in problem["errors"]] == ["body.name"]


def test_a_body_within_the_limit_reaches_authentication(client):
    response = client.post(
        "/v1/services",
        content=_service_json(LIMIT),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["slug"] == "unauthenticated"


# -- straight to the ASGI application, with a body pulled on demand -----------------


@dataclass
class Exchange:
    """One request driven through the ASGI application, and what came back."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    receive_calls: int = 0


@dataclass
class CountingBody:
    """A request body produced chunk by chunk, counting the chunks taken."""

    chunk: int
    total: int
    produced: int = 0

    @property
    def chunk_count(self) -> int:
        return -(-self.total // self.chunk)

    def __iter__(self) -> Iterator[bytes]:
        remaining = self.total
        while remaining > 0:
            size = min(self.chunk, remaining)
            remaining -= size
            self.produced += 1
            yield b"x" * size


def drive(
    app: FastAPI,
    chunks: Iterator[bytes],
    *,
    headers: dict[str, str],
    method: str = "POST",
    path: str = "/v1/services",
) -> Exchange:
    """Send one request to ``app`` over ASGI, taking a chunk from ``chunks`` only when asked."""
    exchange = Exchange()
    pending = iter(chunks)
    # One chunk of look-ahead, so that the last chunk can say more_body=False.
    upcoming = next(pending, None)
    body_done = False

    async def receive() -> Message:
        nonlocal upcoming, body_done
        exchange.receive_calls += 1
        if body_done:
            return {"type": "http.disconnect"}
        if upcoming is None:
            body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk, upcoming = upcoming, next(pending, None)
        body_done = upcoming is None
        return {"type": "http.request", "body": chunk, "more_body": not body_done}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            exchange.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"")

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    return exchange


def test_a_streamed_body_over_the_limit_is_refused_before_it_is_all_read(
    client, app, admin_headers
):
    body = CountingBody(chunk=CHUNK, total=STREAM_TOTAL)
    exchange = drive(
        app,
        iter(body),
        headers={**admin_headers, "content-type": "application/json", "x-request-id": "stream-1"},
    )
    assert_too_large(exchange.status, exchange.headers, exchange.body, "stream-1")
    assert exchange.headers["x-request-id"] == "stream-1"
    # Refused at the first chunk past the limit: 64 KiB fit, the second chunk
    # does not. With the driver's one chunk of look-ahead, 3 of the 32 chunks
    # are produced; the rest never are.
    assert exchange.receive_calls == 2
    assert body.produced == 3 < body.chunk_count


def test_a_streamed_body_in_small_chunks_is_refused_just_past_the_limit(client, app, admin_headers):
    body = CountingBody(chunk=1024, total=STREAM_TOTAL)
    exchange = drive(app, iter(body), headers={**admin_headers, "content-type": "application/json"})
    assert exchange.status == 413
    assert json.loads(exchange.body)["slug"] == "payload-too-large"
    # 64 chunks of 1 KiB fit exactly; the 65th passes the limit.
    assert exchange.receive_calls == LIMIT // 1024 + 1
    assert body.produced < body.chunk_count


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(client, app):
    body = CountingBody(chunk=CHUNK, total=STREAM_TOTAL)
    exchange = drive(
        app,
        iter(body),
        headers={"content-type": "application/json", "content-length": str(STREAM_TOTAL)},
    )
    assert exchange.status == 413
    assert json.loads(exchange.body)["slug"] == "payload-too-large"
    assert exchange.receive_calls == 0
    assert exchange.headers["connection"] == "close"
    assert exchange.headers["x-request-id"] == json.loads(exchange.body)["request_id"]


def test_a_streamed_body_at_the_limit_reaches_validation(client, app, admin_headers):
    document = _service_json(LIMIT)
    pieces = [document[i : i + 4096] for i in range(0, len(document), 4096)]
    exchange = drive(
        app,
        iter(pieces),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert exchange.status == 422, exchange.body
    assert json.loads(exchange.body)["slug"] == "invalid-request"
    assert exchange.receive_calls >= len(pieces)


def test_a_streamed_body_one_byte_over_the_limit_is_refused(client, app, admin_headers):
    document = _service_json(LIMIT + 1)
    pieces = [document[i : i + 4096] for i in range(0, len(document), 4096)]
    exchange = drive(
        app,
        iter(pieces),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert exchange.status == 413
    assert json.loads(exchange.body)["slug"] == "payload-too-large"
