"""Storage of artifacts: built things, each known by its digest and bound to one service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime
from app.digests import ARTIFACT_DIGEST_MAX

ARTIFACT_NAME_MAX = 500
ARTIFACT_VERSION_MAX = 200


class Artifact(Base):
    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(ARTIFACT_DIGEST_MAX), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(ARTIFACT_NAME_MAX), default=None)
    version: Mapped[str | None] = mapped_column(String(ARTIFACT_VERSION_MAX), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
