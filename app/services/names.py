"""Rules for service names and repository URLs. Pure: no database, no web framework."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SERVICE_NAME_MAX = 63
# A DNS-label-like slug: lower-case letters, digits and inner hyphens.
SERVICE_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_SERVICE_NAME = re.compile(SERVICE_NAME_PATTERN)

REPOSITORY_MAX = 2048
_HOST = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
# Hosts whose repository URLs are exactly https://HOST/OWNER/NAME.
_OWNER_NAME_HOSTS = frozenset({"github.com"})


def is_valid_service_name(name: str) -> bool:
    return _SERVICE_NAME.fullmatch(name) is not None


def normalize_repository(url: str) -> str:
    """The canonical form of a source repository URL, or ValueError saying what is wrong.

    Canonical: ``https://host[:port]/path`` with a lower-case host, no default
    port, no credentials, query or fragment, and no trailing ``/`` or ``.git``.
    """
    if len(url) > REPOSITORY_MAX:
        raise ValueError(f"repository URL is longer than {REPOSITORY_MAX} characters")
    if url != url.strip() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("repository URL must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ValueError("repository must be an https:// URL")
    if "@" in parts.netloc:
        raise ValueError("repository URL must not carry credentials")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("repository URL must not have a query or fragment")
    host = (parts.hostname or "").lower()
    if not _HOST.fullmatch(host):
        raise ValueError("repository URL needs a valid host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("repository URL has an invalid port") from None
    if port == 0:
        raise ValueError("repository URL has an invalid port")
    netloc = host if port in (None, 443) else f"{host}:{port}"

    # Only one trailing "/" and then one ".git" are dropped, and only from the
    # last segment: "x/.git" or "x//" would otherwise lose a segment, and a
    # name still ending in ".git" would not be canonical (nor idempotent).
    path = parts.path.removesuffix("/").removesuffix(".git")
    segments = path.split("/")[1:] if path.startswith("/") else []
    if not segments or any(not _SEGMENT.fullmatch(s) or s in {".", ".."} for s in segments):
        raise ValueError(
            "repository URL needs a path such as /owner/name, without empty or dot segments"
        )
    if segments[-1].endswith(".git"):
        raise ValueError("repository URL may end in .git only once")
    if host in _OWNER_NAME_HOSTS and len(segments) != 2:
        raise ValueError(f"a {host} repository URL is https://{host}/OWNER/NAME")
    return f"https://{netloc}/{'/'.join(segments)}"
