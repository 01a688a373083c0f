"""Storage of raw documents, each kept once under its SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime

# "sha256:" and 64 hex digits.
BLOB_DIGEST_LENGTH = 71


class Blob(Base):
    """The exact bytes of one submitted document, never modified."""

    __tablename__ = "blobs"

    digest: Mapped[str] = mapped_column(String(BLOB_DIGEST_LENGTH), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary(), deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
