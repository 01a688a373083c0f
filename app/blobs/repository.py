"""SQL for raw documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.blobs.models import Blob

# Documents up to this size are written with their bytes bound to one INSERT;
# on SQLite the copy of the bytes kept with the cached statement is then small.
SMALL_DOCUMENT_MAX = 1024 * 1024

_BLOBS = cast(Table, Blob.__table__)

# Built once: a submission runs one of these, and building a statement costs
# more than executing it on SQLite.
_EXISTS = select(_BLOBS.c.digest).where(_BLOBS.c.digest == bindparam("digest"))
_MEDIA_TYPE = select(_BLOBS.c.media_type).where(_BLOBS.c.digest == bindparam("digest"))
_CONTENT = select(_BLOBS.c.media_type, _BLOBS.c.content).where(
    _BLOBS.c.digest == bindparam("digest")
)
# A document already kept under its digest is the same bytes: nothing to write.
_INSERT_IF_NEW: dict[str, Insert] = {
    "sqlite": sqlite.insert(_BLOBS).on_conflict_do_nothing(index_elements=[_BLOBS.c.digest]),
    "postgresql": postgresql.insert(_BLOBS).on_conflict_do_nothing(
        index_elements=[_BLOBS.c.digest]
    ),
}
_INSERT_ZEROBLOB = insert(_BLOBS).values(content=func.zeroblob(bindparam("size_of_content")))


class BlobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, digest: str) -> bool:
        found = self.session.connection().execute(_EXISTS, {"digest": digest}).scalar()
        return found is not None

    def media_type(self, digest: str) -> str:
        """The media type a stored document was submitted with."""
        found: str = self.session.connection().execute(_MEDIA_TYPE, {"digest": digest}).scalar_one()
        return found

    def content(self, digest: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a stored document, or None."""
        row = self.session.connection().execute(_CONTENT, {"digest": digest}).one_or_none()
        return None if row is None else (row.media_type, row.content)

    def add(self, digest: str, content: bytes, media_type: str, *, now: datetime) -> None:
        """Keep ``content`` under ``digest`` unless it is already kept."""
        values: dict[str, Any] = {
            "digest": digest,
            "size": len(content),
            "media_type": media_type,
            "created_at": now,
        }
        connection = self.session.connection()
        dialect = connection.dialect.name
        if dialect != "sqlite" or len(content) <= SMALL_DOCUMENT_MAX:
            connection.execute(_INSERT_IF_NEW[dialect], {**values, "content": content})
            return
        if self.exists(digest):
            return
        # SQLite copies a bound blob and keeps the copy with the cached statement
        # until that statement runs again: a document-sized allocation that outlives
        # the request. Written through a blob handle, the bytes go straight to pages.
        result = connection.execute(_INSERT_ZEROBLOB, {**values, "size_of_content": len(content)})
        driver: Any = connection.connection.driver_connection
        with driver.blobopen("blobs", "content", result.lastrowid) as handle:
            handle.write(content)
