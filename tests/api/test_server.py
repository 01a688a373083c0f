"""The application behind a real HTTP server (uvicorn on loopback), spoken to over sockets.

What only a real server shows: a body refused while the client is still
sending it, and a declared length refused before any of the body is sent.
Every socket has a timeout, so a server that waits for the whole body makes
the test fail instead of hang.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest

from tests.builders.credentials import bearer
from tests.servers import LiveServer, serve_in_thread

LIMIT = 64 * 1024
TIMEOUT = 5.0


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The test's app served by uvicorn in a thread, on a free loopback port."""
    with serve_in_thread(app, timeout=TIMEOUT) as server:
        yield server


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def read_response(sock: socket.socket) -> RawResponse:
    """Read one HTTP/1.1 response with a Content-Length from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"connection closed before the response head: {data!r}"
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(body) < length:
        piece = sock.recv(65536)
        assert piece, "connection closed inside the response body"
        body += piece
    return RawResponse(int(status_line.split()[1]), headers, body[:length])


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: attestd.test",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked_post_head(headers: dict[str, str]) -> bytes:
    """The head of a POST of a chunked JSON body to /v1/services."""
    chunked = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    return request_head("POST", "/v1/services", {**headers, **chunked})


def chunk_frame(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@dataclass
class ChunkSource:
    """An upload produced chunk by chunk, counting what the client took from it."""

    chunk: int
    total: int
    taken: int = 0

    @property
    def chunk_count(self) -> int:
        return -(-self.total // self.chunk)

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.chunk_count):
            self.taken += 1
            yield b"x" * self.chunk


def answered(sock: socket.socket, wait: float) -> bool:
    readable, _, _ = select.select([sock], [], [], wait)
    return bool(readable)


def test_healthz_over_http(live_server):
    response = httpx2.get(f"{live_server.base_url}/healthz", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["X-Request-ID"]) == 32


def test_problems_over_http(live_server):
    response = httpx2.get(
        f"{live_server.base_url}/v1/nothing", headers={"X-Request-ID": "live-1"}, timeout=TIMEOUT
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["slug"] == "not-found"
    assert response.json()["request_id"] == "live-1"


def test_a_chunked_upload_over_the_limit_is_refused_while_it_is_still_being_sent(
    live_server, admin_headers
):
    # 1.5 MiB in 16 KiB chunks, without a Content-Length. The client stops
    # pushing once it has sent four times the limit and then only waits: a
    # server that needs the whole body before answering never answers.
    source = ChunkSource(chunk=16 * 1024, total=1536 * 1024)
    with live_server.connect() as sock:
        sock.sendall(chunked_post_head({**admin_headers, "X-Request-ID": "chunked-1"}))
        early = False
        for chunk in source:
            sock.sendall(chunk_frame(chunk))
            if answered(sock, 0.02):
                early = True
                break
            if source.taken * source.chunk >= 4 * LIMIT:
                early = answered(sock, TIMEOUT)
                break
        assert early, "no answer before the body was complete"
        response = read_response(sock)
    assert response.status == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "chunked-1"
    problem = response.json()
    assert problem["slug"] == "payload-too-large"
    assert problem["request_id"] == "chunked-1"
    assert problem["instance"] == "/v1/services"
    # Far less than everything was sent.
    assert source.taken * source.chunk <= 4 * LIMIT
    assert source.taken < source.chunk_count // 4


def test_a_declared_length_over_the_limit_is_refused_before_any_body_is_sent(live_server):
    with live_server.connect() as sock:
        sock.sendall(
            request_head(
                "POST",
                "/v1/services",
                {"Content-Type": "application/json", "Content-Length": str(10 * 1024 * 1024)},
            )
        )
        assert answered(sock, TIMEOUT), "no answer to the request head alone"
        response = read_response(sock)
        assert response.status == 413
        assert response.json()["slug"] == "payload-too-large"
        assert response.headers["connection"] == "close"
        # The server hangs up: the unsent body must not be taken for a next request.
        assert sock.recv(1) == b""


def test_a_chunked_upload_within_the_limit_is_read_and_validated(live_server, admin_headers):
    document = json.dumps({"name": "Not A Slug", "repository": "https://github.com/acme/x"})
    with live_server.connect() as sock:
        sock.sendall(chunked_post_head(admin_headers))
        encoded = document.encode()
        for start in range(0, len(encoded), 7):
            sock.sendall(chunk_frame(encoded[start : start + 7]))
        sock.sendall(b"0\r\n\r\n")
        response = read_response(sock)
    assert response.status == 422
    assert response.json()["slug"] == "invalid-request"


def test_a_valid_chunked_upload_creates_the_service(live_server, make_token):
    headers = bearer(make_token("admin", name="live-admin"))
    document = json.dumps({"name": "live", "repository": "https://github.com/acme/live"})
    with live_server.connect() as sock:
        sock.sendall(chunked_post_head(headers))
        sock.sendall(chunk_frame(document.encode()) + b"0\r\n\r\n")
        response = read_response(sock)
    assert response.status == 201, response.body
    assert response.json()["name"] == "live"
