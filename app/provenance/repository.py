"""SQL for provenance and its checks."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import BigInteger, ColumnElement, Select, and_, func, literal, select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.attestations.models import Attestation, AttestationSubject, VerificationReceipt
from app.provenance.consistency import ListedComponent
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.reproducibility import BuildClaim
from app.sboms.models import Component, Sbom


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


def components_named(
    session: Session, artifact_id: int, purl_keys: Collection[str]
) -> list[ListedComponent]:
    """The artifact's SBOM components whose purl has one of ``purl_keys`` (index-backed)."""
    if not purl_keys:
        return []
    query = select(
        Component.sbom_id, Component.purl_key, Component.purl_version, Component.hashes
    ).where(Component.purl_key.in_(sorted(purl_keys)), Component.artifact_id == artifact_id)
    return [
        ListedComponent(
            sbom_id=row[0], purl_key=row[1] or "", version=row[2] or None, hashes=row[3]
        )
        for row in session.execute(query)
    ]


class ReleaseRepository:
    """Releases: a service's artifacts grouped by name and version."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def page(
        self, service_id: int, *, before: int | None, limit: int
    ) -> Sequence[tuple[str, str, int]]:
        """(name, version, newest artifact id) of releases, newest first."""
        newest = func.max(Artifact.id).label("newest")
        query = (
            select(Artifact.name, Artifact.version, newest)
            .where(
                Artifact.service_id == service_id,
                Artifact.name.is_not(None),
                Artifact.version.is_not(None),
            )
            .group_by(Artifact.name, Artifact.version)
            .order_by(newest.desc())
            .limit(limit)
        )
        if before is not None:
            # A cursor may hold any 64-bit id; the id column may be 32-bit (PostgreSQL).
            query = query.having(newest < literal(before, BigInteger))
        return [(row[0] or "", row[1] or "", row[2]) for row in self.session.execute(query)]

    def artifacts(self, service_id: int, name: str, version: str) -> Sequence[Artifact]:
        query = (
            select(Artifact)
            .where(
                Artifact.service_id == service_id,
                Artifact.name == name,
                Artifact.version == version,
            )
            .order_by(Artifact.id)
        )
        return self.session.scalars(query).all()

    def evidence_digests(self, service_id: int, name: str, version: str) -> dict[str, set[str]]:
        """Kind of evidence -> digests of the release's artifacts that have it."""
        in_release = (
            Artifact.service_id == service_id,
            Artifact.name == name,
            Artifact.version == version,
        )
        queries = {
            "sbom": select(Artifact.digest).join(Sbom, Sbom.artifact_id == Artifact.id),
            "signature": select(Artifact.digest)
            .join(AttestationSubject, AttestationSubject.artifact_id == Artifact.id)
            .join(Attestation, Attestation.id == AttestationSubject.attestation_id)
            .where(Attestation.kind == "signature"),
            "provenance": select(Artifact.digest)
            .join(AttestationSubject, AttestationSubject.artifact_id == Artifact.id)
            .join(Provenance, Provenance.attestation_id == AttestationSubject.attestation_id),
        }
        return {
            kind: set(self.session.scalars(query.where(*in_release).distinct()))
            for kind, query in queries.items()
        }

    def builds(self, service_id: int, name: str, version: str) -> list[BuildClaim]:
        """The builds of the release's artifacts (``build_claims``)."""
        rows = build_claims(
            self.session,
            Artifact.service_id == service_id,
            Artifact.name == name,
            Artifact.version == version,
        )
        return [claim for _, claim in rows]


def _verified(judged_under: tuple[str, str] | None) -> ColumnElement[bool]:
    if judged_under is None:
        return VerificationReceipt.verified.expression
    policy_digest, roots_digest = judged_under
    return and_(
        VerificationReceipt.verified,
        VerificationReceipt.policy_digest == policy_digest,
        VerificationReceipt.trust_roots_digest == roots_digest,
        ProvenanceCheck.policy_digest == policy_digest,
        ProvenanceCheck.trust_roots_digest == roots_digest,
        ProvenanceCheck.slsa_level >= 1,
    )


def build_claims(
    session: Session, *where: ColumnElement[bool], judged_under: tuple[str, str] | None = None
) -> list[tuple[int, BuildClaim]]:
    """(artifact id, build) of every provenance naming an artifact ``where`` selects.

    Each build is as the provenance's latest check and its attestation's latest
    receipt left it, oldest attestation first. With ``judged_under`` (the policy and
    trust-roots digests in force), a build counts as verified only when that receipt
    and that check were made under them and the check found a provenance at all
    (level 0: one today's reader refuses).
    """
    latest_check = (
        select(func.max(ProvenanceCheck.id))
        .where(ProvenanceCheck.provenance_id == Provenance.id)
        .correlate(Provenance)
        .scalar_subquery()
    )
    latest_receipt = (
        select(func.max(VerificationReceipt.id))
        .where(VerificationReceipt.attestation_id == Provenance.attestation_id)
        .correlate(Provenance)
        .scalar_subquery()
    )
    query = (
        select(
            Artifact.id,
            # BuildClaim's fields, in order:
            Artifact.digest,
            Provenance.builder_id,
            Provenance.attestation_id,
            VerificationReceipt.signer_subject,
            VerificationReceipt.signer_issuer,
            _verified(judged_under),
            ProvenanceCheck.source_bound,
            ProvenanceCheck.slsa_level,
            ProvenanceCheck.rebuilder,
            ProvenanceCheck.trust_domain,
            VerificationReceipt.claims,
        )
        .join(AttestationSubject, AttestationSubject.artifact_id == Artifact.id)
        .join(Provenance, Provenance.attestation_id == AttestationSubject.attestation_id)
        .join(ProvenanceCheck, ProvenanceCheck.id == latest_check)
        .join(VerificationReceipt, VerificationReceipt.id == latest_receipt)
        .where(*where)
        .order_by(Provenance.attestation_id, Artifact.id)
    )
    return [(row[0], BuildClaim(*row[1:])) for row in session.execute(query)]
