"""Roles, token secrets and their digests. Pure: no database, no web framework."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

TOKEN_PREFIX = "atd_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32  # 256 bits
# 32 bytes in unpadded base64url are 43 characters.
_TOKEN = re.compile(r"^atd_[A-Za-z0-9_-]{43}$")
TOKEN_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # noqa: S105 - a pattern, not a secret
_TOKEN_NAME = re.compile(TOKEN_NAME_PATTERN)


class Role(StrEnum):
    ADMIN = "admin"
    PIPELINE = "pipeline"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role, never its secret."""

    token_id: int
    name: str
    role: Role
    services: tuple[str, ...] | None

    def may_write_to(self, service: str) -> bool:
        """Whether a pipeline token is allowed to submit evidence for ``service``."""
        return self.services is None or service in self.services


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def is_well_formed(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None


def token_digest(token: str) -> bytes:
    """SHA-256 of the token. The secret has 256 bits of entropy, so a fast hash suffices."""
    return hashlib.sha256(token.encode("ascii")).digest()


def digests_match(stored: bytes, presented: bytes) -> bool:
    return hmac.compare_digest(stored, presented)


def is_valid_token_name(name: str) -> bool:
    return _TOKEN_NAME.fullmatch(name) is not None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None when there is none."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
