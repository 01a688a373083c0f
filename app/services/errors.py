"""The problems of the services registry."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class ServiceNotFound(NotFound):
    slug = "service-not-found"
    title = "No such service"


class ServiceExists(Conflict):
    slug = "service-exists"
    title = "A service with this name exists"
