"""The checks both commands make before anything is sent, and where their defaults come from.

A release job should need no flags beyond its files, so two settings come from
the environment when the command line does not give them:

* ``ATTESTD_SERVER``: the server's base URL, when ``--server`` is absent;
* ``ATTESTD_TOKEN``: the variable that holds the token, when ``--token-env`` is
  absent. ``--token-env VAR`` names another variable; the token itself is never
  taken from the command line, where ``ps`` and CI logs would show it.

Each check raises ``UsageError`` naming the argument and what is wrong with it,
except the token's: a token variable that is unset, empty or malformed is the
job's configuration (``TokenMissing``), not its command line.
``ArgumentProblems`` collects them so that a run lists every problem at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from attestd_client.defaults import SERVER_VARIABLE, TOKEN_VARIABLE
from attestd_client.errors import TokenMissing, UsageError
from attestd_client.safe_text import quoted

__all__ = [
    "PLAIN_HTTP_WARNING",
    "SERVER_VARIABLE",
    "TOKEN_VARIABLE",
    "ArgumentProblems",
    "check_digest",
    "check_key_id",
    "check_server_url",
    "is_artifact_digest",
    "is_service_name",
    "read_token",
    "resolve_server",
    "sends_token_in_clear",
    "tls_context",
]

PLAIN_HTTP_WARNING = (
    "warning: --server is plain http to a host that is not loopback; the token "
    "crosses the network unencrypted"
)

# What an artifact digest looks like on the wire; upper-case hex is accepted and lowered.
_ARTIFACT_DIGEST = re.compile(
    r"^(?:[Ss][Hh][Aa]256:[0-9A-Fa-f]{64}|[Ss][Hh][Aa]512:[0-9A-Fa-f]{128})$"
)
# A DNS-label-like slug: lower-case letters, digits and inner hyphens (the server's rule).
_SERVICE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# RFC 6750 b64token: what a bearer token may contain.
_BEARER_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A key id as GET /v1/keys gives it: the hex SHA-256 of the DER SubjectPublicKeyInfo.
_KEY_ID = re.compile(r"^[0-9A-Fa-f]{64}$")
_TOKEN_PREFIX = "atd_"  # noqa: S105 - a prefix, not a secret

T = TypeVar("T")


class ArgumentProblems:
    """The problems found with a run's arguments, collected to be reported all at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.token_missing: TokenMissing | None = None

    def add(self, message: str) -> None:
        self.messages.append(message)

    def check(self, check: Callable[[], T]) -> T | None:
        """``check()``, or None with its ``UsageError`` (or ``TokenMissing``) kept."""
        try:
            return check()
        except UsageError as error:
            self.messages.extend(error.messages)
        except TokenMissing as error:
            self.token_missing = error
        return None

    def __bool__(self) -> bool:
        return bool(self.messages) or self.token_missing is not None

    def error(self) -> UsageError | TokenMissing:
        """``UsageError`` listing every problem, the token's too; else the ``TokenMissing``.

        A wrong command line comes first: until it is right, the token's
        variable may not even be the one meant.
        """
        token = self.token_missing.messages if self.token_missing is not None else ()
        if self.token_missing is not None and not self.messages:
            return self.token_missing
        return UsageError(*self.messages, *token)


def resolve_server(given: str | None, environ: Mapping[str, str]) -> str:
    """The server's base URL from ``--server``, else ``ATTESTD_SERVER``; checked."""
    if given is not None:
        return check_server_url(given)
    from_environment = environ.get(SERVER_VARIABLE, "").strip()
    if not from_environment:
        raise UsageError(
            f"no server: give --server URL or set {SERVER_VARIABLE} to the attestd base URL"
        )
    return check_server_url(from_environment, source=SERVER_VARIABLE)


