"""Receipts of keyed bundles name the key that verified them.

A bundle signed with a key of the service's policy (no certificate) is verified
against that key; its receipt records the key's fingerprint, the sha256 of its DER
SubjectPublicKeyInfo, so that re-judging under a later policy version finds the key
again whatever it is named. Receipts written before have none (null): they were all
of certificates.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "verification_receipts", sa.Column("key_fingerprint", sa.String(length=71), nullable=True)
    )


def downgrade() -> None:
    # As 0012: SQLite drops a column in no index or constraint without a table rebuild.
    op.drop_column("verification_receipts", "key_fingerprint")
