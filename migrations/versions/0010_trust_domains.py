"""Trust domains: what the trust-map entry that vouched for a provenance says of reproducibility.

Each provenance check records whether that entry is a rebuilder and the trust
domain it names. Checks made before this revision had no rebuilder entries to
match: they are kept as ``rebuilder`` false with no named domain, so a build they
graded at Build L2 or above still counts, in its signer's own domain.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "provenance_checks",
        sa.Column("rebuilder", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "provenance_checks", sa.Column("trust_domain", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column that is in no index or constraint without a rebuild.
    op.drop_column("provenance_checks", "trust_domain")
    op.drop_column("provenance_checks", "rebuilder")
