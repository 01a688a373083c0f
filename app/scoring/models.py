"""Storage of maturity snapshots and policy exceptions.

A ``MaturitySnapshot`` is one evaluation of a service, written in the
transaction of the change that caused it (or by a read that found the last one
stale); it keeps the check results and the ids of the evidence, exceptions and
policy version it was computed from, and is never edited. A
``PolicyException`` is a waiver of one check: requested by one admin, approved
by another, revocable, and expiring by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import CREATED_BY_MAX, Base, UTCDateTime
from app.digests import ARTIFACT_DIGEST_MAX
from app.policy.models import POLICY_DIGEST_LENGTH

CHECK_ID_MAX = 64
ENVIRONMENT_MAX = 32
TRIGGER_MAX = 64
JUSTIFICATION_MAX = 2000


class MaturitySnapshot(Base):
    __tablename__ = "maturity_snapshots"
    __table_args__ = (
        Index("ix_maturity_snapshots_service_id_id", "service_id", "id"),
        # The score trend looks up the snapshot at the start of the coverage window.
        Index("ix_maturity_snapshots_service_id_computed_at", "service_id", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    level: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    base_score: Mapped[float] = mapped_column(Float)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    target_release: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    # The trust roots its evidence was judged under (app.attestations.trust.roots_digest).
    trust_roots_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    trigger: Mapped[str] = mapped_column(String(TRIGGER_MAX))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When time alone changes the result: an exception expires, a release leaves the window.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PolicyException(Base):
    __tablename__ = "policy_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    check_id: Mapped[str] = mapped_column(String(CHECK_ID_MAX))
    # Its scope; null waives for every environment, every release, every artifact.
    scope_environment: Mapped[str | None] = mapped_column(String(ENVIRONMENT_MAX))
    scope_release: Mapped[str | None] = mapped_column(Text)  # NAME@VERSION
    scope_digest: Mapped[str | None] = mapped_column(String(ARTIFACT_DIGEST_MAX))
    justification: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str] = mapped_column(String(CREATED_BY_MAX))
    requested_by_token: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(CREATED_BY_MAX))
    approved_by_token: Mapped[int | None] = mapped_column(Integer)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(CREATED_BY_MAX))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    audit_index: Mapped[int] = mapped_column(BigInteger)
