"""Storage of service policies: every version, never edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import CREATED_BY_MAX, Base, UTCDateTime

POLICY_DIGEST_LENGTH = 71  # "sha256:" and 64 hex digits


class ServicePolicy(Base):
    """One version of a service's policy; the highest version is the one in force."""

    __tablename__ = "service_policies"
    __table_args__ = (
        UniqueConstraint("service_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    version: Mapped[int]
    # The policy as model_dump(mode="json", exclude_none=True): what the digest covers.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(CREATED_BY_MAX))
