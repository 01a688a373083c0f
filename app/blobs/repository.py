"""SQL for raw documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
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
        query = select(Blob.media_type).where(Blob.digest == digest)
        return self.session.execute(query).scalar_one()

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
        values: dict[str, Any] = {
            "digest": digest,
            "size": len(content),
            "media_type": media_type,
            "created_at": utcnow(),
        }
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            connection.execute(insert(Blob).values(content=content, **values))
            return
        # SQLite copies a bound blob and keeps the copy with the cached statement
        # until that statement runs again: a document-sized allocation that outlives
        # the request. Written through a blob handle, the bytes go straight to pages.
        result = connection.execute(
            insert(Blob).values(content=func.zeroblob(len(content)), **values)
        )
        driver: Any = connection.connection.driver_connection
        with driver.blobopen("blobs", "content", result.lastrowid) as handle:
            handle.write(content)
