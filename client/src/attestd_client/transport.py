"""What crosses the wire: the HTTP client, retries, problem details and transport failures.

All HTTP goes through one ``httpx.Client`` whose transport a caller may pass
in, so tests answer with ``httpx.MockTransport`` and need no network.
Redirects are never followed: the token would go with them.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from attestd_client.defaults import (
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY,
    DEFAULT_TIMEOUT,
    MAX_RETRY_DELAY,
)
from attestd_client.safe_text import printable

__all__ = [
    "ACCEPT",
    "DEFAULT_TIMEOUT",
    "RETRY_ERRORS",
    "TLS_HINT",
    "Problem",
    "RetryPolicy",
    "http_client",
    "is_certificate_failure",
    "json_object",
    "parse_json",
    "status_line",
    "transport_failure",
]

# Transport failures a later attempt may not meet.
RETRY_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

TLS_HINT = "the server's certificate is not trusted; give its CA with --ca-bundle FILE"
ACCEPT = "application/json, application/problem+json"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before asking again."""

    retries: int = DEFAULT_RETRIES
    delay: float = DEFAULT_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, …).

        Doubles from ``delay``; a ``Retry-After`` in seconds is honoured up to ``max_delay``.
        """
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_delay)
        return min(self.delay * 2.0 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem the server answered with (or what stood in for one)."""

    title: str
    detail: str
    slug: str | None = None
    reasons: tuple[str, ...] = ()

    @classmethod
    def from_response(cls, response: httpx.Response) -> Problem:
        document = json_object(response)
        phrase = response.reason_phrase or f"HTTP {response.status_code}"
        if document is None:
            return cls(title=phrase, detail=_not_problem_detail(response))
        reasons = document.get("reasons")
        return cls(
            title=_text(document.get("title")) or phrase,
            detail=_text(document.get("detail")) or "",
            slug=_text(document.get("slug")) or None,
            reasons=tuple(_text(r) for r in reasons) if isinstance(reasons, list) else (),
        )

    @property
    def head(self) -> str:
        """``title: detail`` on one line, the detail left out when it only repeats the title."""
        head = printable(self.title)
        if self.detail and self.detail != self.title:
            head += f": {printable(self.detail)}"
        return head

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "detail": self.detail,
            "slug": self.slug,
            "reasons": list(self.reasons),
        }


def http_client(
    *, timeout: float, verify: ssl.SSLContext | bool, transport: httpx.BaseTransport | None
) -> httpx.Client:
    """The client every request goes through; ``transport`` replaces the network in tests."""
    return httpx.Client(timeout=timeout, verify=verify, transport=transport, follow_redirects=False)


def transport_failure(error: httpx.TransportError, timeout: float) -> str:
    """What a failed request met, in one line: a timeout, a refused connection, or else."""
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout:g} s ({type(error).__name__})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect: {printable(str(error)) or type(error).__name__}"
    return f"{type(error).__name__}: {printable(str(error))}"


def is_certificate_failure(error: BaseException) -> bool:
    """Whether ``error`` was caused by a certificate the TLS context does not trust."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def status_line(response: httpx.Response) -> str:
    """``404 Not Found``: the status code and its reason phrase."""
    return f"{response.status_code} {response.reason_phrase}".strip()


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object when it is typed JSON and is one; else None."""
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        return None
    document = parse_json(response.content)
    return document if isinstance(document, dict) else None


def parse_json(content: bytes) -> object | None:
    """``content`` as JSON, or None when it is not (too deep counts as not)."""
    try:
        parsed: object = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return parsed


def _not_problem_detail(response: httpx.Response) -> str:
    media_type = response.headers.get("content-type") or "no content type"
    described = f"the answer is not problem details ({printable(media_type)})"
    excerpt = response.content[:200].decode("utf-8", "replace").strip().splitlines()
    return f"{described}: {printable(excerpt[0])}" if excerpt else described


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
