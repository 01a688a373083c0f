"""SQL for raw documents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.blobs.models import Blob
from app.db.base import utcnow


class BlobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, digest: str) -> bool:
        found = self.session.scalar(select(Blob.digest).where(Blob.digest == digest))
        return found is not None

    def media_type(self, digest: str) -> str:
        """The media type a stored document was submitted with."""
        return self.session.execute(
            select(Blob.media_type).where(Blob.digest == digest)
        ).scalar_one()

    def content(self, digest: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a stored document, or None."""
        row = self.session.execute(
            select(Blob.media_type, Blob.content).where(Blob.digest == digest)
        ).one_or_none()
        return None if row is None else (row.media_type, row.content)

    def add(self, digest: str, content: bytes, media_type: str) -> None:
        """Keep ``content`` under ``digest`` unless it is already kept."""
        if self.exists(digest):
            return
        self.session.add(
            Blob(
                digest=digest,
                size=len(content),
                media_type=media_type,
                content=content,
                created_at=utcnow(),
            )
        )
        self.session.flush()
