"""Storage of SBOMs, their components, dependency edges and vulnerabilities.

Components, edges and vulnerabilities are written in bulk (``app.sboms.repository``),
never as one ORM object each; the mapped classes here describe the tables and serve reads.

``components.purl_key`` is the package without version, qualifiers or subpath
(``pkg:npm/lodash``) and ``purl_version`` its version ("" when the purl has none):
``ix_components_purl_lookup`` on (purl_key, purl_version, purl, artifact_id) answers
"which artifacts contain this package (at these versions)" as an index range scan,
in the keyset order the search pages in. Rows whose purl is invalid or too long to
index have no key and stay out of that index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.blobs.models import BLOB_DIGEST_LENGTH
from app.db.base import Base, UTCDateTime

# A 64-bit key on PostgreSQL; SQLite needs INTEGER for its rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
_SEARCHABLE = text("purl_key IS NOT NULL")


class Sbom(Base):
    __tablename__ = "sboms"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(
        String(BLOB_DIGEST_LENGTH), ForeignKey("blobs.digest"), unique=True
    )
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    spec_version: Mapped[str] = mapped_column(String(8))
    component_count: Mapped[int] = mapped_column(Integer)
    dependency_count: Mapped[int] = mapped_column(Integer)
    invalid_purl_count: Mapped[int] = mapped_column(Integer)
    # Vulnerabilities the SBOM lists, and those of them without a VEX analysis. Null only
    # for an SBOM stored before attestd counted them whose bytes migration 0007 could not read.
    vulnerability_count: Mapped[int | None] = mapped_column(Integer, default=None)
    unanalyzed_vulnerability_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # How many its own analysis leaves open, by severity ({"critical": 1, ...}). Null only
    # for an SBOM stored before attestd kept each vulnerability whose bytes migration 0014
    # could not read: its vulnerabilities are not known, and the checks fail closed on it.
    open_vulnerabilities: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    quality_score: Mapped[float] = mapped_column(Float)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Which minimum elements it carries (app.sboms.profiles.Measures), judged against the
    # profiles when read. Null only for an SBOM stored before attestd measured them whose
    # bytes migration 0013 could not read: it meets no profile.
    minimum_elements: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    subject_name: Mapped[str | None] = mapped_column(Text, default=None)
    subject_version: Mapped[str | None] = mapped_column(Text, default=None)
    subject_digests: Mapped[list[str]] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    # The verified DSSE attestation whose predicate this SBOM is; None when uploaded bare.
    attestation_id: Mapped[int | None] = mapped_column(ForeignKey("attestations.id"), default=None)
    audit_index: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Component(Base):
    __tablename__ = "components"
    __table_args__ = (
        Index(
            "ix_components_purl_lookup",
            "purl_key",
            "purl_version",
            "purl",
            "artifact_id",
            postgresql_where=_SEARCHABLE,
            sqlite_where=_SEARCHABLE,
        ),
        Index("ix_components_artifact", "artifact_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sbom_id: Mapped[int] = mapped_column(ForeignKey("sboms.id"))
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    ref: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(64))
    purl: Mapped[str | None] = mapped_column(Text)
    purl_valid: Mapped[bool] = mapped_column(Boolean)
    purl_key: Mapped[str | None] = mapped_column(Text)
    purl_version: Mapped[str | None] = mapped_column(Text)
    cpe: Mapped[str | None] = mapped_column(Text)
    supplier: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[list[str]] = mapped_column(JSON)
    hashes: Mapped[list[list[str]]] = mapped_column(JSON)


class SbomDependency(Base):
    """One edge of an SBOM's dependency graph: ``ref`` depends on ``depends_on``."""

    __tablename__ = "sbom_dependencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sbom_id: Mapped[int] = mapped_column(ForeignKey("sboms.id"), index=True)
    ref: Mapped[str] = mapped_column(Text)
    depends_on: Mapped[str] = mapped_column(Text)


class SbomVulnerability(Base):
    """One vulnerability an SBOM lists (CycloneDX 1.4+), with the SBOM's own analysis of it."""

    __tablename__ = "sbom_vulnerabilities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sbom_id: Mapped[int] = mapped_column(ForeignKey("sboms.id"), index=True)
    vulnerability_id: Mapped[str] = mapped_column(Text)  # "" when the SBOM names none
    severity: Mapped[str] = mapped_column(String(16))  # app.policy.maturity.Severity
    analysis_state: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    # Purls of the components it affects (a bom-ref without a purl as written).
    affects: Mapped[list[str]] = mapped_column(JSON)
