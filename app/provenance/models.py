"""Storage of SLSA provenance read from verified attestations, and of its checks.

A ``Provenance`` row is what one verified DSSE attestation says about how its
subjects were built; it is written once, with the attestation. A
``ProvenanceCheck`` is one evaluation of it: the SLSA Build level the trust map
grants (and whether the entry that vouched is a rebuilder, and the trust domain
it names), and whether its source is bound to the service's repository and an
allowed ref. Re-verification adds checks; none is ever edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime
from app.policy.builders import TRUST_DOMAIN_MAX
from app.policy.models import POLICY_DIGEST_LENGTH

COMMIT_MAX = 64  # a SHA-1 or SHA-256 git commit, hex


class Provenance(Base):
    __tablename__ = "provenances"

    id: Mapped[int] = mapped_column(primary_key=True)
    attestation_id: Mapped[int] = mapped_column(ForeignKey("attestations.id"), unique=True)
    predicate_type: Mapped[str] = mapped_column(String(64))
    builder_id: Mapped[str] = mapped_column(Text)
    build_type: Mapped[str | None] = mapped_column(Text)
    invocation_id: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_repository: Mapped[str | None] = mapped_column(Text)
    source_ref: Mapped[str | None] = mapped_column(Text)
    source_commit: Mapped[str | None] = mapped_column(String(COMMIT_MAX))
    # Where each place (parameters, dependencies, certificate) put the source.
    source_claims: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    external_parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolved_dependencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    findings: Mapped[list[str]] = mapped_column(JSON)


class ProvenanceCheck(Base):
    """One evaluation of a provenance: its level, and whether its source is the service's."""

    __tablename__ = "provenance_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    provenance_id: Mapped[int] = mapped_column(ForeignKey("provenances.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("verification_receipts.id"))
    slsa_level: Mapped[int] = mapped_column(Integer)
    trusted_builder: Mapped[str | None] = mapped_column(Text)  # the entry that vouched
    # What that entry says for reproducibility: a rebuilder? which trust domain it names.
    rebuilder: Mapped[bool] = mapped_column(Boolean, server_default=false())
    trust_domain: Mapped[str | None] = mapped_column(String(TRUST_DOMAIN_MAX))
    source_bound: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    trust_map_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    trust_roots_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
