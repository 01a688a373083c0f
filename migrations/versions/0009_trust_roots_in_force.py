"""The trust roots each judgement was made under.

Receipts, provenance checks and maturity snapshots record the digest of the set of
trust roots attestd had loaded when it made them (``trust_roots_digest``), next to the
policy version they already record. Evidence judged under other roots or another
policy is checked again before it counts. Rows stored before this revision get the
empty digest, which matches no set of roots: they are checked again the first time
they are judged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("verification_receipts", "provenance_checks", "maturity_snapshots")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column(
                "trust_roots_digest", sa.String(length=71), nullable=False, server_default=""
            ),
        )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "trust_roots_digest")