def check_server_url(url: str, *, source: str = "--server") -> str:
    """The base URL of the server without a trailing ``/``; only http(s), no credentials."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise UsageError(f"{source} {quoted(url)} is not an http:// or https:// URL with a host")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UsageError(f"{source} {quoted(url)} must not contain spaces or control characters")
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        raise UsageError(f"{source} {quoted(url)} is not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        # Said without the URL, which holds a secret.
        raise UsageError(f"{source} must not hold credentials: the token comes from --token-env")
    if parts.query or parts.fragment:
        raise UsageError(f"{source} {quoted(url)} must not have a query or a fragment")
    return url.rstrip("/")


def sends_token_in_clear(server: str) -> bool:
    """Whether a bearer token sent to ``server`` crosses a network unencrypted.

    Plain http to anything but loopback (``localhost``, 127.0.0.0/8, ``::1``).
    """
    parts = urlsplit(server)
    host = parts.hostname or ""
    if parts.scheme != "http" or host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def read_token(variable: str | None, environ: Mapping[str, str]) -> str:
    """The bearer token in the variable ``--token-env`` names (``ATTESTD_TOKEN`` by default).

    ``UsageError`` when ``variable`` is no variable name (perhaps the token
    itself, which is not repeated); ``TokenMissing`` when the variable is
    unset, empty or holds what no bearer token can be. The token is never echoed.
    """
    if variable is None:
        variable = TOKEN_VARIABLE
        or_else = " (or give --token-env VAR to read it from another variable)"
    else:
        or_else = ""
    if variable.startswith(_TOKEN_PREFIX) or not _VARIABLE_NAME.fullmatch(variable):
        # Not repeated: a token given here by mistake must not reach the log.
        raise UsageError(
            "--token-env takes the NAME of an environment variable that holds the token "
            f"(e.g. {TOKEN_VARIABLE}), not the token itself"
        )
    value = environ.get(variable)
    if value is None:
        raise TokenMissing(
            f"the environment variable {variable} is not set; it must hold the attestd "
            f"token{or_else}"
        )
    token = value.strip()
    if not token:
        raise TokenMissing(
            f"the environment variable {variable} is empty; it must hold the attestd token{or_else}"
        )
    if not _BEARER_TOKEN.fullmatch(token):
        raise TokenMissing(
            f"the environment variable {variable} does not hold a bearer token: it has "
            "characters a token cannot have"
        )
    return token


def is_artifact_digest(text: str) -> bool:
    """Whether ``text`` is ``sha256:<64 hex>`` or ``sha512:<128 hex>`` (any case)."""
    return _ARTIFACT_DIGEST.fullmatch(text) is not None


def check_digest(text: str, *, option: str) -> str:
    """An artifact digest given as ``option``, in its stored spelling (lower case)."""
    if not is_artifact_digest(text):
        raise UsageError(
            f"{option} {quoted(text)} is not sha256:<64 hex digits> or sha512:<128 hex digits>"
        )
    return text.lower()


def check_key_id(text: str) -> str:
    """``--key-id``: a key id as ``GET /v1/keys`` gives it, in lower case."""
    if not _KEY_ID.fullmatch(text):
        raise UsageError(
            f"--key-id {quoted(text)} is not a key id: 64 hex digits, the SHA-256 of the key's "
            "DER SubjectPublicKeyInfo (the key_id of GET /v1/keys)"
        )
    return text.lower()


def is_service_name(name: str) -> bool:
    """Whether ``name`` can be a service's name: lower-case letters, digits, inner hyphens."""
    return _SERVICE_NAME.fullmatch(name) is not None


def tls_context(ca_bundle: Path) -> ssl.SSLContext:
    """A verifying TLS context that trusts the certificates in ``ca_bundle`` (PEM)."""
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_bundle))
    except FileNotFoundError:
        raise UsageError(f"--ca-bundle {ca_bundle}: no such file") from None
    except OSError as error:
        # ssl.SSLError is an OSError; its strerror is None, its str says what failed.
        why = error.strerror or str(error)
        raise UsageError(f"--ca-bundle {ca_bundle}: not a PEM certificate bundle ({why})") from None
