"""SQL for artifacts.

The statements a submission runs on every bound digest are built once: building
a statement (and its cache key) costs more than running it on SQLite.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import cast

from sqlalchemy import Insert, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from app.artifacts.errors import ArtifactNotFound
from app.artifacts.models import Artifact
from app.services.models import Service

_ARTIFACTS = cast(Table, Artifact.__table__)

_BY_DIGEST = select(Artifact).where(Artifact.digest == bindparam("digest"))
_BY_DIGEST_FOR_UPDATE = _BY_DIGEST.with_for_update()
# INSERT … ON CONFLICT (digest) DO NOTHING RETURNING id: no id back means the
# digest is taken, and no savepoint is needed to survive the unique violation.
_INSERT_NEW: dict[str, Insert] = {
    "sqlite": sqlite.insert(_ARTIFACTS)
    .on_conflict_do_nothing(index_elements=[_ARTIFACTS.c.digest])
    .returning(_ARTIFACTS.c.id),
    "postgresql": postgresql.insert(_ARTIFACTS)
    .on_conflict_do_nothing(index_elements=[_ARTIFACTS.c.digest])
    .returning(_ARTIFACTS.c.id),
}


class ArtifactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_digest(self, digest: str, *, for_update: bool = False) -> Artifact | None:
        query = _BY_DIGEST_FOR_UPDATE if for_update else _BY_DIGEST
        return self.session.scalars(query, {"digest": digest}).one_or_none()

    def require(self, digest: str) -> Artifact:
        """The artifact with this digest; ``ArtifactNotFound`` when there is none."""
        artifact = self.by_digest(digest)
        if artifact is None:
            raise ArtifactNotFound(f"No artifact has the digest {digest}.")
        return artifact

    def add_new(
        self,
        *,
        digest: str,
        service_id: int,
        name: str | None,
        version: str | None,
        created_at: datetime,
    ) -> Artifact | None:
        """The artifact inserted now, part of the session; None when ``digest`` is taken.

        A concurrent insert of the same digest is waited for (PostgreSQL) and then
        counts as taken once it commits.
        """
        connection = self.session.connection()
        values = {
            "digest": digest,
            "service_id": service_id,
            "name": name,
            "version": version,
            "created_at": created_at,
        }
        new_id = connection.execute(_INSERT_NEW[connection.dialect.name], values).scalar()
        if new_id is None:
            return None
        artifact = Artifact(id=new_id, **values)
        # Known as stored, as if just loaded: later changes to it are flushed as UPDATEs.
        make_transient_to_detached(artifact)
        self.session.add(artifact)
        return artifact

    def with_service(self, digest: str) -> tuple[Artifact, str] | None:
        """An artifact and the name of its service."""
        row = self.session.execute(
            select(Artifact, Service.name)
            .join(Service, Service.id == Artifact.service_id)
            .where(Artifact.digest == digest)
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def digests_and_services(self, artifact_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """artifact id -> (digest, service name) for the given ids."""
        if not artifact_ids:
            return {}
        rows = self.session.execute(
            select(Artifact.id, Artifact.digest, Service.name)
            .join(Service, Service.id == Artifact.service_id)
            .where(Artifact.id.in_(sorted(artifact_ids)))
        ).all()
        return {row[0]: (row[1], row[2]) for row in rows}

    def with_service_by_id(self, artifact_id: int) -> tuple[Artifact, str]:
        """An artifact known to exist (a foreign key names it) and its service's name."""
        row = self.session.execute(
            select(Artifact, Service.name)
            .join(Service, Service.id == Artifact.service_id)
            .where(Artifact.id == artifact_id)
        ).one()
        return row[0], row[1]
