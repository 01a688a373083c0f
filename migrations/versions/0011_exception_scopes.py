"""Exceptions scoped to an environment, a release or an artifact.

Exceptions stored before this revision have no scope: they waive their check for the
whole service, as they did.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_exceptions", sa.Column("scope_environment", sa.String(length=32), nullable=True)
    )
    op.add_column("policy_exceptions", sa.Column("scope_release", sa.Text(), nullable=True))
    op.add_column(
        "policy_exceptions", sa.Column("scope_digest", sa.String(length=135), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("policy_exceptions", "scope_digest")
    op.drop_column("policy_exceptions", "scope_release")
    op.drop_column("policy_exceptions", "scope_environment")
