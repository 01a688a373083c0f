"""Receipts record the policy identity that accepted the signer, and the signer's kind.

Receipts written before this revision have no identity (it stays null until the
evidence is verified again). Their kind is filled in by the rule attestd applied
until then, so that no maturity level moves on upgrade: ``workload`` for a URI
subject from a CI issuer (GitHub Actions, GitLab.com, Buildkite, Codefresh,
CircleCI), ``person`` for any other verified signer, null when not verified.
Re-verification judges each signer by the policy's ``kind`` rules instead.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CI_ISSUERS = (
    "https://token.actions.githubusercontent.com",
    "https://gitlab.com",
    "https://agent.buildkite.com",
    "https://oidc.codefresh.io",
)
_CI_ISSUER_PREFIX = "https://oidc.circleci.com/org/"


def upgrade() -> None:
    op.add_column(
        "verification_receipts", sa.Column("matched_identity", sa.Integer(), nullable=True)
    )
    op.add_column(
        "verification_receipts", sa.Column("signer_kind", sa.String(length=16), nullable=True)
    )
    receipts = sa.table(
        "verification_receipts",
        sa.column("verified", sa.Boolean()),
        sa.column("signer_subject", sa.String()),
        sa.column("signer_issuer", sa.String()),
        sa.column("signer_kind", sa.String()),
    )
    ci_issuer = sa.or_(
        receipts.c.signer_issuer.in_(_CI_ISSUERS),
        receipts.c.signer_issuer.startswith(_CI_ISSUER_PREFIX, autoescape=True),
    )
    workload = sa.and_(ci_issuer, receipts.c.signer_subject.contains("://", autoescape=True))
    op.execute(
        receipts.update()
        .where(receipts.c.verified == sa.true())
        .values(signer_kind=sa.case((workload, "workload"), else_="person"))
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column that is in no index or constraint without a rebuild; a
    # rebuild would drop the table, which the provenance checks' foreign keys refuse.
    op.drop_column("verification_receipts", "signer_kind")
    op.drop_column("verification_receipts", "matched_identity")
