"""SQL for maturity: the facts of a service's releases, snapshots and exceptions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.attestations.models import Attestation, AttestationSubject, VerificationReceipt
from app.policy.models import ServicePolicy
from app.provenance.repository import build_claims
from app.provenance.reproducibility import BuildClaim
from app.sboms.models import Sbom
from app.sboms.profiles import Measures
from app.scoring.facts import BuildFact, BundleFact, SbomFact
from app.scoring.models import MaturitySnapshot, PolicyException
from app.services.models import Service


@dataclass(frozen=True, slots=True)
class SbomRow:
    artifact_id: int
    id: int
    quality_score: float
    signed: bool
    minimum_elements: dict[str, Any] | None
    vulnerabilities_known: bool  # its vulnerabilities were read (app.sboms.models)

    def fact(self) -> SbomFact:
        return SbomFact(
            id=self.id,
            quality_score=self.quality_score,
            signed=self.signed,
            elements=Measures.from_json(self.minimum_elements),
        )


@dataclass(frozen=True, slots=True)
class BundleRow:
    artifact_id: int
    attestation_id: int
    digest: str
    kind: str
    predicate_type: str | None
    verified: bool
    signer_subject: str
    signer_issuer: str
    signer_kind: str | None
    claims: dict[str, str]

    def fact(self) -> BundleFact:
        return BundleFact(
            attestation_id=self.attestation_id,
            kind="signature" if self.kind == "signature" else "attestation",
            predicate_type=self.predicate_type,
            verified=self.verified,
            signer_subject=self.signer_subject,
            signer_issuer=self.signer_issuer,
            signer_kind=self.signer_kind,
            # Source Repository Ref (1.14), else the deprecated GitHub Workflow Ref (1.6).
            signer_ref=self.claims.get("source_repository_ref")
            or self.claims.get("github_workflow_ref"),
        )


@dataclass(frozen=True, slots=True)
class BuildRow:
    artifact_id: int
    claim: BuildClaim

    def fact(self) -> BuildFact:
        return BuildFact(
            attestation_id=self.claim.attestation_id,
            builder_id=self.claim.builder_id,
            slsa_level=self.claim.slsa_level,
            source_bound=self.claim.source_bound,
            verified=self.claim.verified,
        )


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    id: int
    level: int
    score: float
    base_score: float
    computed_at: datetime


_SUMMARY = select(
    MaturitySnapshot.id,
    MaturitySnapshot.level,
    MaturitySnapshot.score,
    MaturitySnapshot.base_score,
    MaturitySnapshot.computed_at,
)


def _latest_receipt_of(attestation_id: Any) -> Any:
    return (
        select(func.max(VerificationReceipt.id))
        .where(VerificationReceipt.attestation_id == attestation_id)
        .correlate_except(VerificationReceipt)
        .scalar_subquery()
    )


# Every bundle naming the artifacts with its latest receipt, verified only when that receipt
# verified it under the (policy, trust-roots) digests given. Built once: it runs on every
# maturity computation, where building it costs more than running it on SQLite.
_BUNDLES = (
    select(
        AttestationSubject.artifact_id,
        Attestation.id,
        Attestation.digest,
        Attestation.kind,
        Attestation.predicate_type,
        and_(
            VerificationReceipt.verified,
            VerificationReceipt.policy_digest == bindparam("policy_digest"),
            VerificationReceipt.trust_roots_digest == bindparam("roots_digest"),
        ),
        VerificationReceipt.signer_subject,
        VerificationReceipt.signer_issuer,
        VerificationReceipt.signer_kind,
        VerificationReceipt.claims,
    )
    .join(Attestation, Attestation.id == AttestationSubject.attestation_id)
    .join(VerificationReceipt, VerificationReceipt.id == _latest_receipt_of(Attestation.id))
    .where(AttestationSubject.artifact_id.in_(bindparam("artifact_ids", expanding=True)))
    .order_by(Attestation.id)
)


class MaturityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_service(self, service_id: int) -> None:
        """Hold the service's row until the transaction ends (SQLite: a no-op, see below).

        Two transactions adding evidence to one service then compute its snapshot one
        after the other, so the later sees the earlier's evidence: on PostgreSQL each
        statement after the lock reads what committed before it. SQLite's ``BEGIN
        IMMEDIATE`` transactions already run one writer at a time.
        """
        # FOR NO KEY UPDATE: rows being inserted for the service hold KEY SHARE locks on it
        # (their foreign keys), which a plain FOR UPDATE would wait for, and deadlock.
        locked = select(Service.id).where(Service.id == service_id).with_for_update(key_share=True)
        self.session.execute(locked)

    # --- artifacts and their evidence ------------------------------------------------------

    def newest_artifact(self, service_id: int) -> Artifact | None:
        query = (
            select(Artifact)
            .where(Artifact.service_id == service_id)
            .order_by(Artifact.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def artifacts_since(
        self, service_id: int, since: datetime, *, limit: int
    ) -> Sequence[Artifact]:
        """The newest ``limit`` artifacts recorded since ``since``, with their releases' others."""
        recent = self.session.scalars(
            select(Artifact)
            .where(Artifact.service_id == service_id, Artifact.created_at >= since)
            .order_by(Artifact.id.desc())
            .limit(limit)
        ).all()
        return self._with_release_mates(service_id, recent)

    def release_of(self, artifact: Artifact) -> Sequence[Artifact]:
        """The artifacts of ``artifact``'s release: its name and version, or itself alone."""
        return self._with_release_mates(artifact.service_id, [artifact])

    def _with_release_mates(
        self, service_id: int, artifacts: Sequence[Artifact]
    ) -> Sequence[Artifact]:
        names = {a.name for a in artifacts if a.name is not None and a.version is not None}
        if not names:
            return artifacts
        versions = {a.version for a in artifacts if a.name is not None and a.version is not None}
        mates = self.session.scalars(
            select(Artifact).where(
                Artifact.service_id == service_id,
                Artifact.name.in_(sorted(names)),
                Artifact.version.in_(sorted(v for v in versions if v is not None)),
            )
        ).all()
        wanted = {(a.name, a.version) for a in artifacts}
        found = {a.id: a for a in artifacts}
        for mate in mates:
            if (mate.name, mate.version) in wanted:
                found.setdefault(mate.id, mate)
        return sorted(found.values(), key=lambda a: a.id)

    def sboms(self, artifact_ids: Collection[int]) -> list[SbomRow]:
        """What the checks read of every SBOM of the artifacts (not their components)."""
        if not artifact_ids:
            return []
        query = (
            select(
                Sbom.artifact_id,
                Sbom.id,
                Sbom.quality_score,
                Sbom.attestation_id.is_not(None),
                Sbom.minimum_elements,
                Sbom.open_vulnerabilities,
            )
            .where(Sbom.artifact_id.in_(sorted(artifact_ids)))
            .order_by(Sbom.id)
        )
        rows = self.session.execute(query)
        # A JSON column may hold JSON null or SQL NULL: both read as None here.
        return [
            SbomRow(artifact_id, sbom_id, quality, signed, elements, by_severity is not None)
            for artifact_id, sbom_id, quality, signed, elements, by_severity in rows
        ]

    def bundles(
        self, artifact_ids: Collection[int], *, judged_under: tuple[str, str]
    ) -> list[BundleRow]:
        """Every bundle naming one of the artifacts, with its latest receipt.

        A bundle counts as verified only when that receipt verified it under
        ``judged_under``: the (policy digest, trust-roots digest) in force.
        """
        if not artifact_ids:
            return []
        policy_digest, roots_digest = judged_under
        parameters = {
            "artifact_ids": sorted(artifact_ids),
            "policy_digest": policy_digest,
            "roots_digest": roots_digest,
        }
        rows = self.session.execute(_BUNDLES, parameters)
        return [BundleRow(*tuple(row)) for row in rows]

    def builds(
        self, artifact_ids: Collection[int], *, judged_under: tuple[str, str]
    ) -> list[BuildRow]:
        """Every provenance naming one of the artifacts, with its latest check and receipt.

        A build counts as verified only when its receipt and its check were both made
        under ``judged_under``, as for ``bundles``, and the check found a provenance at all.
        """
        if not artifact_ids:
            return []
        rows = build_claims(
            self.session, Artifact.id.in_(sorted(artifact_ids)), judged_under=judged_under
        )
        return [BuildRow(artifact_id, claim) for artifact_id, claim in rows]

    # --- exceptions --------------------------------------------------------------------------

    def exceptions_of(self, service_id: int) -> Sequence[PolicyException]:
        query = (
            select(PolicyException)
            .where(PolicyException.service_id == service_id)
            .order_by(PolicyException.id)
        )
        return self.session.scalars(query).all()

    def exception(self, exception_id: int, *, for_update: bool = False) -> PolicyException | None:
        query = select(PolicyException).where(PolicyException.id == exception_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def add_exception(self, row: PolicyException) -> PolicyException:
        self.session.add(row)
        self.session.flush()
        return row

    def exception_page(
        self,
        *,
        service_id: int | None,
        after: int | None,
        limit: int,
    ) -> Sequence[tuple[PolicyException, str]]:
        query = (
            select(PolicyException, Service.name)
            .join(Service, Service.id == PolicyException.service_id)
            .order_by(PolicyException.id)
            .limit(limit)
        )
        if service_id is not None:
            query = query.where(PolicyException.service_id == service_id)
        if after is not None:
            # A cursor may hold any 64-bit id; the id column may be 32-bit (PostgreSQL).
            query = query.where(PolicyException.id > literal(after, BigInteger))
        return [(row[0], row[1]) for row in self.session.execute(query)]

    # --- snapshots ---------------------------------------------------------------------------

    def latest_snapshot(self, service_id: int) -> MaturitySnapshot | None:
        query = (
            select(MaturitySnapshot)
            .where(MaturitySnapshot.service_id == service_id)
            .order_by(MaturitySnapshot.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def latest_summary(self, service_id: int) -> SnapshotSummary | None:
        """Id, level, scores and time of the newest snapshot, without its checks."""
        query = (
            _SUMMARY.where(MaturitySnapshot.service_id == service_id)
            .order_by(MaturitySnapshot.id.desc())
            .limit(1)
        )
        row = self.session.execute(query).first()
        return None if row is None else SnapshotSummary(*row)

    def reference_snapshots(
        self, service_id: int, start: datetime
    ) -> tuple[SnapshotSummary | None, SnapshotSummary | None]:
        """The newest snapshot at or before ``start`` and the oldest after it."""
        of_service = MaturitySnapshot.service_id == service_id
        before = self.session.execute(
            _SUMMARY.where(of_service, MaturitySnapshot.computed_at <= start)
            .order_by(MaturitySnapshot.computed_at.desc(), MaturitySnapshot.id.desc())
            .limit(1)
        ).first()
        after = self.session.execute(
            _SUMMARY.where(of_service, MaturitySnapshot.computed_at > start)
            .order_by(MaturitySnapshot.computed_at, MaturitySnapshot.id)
            .limit(1)
        ).first()
        return (
            None if before is None else SnapshotSummary(*before),
            None if after is None else SnapshotSummary(*after),
        )

    def add_snapshot(self, row: MaturitySnapshot) -> MaturitySnapshot:
        self.session.add(row)
        self.session.flush()
        return row

    def snapshot_history(
        self,
        service_id: int,
        *,
        before: int | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> Sequence[MaturitySnapshot]:
        query = (
            select(MaturitySnapshot)
            .where(MaturitySnapshot.service_id == service_id)
            .order_by(MaturitySnapshot.id.desc())
            .limit(limit)
        )
        if before is not None:
            # A cursor may hold any 64-bit id; the id column may be 32-bit (PostgreSQL).
            query = query.where(MaturitySnapshot.id < literal(before, BigInteger))
        if since is not None:
            query = query.where(MaturitySnapshot.computed_at >= since)
        if until is not None:
            query = query.where(MaturitySnapshot.computed_at <= until)
        return self.session.scalars(query).all()

    def stale_services(self, now: datetime, trust_roots_digest: str) -> Sequence[Service]:
        """Services whose latest snapshot is missing or out of date: time has overtaken it,
        it was computed under other trust roots, or a policy version came after it."""
        latest = (
            select(func.max(MaturitySnapshot.id))
            .where(MaturitySnapshot.service_id == Service.id)
            .correlate(Service)
            .scalar_subquery()
        )
        policy_in_force = func.coalesce(
            select(func.max(ServicePolicy.version))
            .where(ServicePolicy.service_id == Service.id)
            .correlate(Service)
            .scalar_subquery(),
            0,
        )
        query = (
            select(Service)
            .outerjoin(MaturitySnapshot, MaturitySnapshot.id == latest)
            .where(
                or_(
                    MaturitySnapshot.id.is_(None),
                    MaturitySnapshot.valid_until <= now,
                    MaturitySnapshot.trust_roots_digest != trust_roots_digest,
                    MaturitySnapshot.policy_version != policy_in_force,
                )
            )
            .order_by(Service.id)
        )
        return self.session.scalars(query).all()

    def latest_snapshots(self) -> Any:
        """A selectable of every service's latest snapshot, joined to its service."""
        latest = (
            select(func.max(MaturitySnapshot.id))
            .where(MaturitySnapshot.service_id == Service.id)
            .correlate(Service)
            .scalar_subquery()
        )
        return select(MaturitySnapshot, Service).join(
            MaturitySnapshot, MaturitySnapshot.id == latest
        )
