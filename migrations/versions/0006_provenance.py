"""Provenance: SLSA provenance read from verified attestations, and its checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provenances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attestation_id", sa.Integer(), nullable=False),
        sa.Column("predicate_type", sa.String(length=64), nullable=False),
        sa.Column("builder_id", sa.Text(), nullable=False),
        sa.Column("build_type", sa.Text(), nullable=True),
        sa.Column("invocation_id", sa.Text(), nullable=True),
        sa.Column("started_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_repository", sa.Text(), nullable=True),
        sa.Column("source_ref", sa.Text(), nullable=True),
        sa.Column("source_commit", sa.String(length=64), nullable=True),
        sa.Column("source_claims", sa.JSON(), nullable=False),
        sa.Column("external_parameters", sa.JSON(), nullable=False),
        sa.Column("resolved_dependencies", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attestation_id"],
            ["attestations.id"],
            name=op.f("fk_provenances_attestation_id_attestations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenances")),
        sa.UniqueConstraint("attestation_id", name=op.f("uq_provenances_attestation_id")),
    )
    op.create_table(
        "provenance_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provenance_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("slsa_level", sa.Integer(), nullable=False),
        sa.Column("trusted_builder", sa.Text(), nullable=True),
        sa.Column("source_bound", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("trust_map_digest", sa.String(length=71), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_digest", sa.String(length=71), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"],
            ["provenances.id"],
            name=op.f("fk_provenance_checks_provenance_id_provenances"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["verification_receipts.id"],
            name=op.f("fk_provenance_checks_receipt_id_verification_receipts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_checks")),
    )
    op.create_index(
        op.f("ix_provenance_checks_provenance_id"),
        "provenance_checks",
        ["provenance_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_provenance_checks_provenance_id"), "provenance_checks")
    op.drop_table("provenance_checks")
    op.drop_table("provenances")
