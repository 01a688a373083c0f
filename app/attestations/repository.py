"""SQL for service policies and for attestations, their subjects and receipts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.attestations.models import (
    Attestation,
    AttestationSubject,
    ServicePolicy,
    VerificationReceipt,
)
from app.sboms.models import Sbom
from app.services.models import Service


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def service_for_update(self, name: str) -> Service | None:
        """The service called ``name``, locked until the transaction ends.

        Two concurrent policy updates of one service then queue instead of both
        reading version N and both inserting N + 1. (SQLite has no row locks; its
        ``BEGIN IMMEDIATE`` transactions already run one writer at a time.)
        """
        query = select(Service).where(Service.name == name).with_for_update()
        return self.session.scalars(query).one_or_none()

    def latest(self, service_id: int) -> ServicePolicy | None:
        """The policy version in force for the service: its highest."""
        query = (
            select(ServicePolicy)
            .where(ServicePolicy.service_id == service_id)
            .order_by(ServicePolicy.version.desc())
            .limit(1)
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


class AttestationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_id(self, attestation_id: int) -> Attestation | None:
        return self.session.get(Attestation, attestation_id)

    def by_digest(self, digest: str) -> Attestation | None:
        query = select(Attestation).where(Attestation.digest == digest)
        return self.session.scalars(query).one_or_none()

    def add(self, attestation: Attestation) -> Attestation:
        self.session.add(attestation)
        self.session.flush()
        return attestation

    def add_subjects(self, attestation_id: int, subjects: Sequence[tuple[int, str | None]]) -> None:
        """(artifact id, name) pairs, one statement for all of them."""
        self.session.execute(
            insert(AttestationSubject),
            [
                {"attestation_id": attestation_id, "artifact_id": artifact_id, "name": name}
                for artifact_id, name in subjects
            ],
        )

    def subjects(self, attestation_id: int) -> Sequence[tuple[str | None, str]]:
        """(name, artifact digest) of each subject, in the order they were stored."""
        query = (
            select(AttestationSubject.name, Artifact.digest)
            .join(Artifact, Artifact.id == AttestationSubject.artifact_id)
            .where(AttestationSubject.attestation_id == attestation_id)
            .order_by(AttestationSubject.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def sbom_of(self, attestation_id: int) -> tuple[int, str] | None:
        """(id, digest) of the SBOM that came as this attestation's predicate."""
        row = self.session.execute(
            select(Sbom.id, Sbom.digest).where(Sbom.attestation_id == attestation_id).limit(1)
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def add_receipt(self, receipt: VerificationReceipt) -> VerificationReceipt:
        self.session.add(receipt)
        self.session.flush()
        return receipt

    def latest_receipt(self, attestation_id: int) -> VerificationReceipt:
        """The most recent receipt; every stored attestation has one from its upload."""
        query = (
            select(VerificationReceipt)
            .where(VerificationReceipt.attestation_id == attestation_id)
            .order_by(VerificationReceipt.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).one()

    def for_artifact(self, artifact_id: int) -> Sequence[tuple[Attestation, VerificationReceipt]]:
        """The attestations naming the artifact, oldest first, each with its latest receipt."""
        latest = (
            select(func.max(VerificationReceipt.id))
            .where(VerificationReceipt.attestation_id == Attestation.id)
            .correlate(Attestation)
            .scalar_subquery()
        )
        query = (
            select(Attestation, VerificationReceipt)
            .join(AttestationSubject, AttestationSubject.attestation_id == Attestation.id)
            .join(VerificationReceipt, VerificationReceipt.id == latest)
            .where(AttestationSubject.artifact_id == artifact_id)
            .order_by(Attestation.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]
