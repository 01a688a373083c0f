"""SQL for artifacts."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.services.models import Service


class ArtifactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_digest(self, digest: str, *, for_update: bool = False) -> Artifact | None:
        query = select(Artifact).where(Artifact.digest == digest)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

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

    def add(self, artifact: Artifact) -> Artifact:
        self.session.add(artifact)
        self.session.flush()
        return artifact

    def with_service_by_id(self, artifact_id: int) -> tuple[Artifact, str]:
        """An artifact known to exist (a foreign key names it) and its service's name."""
        row = self.session.execute(
            select(Artifact, Service.name)
            .join(Service, Service.id == Artifact.service_id)
            .where(Artifact.id == artifact_id)
        ).one()
        return row[0], row[1]
