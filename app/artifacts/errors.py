"""The problems of artifacts."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class ArtifactNotFound(NotFound):
    slug = "artifact-not-found"
    title = "No such artifact"


class ArtifactOfAnotherService(Conflict):
    slug = "artifact-of-another-service"
    title = "The artifact belongs to another service"
