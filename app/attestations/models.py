"""Storage of verified attestations: the bundles, the artifacts they name, their receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.blobs.models import BLOB_DIGEST_LENGTH
from app.db.base import CREATED_BY_MAX, Base, UTCDateTime
from app.policy.models import POLICY_DIGEST_LENGTH

SIGNER_MAX = 1000  # a SAN or issuer URL as the certificate states it
LOG_ID_MAX = 128  # hex of a SHA-256 (Rekor v1) or longer key ids
SIGSTORE_VERSION_MAX = 32
PREDICATE_TYPE_MAX = 500
SUBJECT_NAME_MAX = 500
SIGNER_KIND_MAX = 16


class Attestation(Base):
    """A verified Sigstore bundle: a message signature or a DSSE in-toto statement.

    The bundle's bytes are kept in ``blobs`` under ``digest``; rows here are what
    was read from it once it verified, and are never edited.
    """

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(
        String(BLOB_DIGEST_LENGTH), ForeignKey("blobs.digest"), unique=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "signature" or "attestation"
    bundle_version: Mapped[str] = mapped_column(String(8))
    predicate_type: Mapped[str | None] = mapped_column(String(PREDICATE_TYPE_MAX))
    uploaded_by: Mapped[str] = mapped_column(String(CREATED_BY_MAX))
    audit_index: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AttestationSubject(Base):
    """An artifact an attestation speaks about, with the name the statement gives it."""

    __tablename__ = "attestation_subjects"
    __table_args__ = (UniqueConstraint("attestation_id", "artifact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attestation_id: Mapped[int] = mapped_column(ForeignKey("attestations.id"))
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(SUBJECT_NAME_MAX))


class VerificationReceipt(Base):
    """What attestd concluded when it verified an attestation. Later verifications add rows."""

    __tablename__ = "verification_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    attestation_id: Mapped[int] = mapped_column(ForeignKey("attestations.id"), index=True)
    verified: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSON)  # "slug: text" when not verified
    signer_subject: Mapped[str] = mapped_column(String(SIGNER_MAX))
    signer_issuer: Mapped[str] = mapped_column(String(SIGNER_MAX))
    claims: Mapped[dict[str, str]] = mapped_column(JSON)
    log_index: Mapped[int] = mapped_column(BigInteger)
    log_id: Mapped[str] = mapped_column(String(LOG_ID_MAX))
    integrated_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trust_root_source: Mapped[str] = mapped_column(Text)
    trust_root_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    # The set of trust roots loaded when it was made (app.attestations.trust.roots_digest).
    trust_roots_digest: Mapped[str] = mapped_column(String(POLICY_DIGEST_LENGTH))
    sigstore_version: Mapped[str] = mapped_column(String(SIGSTORE_VERSION_MAX))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    audit_index: Mapped[int] = mapped_column(BigInteger)
    # The policy identity (index in its identities) that accepted the signer, and whether
    # that policy makes the signer a workload or a person; None when not verified.
    matched_identity: Mapped[int | None] = mapped_column(Integer)
    signer_kind: Mapped[str | None] = mapped_column(String(SIGNER_KIND_MAX))
    # Keyed bundles: sha256 of the DER SubjectPublicKeyInfo of the policy key that verified.
    key_fingerprint: Mapped[str | None] = mapped_column(String(POLICY_DIGEST_LENGTH))
