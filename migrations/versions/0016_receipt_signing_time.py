"""Receipts say when a bundle was signed and what proved it; a timestamp-only bundle has no log.

``signing_time`` is the earliest verified time the certificate was checked at;
``time_proofs`` lists what proved it: ``integrated-time`` (a log entry with its
proof and signed entry timestamp), ``inclusion-promise`` (a v0.1 entry resting on
its SET), ``timestamp-authority`` (an RFC 3161 timestamp). A bundle signed by an
instance without a transparency log (GitHub's own) has no log entry: its
``log_index`` and ``log_id`` are null.

Receipts written before are filled in from what they hold: a verified receipt
with an integrated time was proven by it; one without (a Rekor v2 entry) by a
timestamp authority, whose time was not recorded. Receipts of refusals prove
nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verification_receipts") as batch:
        batch.alter_column("log_index", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("log_id", existing_type=sa.String(length=128), nullable=True)
        batch.add_column(sa.Column("signing_time", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("time_proofs", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.execute(
        "UPDATE verification_receipts SET signing_time = integrated_time, "
        "time_proofs = '[\"integrated-time\"]' WHERE verified AND integrated_time IS NOT NULL"
    )
    op.execute(
        "UPDATE verification_receipts SET time_proofs = '[\"timestamp-authority\"]' "
        "WHERE verified AND integrated_time IS NULL"
    )


def downgrade() -> None:
    # The receipts of bundles in no log keep the placeholders a re-check writes.
    op.execute("UPDATE verification_receipts SET log_index = -1 WHERE log_index IS NULL")
    op.execute("UPDATE verification_receipts SET log_id = '' WHERE log_id IS NULL")
    with op.batch_alter_table("verification_receipts") as batch:
        batch.drop_column("time_proofs")
        batch.drop_column("signing_time")
        batch.alter_column("log_id", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("log_index", existing_type=sa.BigInteger(), nullable=False)
