"""SQL for services."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.models import Service


class ServiceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, name: str) -> Service | None:
        return self.session.scalars(select(Service).where(Service.name == name)).one_or_none()

    def name_of(self, service_id: int) -> str:
        """The name of a service known to exist (a foreign key names it)."""
        return self.session.execute(
            select(Service.name).where(Service.id == service_id)
        ).scalar_one()

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
