"""Vulnerabilities one by one, and the statements of OpenVEX attestations.

``sbom_vulnerabilities`` keeps each vulnerability an SBOM lists (id, highest severity,
analysis state and justification, the components it affects), and
``sboms.open_vulnerabilities`` how many its own analysis leaves open, by severity.
``vex_statements`` keeps each statement of an OpenVEX attestation.

Both are filled for what is already stored by reading the stored bytes again the way an
upload reads them now, as revision 0013 does, so that evidence stored before this
revision is judged exactly as the same bytes submitted after it:

* every SBOM: ``load_sbom``, ``extract``, then the rows an upload writes; its
  ``vulnerability_count`` and ``unanalyzed_vulnerability_count`` are set from the same
  reading. Bytes that no longer load keep ``open_vulnerabilities`` null: the SBOM's
  vulnerabilities are not known, and the checks fail closed on it.
* every attestation whose predicate type is OpenVEX: the bundle's DSSE payload, its
  predicate read by ``read_openvex`` as received when the attestation was stored. A
  bundle or document that no longer reads (one that would now be refused) gets no
  statement: it closes nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-16
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.attestations.bundles import parse_bundle
from app.db.base import UTCDateTime
from app.errors import AppError
from app.sboms.extraction import extract
from app.sboms.formats import SbomFormat
from app.sboms.ingest import vulnerability_rows
from app.sboms.loading import load_sbom
from app.sboms.repository import VULNERABILITY_COLUMNS, bulk_insert
from app.strict_json import parse_strict_json
from app.vulnerabilities.openvex import VEX_PREDICATE_TYPES, read_openvex, statement_row

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Lightweight table descriptions: only the columns this revision reads and writes.
_sboms = sa.table(
    "sboms",
    sa.column("id", sa.Integer()),
    sa.column("digest", sa.String()),
    sa.column("format", sa.String()),
    sa.column("vulnerability_count", sa.Integer()),
    sa.column("unanalyzed_vulnerability_count", sa.Integer()),
    sa.column("open_vulnerabilities", sa.JSON()),
)
_attestations = sa.table(
    "attestations",
    sa.column("id", sa.Integer()),
    sa.column("digest", sa.String()),
    sa.column("predicate_type", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
_blobs = sa.table(
    "blobs",
    sa.column("digest", sa.String()),
    sa.column("media_type", sa.String()),
    sa.column("content", sa.LargeBinary()),
)
_statements = sa.table(
    "vex_statements",
    sa.column("attestation_id", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("vulnerability", sa.Text()),
    sa.column("aliases", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("justification", sa.Text()),
    sa.column("timestamp", UTCDateTime()),
    sa.column("products", sa.JSON()),
)


def _create_tables() -> None:
    op.add_column("sboms", sa.Column("open_vulnerabilities", sa.JSON(), nullable=True))
    op.create_table(
        "sbom_vulnerabilities",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sbom_id", sa.Integer(), nullable=False),
        sa.Column("vulnerability_id", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("analysis_state", sa.Text(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("affects", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sbom_id"], ["sboms.id"], name=op.f("fk_sbom_vulnerabilities_sbom_id_sboms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sbom_vulnerabilities")),
    )
    op.create_index(op.f("ix_sbom_vulnerabilities_sbom_id"), "sbom_vulnerabilities", ["sbom_id"])
    op.create_table(
        "vex_statements",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("attestation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vulnerability", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("products", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attestation_id"],
            ["attestations.id"],
            name=op.f("fk_vex_statements_attestation_id_attestations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vex_statements")),
    )
    op.create_index(op.f("ix_vex_statements_attestation_id"), "vex_statements", ["attestation_id"])


def _backfill_sboms(connection: sa.Connection) -> None:
    stored = connection.execute(
        sa.select(_sboms.c.id, _sboms.c.format, _sboms.c.digest).order_by(_sboms.c.id)
    ).all()
    content_of = sa.select(_blobs.c.content).where(_blobs.c.digest == sa.bindparam("digest"))
    # One document in memory at a time: raw SBOMs are megabytes each.
    for sbom_id, sbom_format, digest in stored:
        content = connection.execute(content_of, {"digest": digest}).scalar()
        if content is None:
            continue
        try:
            contents = extract(load_sbom(SbomFormat(sbom_format).media_type, bytes(content)))
        except (ValueError, AppError):  # an unknown format, or a refusal
            continue
        bulk_insert(
            connection,
            "sbom_vulnerabilities",
            VULNERABILITY_COLUMNS,
            vulnerability_rows(contents, sbom_id=sbom_id),
        )
        connection.execute(
            _sboms.update()
            .where(_sboms.c.id == sbom_id)
            .values(
                vulnerability_count=len(contents.vulnerabilities),
                unanalyzed_vulnerability_count=contents.unanalyzed_vulnerability_count,
                open_vulnerabilities=contents.open_vulnerabilities,
            )
        )


def _backfill_statements(connection: sa.Connection) -> None:
    stored = connection.execute(
        sa.select(
            _attestations.c.id, _attestations.c.created_at, _blobs.c.media_type, _blobs.c.content
        )
        .join(_blobs, _blobs.c.digest == _attestations.c.digest)
        .where(_attestations.c.predicate_type.in_(sorted(VEX_PREDICATE_TYPES)))
        .order_by(_attestations.c.id)
    ).all()
    for attestation_id, received, media_type, content in stored:
        try:
            statement = parse_strict_json(parse_bundle(bytes(content), media_type).payload or b"")
            predicate = statement.get("predicate") if isinstance(statement, dict) else None
            statements = read_openvex(predicate, received=received)
        except (ValueError, AppError):  # no longer read, or refused
            continue
        if statements:
            connection.execute(
                _statements.insert(),
                [
                    statement_row(attestation_id, index, item)
                    for index, item in enumerate(statements)
                ],
            )


def upgrade() -> None:
    _create_tables()
    connection = op.get_bind()
    _backfill_sboms(connection)
    _backfill_statements(connection)


def downgrade() -> None:
    op.drop_table("vex_statements")
    op.drop_table("sbom_vulnerabilities")
    # SQLite (3.35+) drops a column that is in no index or constraint without a rebuild.
    op.drop_column("sboms", "open_vulnerabilities")
