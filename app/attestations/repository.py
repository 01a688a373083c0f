"""SQL for attestations, their subjects and receipts.

The statements a submission runs are built once, here: building a statement (and
its cache key) costs more than running it on SQLite. Rows that are only read, or
only written, go through Core on the session's connection, which skips the ORM's
loading and bulk-persistence machinery.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from app.artifacts.models import Artifact
from app.attestations.models import Attestation, AttestationSubject, VerificationReceipt

_SUBJECTS = cast(Table, AttestationSubject.__table__)
_ARTIFACTS = cast(Table, Artifact.__table__)

_ATTESTATION_ID_BY_DIGEST = select(Attestation.id).where(Attestation.digest == bindparam("digest"))
_ATTESTATIONS = cast(Table, Attestation.__table__)
_INSERT_NEW: dict[str, Insert] = {
    "sqlite": sqlite.insert(_ATTESTATIONS)
    .on_conflict_do_nothing(index_elements=[_ATTESTATIONS.c.digest])
    .returning(_ATTESTATIONS.c.id),
    "postgresql": postgresql.insert(_ATTESTATIONS)
    .on_conflict_do_nothing(index_elements=[_ATTESTATIONS.c.digest])
    .returning(_ATTESTATIONS.c.id),
}
_INSERT_SUBJECTS = insert(_SUBJECTS)
_SUBJECTS_OF = (
    select(_SUBJECTS.c.name, _ARTIFACTS.c.digest)
    .join(_ARTIFACTS, _ARTIFACTS.c.id == _SUBJECTS.c.artifact_id)
    .where(_SUBJECTS.c.attestation_id == bindparam("attestation_id"))
    .order_by(_SUBJECTS.c.id)
)
_LATEST_RECEIPT = (
    select(VerificationReceipt)
    .where(VerificationReceipt.attestation_id == bindparam("attestation_id"))
    .order_by(VerificationReceipt.id.desc())
    .limit(1)
)


def _latest_receipt_id() -> Any:
    """The id of the latest receipt of the attestation of the enclosing query."""
    return (
        select(func.max(VerificationReceipt.id))
        .where(VerificationReceipt.attestation_id == Attestation.id)
        .correlate(Attestation)
        .scalar_subquery()
    )


# Run before every judgement: built once (see the module docstring).
_JUDGED_OTHERWISE = (
    select(Attestation, VerificationReceipt)
    .join(VerificationReceipt, VerificationReceipt.id == _latest_receipt_id())
    .where(
        Attestation.id.in_(
            select(AttestationSubject.attestation_id).where(
                AttestationSubject.artifact_id.in_(bindparam("artifact_ids", expanding=True))
            )
        ),
        or_(
            VerificationReceipt.policy_digest != bindparam("policy_digest"),
            VerificationReceipt.trust_roots_digest != bindparam("roots_digest"),
        ),
    )
    .order_by(Attestation.id)
)


class AttestationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_id(self, attestation_id: int) -> Attestation | None:
        return self.session.get(Attestation, attestation_id)

    def by_digest(self, digest: str) -> Attestation | None:
        """The attestation stored from the bytes of ``digest``, if any.

        Almost every submission is new, so the unique index is probed without the ORM
        first; a match is then loaded by its primary key.
        """
        found = (
            self.session.connection()
            .execute(_ATTESTATION_ID_BY_DIGEST, {"digest": digest})
            .scalar_one_or_none()
        )
        return None if found is None else self.session.get(Attestation, found)

    def add_new(self, values: dict[str, Any]) -> Attestation | None:
        """The attestation inserted now, part of the session; None when its digest is taken.

        A concurrent insert of the same bytes is waited for (PostgreSQL) and then
        counts as taken once it commits: the caller answers with the stored one.
        """
        connection = self.session.connection()
        new_id = connection.execute(_INSERT_NEW[connection.dialect.name], values).scalar()
        if new_id is None:
            return None
        attestation = Attestation(id=new_id, **values)
        # Known as stored, as if just loaded: later changes to it are flushed as UPDATEs.
        make_transient_to_detached(attestation)
        self.session.add(attestation)
        return attestation

    def add_subjects(self, attestation_id: int, subjects: Sequence[tuple[int, str | None]]) -> None:
        """(artifact id, name) pairs, one statement for all of them."""
        if not subjects:
            return
        self.session.connection().execute(
            _INSERT_SUBJECTS,
            [
                {"attestation_id": attestation_id, "artifact_id": artifact_id, "name": name}
                for artifact_id, name in subjects
            ],
        )

    def subjects(self, attestation_id: int) -> Sequence[tuple[str | None, str]]:
        """(name, artifact digest) of each subject, in the order they were stored."""
        rows = self.session.connection().execute(_SUBJECTS_OF, {"attestation_id": attestation_id})
        return [(row[0], row[1]) for row in rows]

    def artifact_ids(self, attestation_id: int) -> list[int]:
        """The ids of the artifacts the attestation names."""
        query = select(AttestationSubject.artifact_id).where(
            AttestationSubject.attestation_id == attestation_id
        )
        return list(self.session.scalars(query))

    def add_receipt(self, receipt: VerificationReceipt) -> VerificationReceipt:
        """Add ``receipt`` to the session: it is inserted, and gets its id, at the next flush.

        Not flushed here, so that the audit index set on it afterwards goes into the
        INSERT rather than into an UPDATE of its own.
        """
        self.session.add(receipt)
        return receipt

    def latest_receipt(self, attestation_id: int) -> VerificationReceipt:
        """The most recent receipt; every stored attestation has one from its upload."""
        return self.session.scalars(_LATEST_RECEIPT, {"attestation_id": attestation_id}).one()

    def judged_otherwise(
        self, artifact_ids: Collection[int], policy_digest: str, trust_roots_digest: str
    ) -> Sequence[tuple[Attestation, VerificationReceipt]]:
        """Attestations naming these artifacts whose latest receipt was made under another
        policy or other trust roots, oldest first, each with that receipt."""
        if not artifact_ids:
            return []
        parameters = {
            "artifact_ids": sorted(artifact_ids),
            "policy_digest": policy_digest,
            "roots_digest": trust_roots_digest,
        }
        return [(row[0], row[1]) for row in self.session.execute(_JUDGED_OTHERWISE, parameters)]

    def of_service(self, service_id: int) -> Sequence[tuple[Attestation, VerificationReceipt]]:
        """Every attestation of the service, oldest first, each with its latest receipt."""
        query = (
            select(Attestation, VerificationReceipt)
            .join(VerificationReceipt, VerificationReceipt.id == _latest_receipt_id())
            .where(Attestation.service_id == service_id)
            .order_by(Attestation.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def for_artifact(self, artifact_id: int) -> Sequence[tuple[Attestation, VerificationReceipt]]:
        """The attestations naming the artifact, oldest first, each with its latest receipt."""
        query = (
            select(Attestation, VerificationReceipt)
            .join(AttestationSubject, AttestationSubject.attestation_id == Attestation.id)
            .join(VerificationReceipt, VerificationReceipt.id == _latest_receipt_id())
            .where(AttestationSubject.artifact_id == artifact_id)
            .order_by(Attestation.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]
