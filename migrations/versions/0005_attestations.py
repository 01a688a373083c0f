"""Attestations: verified Sigstore bundles, their subjects and their verification receipts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attestations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bundle_version", sa.String(length=8), nullable=False),
        sa.Column("predicate_type", sa.String(length=500), nullable=True),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"], ["blobs.digest"], name=op.f("fk_attestations_digest_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_attestations_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
        sa.UniqueConstraint("digest", name=op.f("uq_attestations_digest")),
    )
    op.create_index(
        op.f("ix_attestations_service_id"), "attestations", ["service_id"], unique=False
    )

    op.create_table(
        "attestation_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attestation_id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name=op.f("fk_attestation_subjects_artifact_id_artifacts"),
        ),
        sa.ForeignKeyConstraint(
            ["attestation_id"],
            ["attestations.id"],
            name=op.f("fk_attestation_subjects_attestation_id_attestations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestation_subjects")),
        # Also the index that lists an attestation's subjects.
        sa.UniqueConstraint(
            "attestation_id",
            "artifact_id",
            name=op.f("uq_attestation_subjects_attestation_id_artifact_id"),
        ),
    )
    op.create_index(
        op.f("ix_attestation_subjects_artifact_id"),
        "attestation_subjects",
        ["artifact_id"],
        unique=False,
    )

    op.create_table(
        "verification_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attestation_id", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("signer_subject", sa.String(length=1000), nullable=False),
        sa.Column("signer_issuer", sa.String(length=1000), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("log_id", sa.String(length=128), nullable=False),
        sa.Column("integrated_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trust_root_source", sa.Text(), nullable=False),
        sa.Column("trust_root_digest", sa.String(length=71), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_digest", sa.String(length=71), nullable=False),
        sa.Column("sigstore_version", sa.String(length=32), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attestation_id"],
            ["attestations.id"],
            name=op.f("fk_verification_receipts_attestation_id_attestations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_receipts")),
    )
    op.create_index(
        op.f("ix_verification_receipts_attestation_id"),
        "verification_receipts",
        ["attestation_id"],
        unique=False,
    )

    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline foreign key without rebuilding the table
        # (a rebuild of ``sboms`` would copy it and every index referring to it).
        op.execute(
            "ALTER TABLE sboms ADD COLUMN attestation_id INTEGER "
            "CONSTRAINT fk_sboms_attestation_id_attestations REFERENCES attestations (id)"
        )
    else:
        op.add_column("sboms", sa.Column("attestation_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_sboms_attestation_id_attestations"),
            "sboms",
            "attestations",
            ["attestation_id"],
            ["id"],
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # The column's foreign key has no name SQLite reports: the rebuild drops both.
        with op.batch_alter_table("sboms", recreate="always") as batch_op:
            batch_op.drop_column("attestation_id")
    else:
        op.drop_constraint(
            op.f("fk_sboms_attestation_id_attestations"), "sboms", type_="foreignkey"
        )
        op.drop_column("sboms", "attestation_id")
    op.drop_index(op.f("ix_verification_receipts_attestation_id"), "verification_receipts")
    op.drop_table("verification_receipts")
    op.drop_index(op.f("ix_attestation_subjects_artifact_id"), "attestation_subjects")
    op.drop_table("attestation_subjects")
    op.drop_index(op.f("ix_attestations_service_id"), "attestations")
    op.drop_table("attestations")
