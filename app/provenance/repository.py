"""SQL for provenance and its checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.attestations.models import AttestationSubject
from app.provenance.models import Provenance, ProvenanceCheck


class ProvenanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_attestation(self, attestation_id: int) -> tuple[Provenance, ProvenanceCheck] | None:
        """The attestation's provenance with its latest check, if it holds provenance."""
        row = self.session.execute(
            self._with_latest_check().where(Provenance.attestation_id == attestation_id)
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def for_artifact(self, artifact_id: int) -> Sequence[tuple[Provenance, ProvenanceCheck]]:
        """The provenances naming the artifact, oldest first, each with its latest check."""
        query = (
            self._with_latest_check()
            .join(
                AttestationSubject,
                AttestationSubject.attestation_id == Provenance.attestation_id,
            )
            .where(AttestationSubject.artifact_id == artifact_id)
            .order_by(Provenance.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    @staticmethod
    def _with_latest_check() -> Select[Provenance, ProvenanceCheck]:
        latest = (
            select(func.max(ProvenanceCheck.id))
            .where(ProvenanceCheck.provenance_id == Provenance.id)
            .correlate(Provenance)
            .scalar_subquery()
        )
        return select(Provenance, ProvenanceCheck).join(
            ProvenanceCheck, ProvenanceCheck.id == latest
        )
