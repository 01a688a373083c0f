"""SQL for API tokens.

The statements every authenticated request runs are built once: building a
statement (and its cache key) costs more than running it on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.auth.models import ApiToken

_TOKENS = cast(Table, ApiToken.__table__)

_CREDENTIAL_BY_DIGEST = select(
    _TOKENS.c.id,
    _TOKENS.c.name,
    _TOKENS.c.role,
    _TOKENS.c.services,
    _TOKENS.c.secret_sha256,
    _TOKENS.c.last_used_at,
    _TOKENS.c.revoked_at,
).where(_TOKENS.c.secret_sha256 == bindparam("digest"))
_BY_NAME = select(ApiToken).where(ApiToken.name == bindparam("name"))
_MARK_USED = (
    update(_TOKENS)
    .where(_TOKENS.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("when"))
)


class StoredCredential(NamedTuple):
    """What authenticating a token reads of its row."""

    id: int
    name: str
    role: str
    services: list[str] | None
    secret_sha256: bytes
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def credential(self, digest: bytes) -> StoredCredential | None:
        """The token whose secret hashes to ``digest``, as authentication reads it."""
        row = self.session.connection().execute(_CREDENTIAL_BY_DIGEST, {"digest": digest}).first()
        return None if row is None else StoredCredential(*row)

    def by_name(self, name: str) -> ApiToken | None:
        return self.session.scalars(_BY_NAME, {"name": name}).one_or_none()

    def all(self) -> Sequence[ApiToken]:
        return self.session.scalars(select(ApiToken).order_by(ApiToken.name)).all()

    def active_admin_exists(self) -> bool:
        found = self.session.scalars(
            select(ApiToken.id)
            .where(ApiToken.role == "admin", ApiToken.revoked_at.is_(None))
            .limit(1)
        ).first()
        return found is not None

    def add(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        self.session.flush()
        return token

    def mark_used(self, token_id: int, when: datetime) -> None:
        self.session.connection().execute(_MARK_USED, {"token_id": token_id, "when": when})
