"""Maturity: snapshots of each service's checks, level and score, and policy exceptions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maturity_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("base_score", sa.Float(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("target_release", sa.Text(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_digest", sa.String(length=71), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_maturity_snapshots_service_id_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maturity_snapshots")),
    )
    op.create_index(
        "ix_maturity_snapshots_service_id_id",
        "maturity_snapshots",
        ["service_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_maturity_snapshots_service_id_computed_at",
        "maturity_snapshots",
        ["service_id", "computed_at"],
        unique=False,
    )
    op.create_table(
        "policy_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_by_token", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_by_token", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audit_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_policy_exceptions_service_id_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_exceptions")),
    )
    op.create_index(
        op.f("ix_policy_exceptions_service_id"),
        "policy_exceptions",
        ["service_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_policy_exceptions_service_id"), table_name="policy_exceptions")
    op.drop_table("policy_exceptions")
    op.drop_index("ix_maturity_snapshots_service_id_computed_at", table_name="maturity_snapshots")
    op.drop_index("ix_maturity_snapshots_service_id_id", table_name="maturity_snapshots")
    op.drop_table("maturity_snapshots")
