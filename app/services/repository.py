"""SQL for services.

The lookups every submission runs are built once: building a statement (and its
cache key) costs more than running it on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.services.errors import ServiceNotFound
from app.services.models import Service

_BY_NAME = select(Service).where(Service.name == bindparam("name"))
_NAME_OF = select(Service.name).where(Service.id == bindparam("service_id"))


class ServiceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str) -> Service | None:
        """The service called ``name``, if any (``require`` when it must exist)."""
        return self.session.scalars(_BY_NAME, {"name": name}).one_or_none()

    def require(self, name: str) -> Service:
        """The service called ``name``; ``ServiceNotFound`` when there is none."""
        service = self.by_name(name)
        if service is None:
            raise ServiceNotFound(f"No service is named {name!r}.")
        return service

    def name_of(self, service_id: int) -> str:
        """The name of a service known to exist (a foreign key names it)."""
        return self.session.execute(_NAME_OF, {"service_id": service_id}).scalar_one()

    def page(self, *, after: str | None, limit: int) -> Sequence[Service]:
        """Up to ``limit`` services in name order, after the name ``after``."""
        query = select(Service).order_by(Service.name).limit(limit)
        if after is not None:
            query = query.where(Service.name > after)
        return self.session.scalars(query).all()

    def add(self, service: Service) -> Service:
        self.session.add(service)
        self.session.flush()
        return service
