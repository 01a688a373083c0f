"""Binding evidence to artifacts: each digest belongs to exactly one service.

An SBOM, a signature or an attestation names the artifacts it is about; each
becomes an artifact of the submitting service when it is new, or joins the one
already there, and is refused when another service owns that digest.
"""

from __future__ import annotations

from datetime import datetime

from app.artifacts.errors import ArtifactOfAnotherService
from app.artifacts.models import ARTIFACT_NAME_MAX, ARTIFACT_VERSION_MAX, Artifact
from app.artifacts.repository import ArtifactRepository


class ArtifactVanished(RuntimeError):
    """An artifact's digest was taken by another transaction, yet no row holds it."""


def bind_artifact(
    artifacts: ArtifactRepository,
    digest: str,
    service_id: int,
    *,
    name: str | None = None,
    version: str | None = None,
    now: datetime,
) -> tuple[Artifact, bool]:
    """The artifact ``digest`` of this service, locked, and whether it was created now.

    ``name`` and ``version`` name a new artifact, or one that has no name yet.
    Concurrent submissions lock the row; callers binding several digests bind
    them in sorted order, so two of them never wait on each other.
    """
    created = False
    artifact = artifacts.by_digest(digest, for_update=True)
    if artifact is None:
        artifact = artifacts.add_new(
            digest=digest,
            service_id=service_id,
            name=clip(name, ARTIFACT_NAME_MAX),
            version=clip(version, ARTIFACT_VERSION_MAX),
            created_at=now,
        )
        created = artifact is not None
    if artifact is None:
        # Created by a concurrent submission that committed first.
        artifact = artifacts.by_digest(digest, for_update=True)
        if artifact is None:
            raise ArtifactVanished(digest)
    if artifact.service_id != service_id:
        owner = artifacts.with_service_by_id(artifact.id)[1]
        raise ArtifactOfAnotherService(
            f"The artifact {digest} belongs to the service {owner!r}.",
            reasons=[f"{digest} is bound to service {owner!r}"],
        )
    if artifact.name is None and name:
        artifact.name = clip(name, ARTIFACT_NAME_MAX)
        artifact.version = clip(version, ARTIFACT_VERSION_MAX)
    return artifact, created


def clip(value: str | None, limit: int) -> str | None:
    """``value`` cut to ``limit`` characters; None for None or ""."""
    return value[:limit] if value else None
