"""SQL for service policies: the version in force, stored versions, new versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.policy.models import ServicePolicy
from app.services.models import Service

_SERVICE_FOR_UPDATE = select(Service).where(Service.name == bindparam("name")).with_for_update()
_LATEST_POLICY = (
    select(ServicePolicy)
    .where(ServicePolicy.service_id == bindparam("service_id"))
    .order_by(ServicePolicy.version.desc())
    .limit(1)
)


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def service_for_update(self, name: str) -> Service | None:
        """The service called ``name``, locked until the transaction ends.

        Two concurrent policy updates of one service then queue instead of both
        reading version N and both inserting N + 1. (SQLite has no row locks; its
        ``BEGIN IMMEDIATE`` transactions already run one writer at a time.)
        """
        return self.session.scalars(_SERVICE_FOR_UPDATE, {"name": name}).one_or_none()

    def latest(self, service_id: int) -> ServicePolicy | None:
        """The policy version in force for the service: its highest."""
        return self.session.scalars(_LATEST_POLICY, {"service_id": service_id}).one_or_none()

    def version(self, service_id: int, number: int) -> ServicePolicy | None:
        query = select(ServicePolicy).where(
            ServicePolicy.service_id == service_id, ServicePolicy.version == number
        )
        return self.session.scalars(query).one_or_none()

    def versions(self, service_id: int) -> Sequence[ServicePolicy]:
        """Every stored version of the service's policy, oldest first."""
        query = (
            select(ServicePolicy)
            .where(ServicePolicy.service_id == service_id)
            .order_by(ServicePolicy.version)
        )
        return self.session.scalars(query).all()

    def add(self, policy: ServicePolicy) -> ServicePolicy:
        self.session.add(policy)
        self.session.flush()
        return policy
