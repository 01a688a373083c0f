"""Service policies: every version of each service's policy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_service_policies_version_positive")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_policies_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_policies")),
        # Also the index that finds a service's latest version.
        sa.UniqueConstraint(
            "service_id", "version", name=op.f("uq_service_policies_service_id_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("service_policies")
