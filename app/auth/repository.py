"""SQL for API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import ApiToken


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_digest(self, digest: bytes) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(ApiToken.secret_sha256 == digest)
        ).one_or_none()

    def by_name(self, name: str) -> ApiToken | None:
        return self.session.scalars(select(ApiToken).where(ApiToken.name == name)).one_or_none()

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
        self.session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
        )
