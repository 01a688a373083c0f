"""SBOM profiles: which minimum elements each stored SBOM carries.

``sboms.minimum_elements`` holds what ``app.sboms.profiles.measure`` finds in an SBOM;
the profiles (NTIA 2021, CISA 2025, BSI TR-03183-2) are judged from it when read. It is
filled for the SBOMs already stored by reading their raw bytes again, the way an upload
reads them (``load_sbom``, ``extract``, ``measure``), so that an SBOM stored before this
revision is judged exactly as the same bytes uploaded after it. Unlike revision 0007,
this one therefore uses attestd's own reading: writing out CycloneDX JSON and XML and
SPDX extraction here would be a second copy of the largest pure module. Bytes that no
longer load keep null, which meets no profile.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.errors import AppError
from app.sboms.extraction import extract
from app.sboms.formats import SbomFormat
from app.sboms.loading import load_sbom
from app.sboms.profiles import measure

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Lightweight table descriptions: only the columns this revision reads and writes.
_sboms = sa.table(
    "sboms",
    sa.column("id", sa.Integer()),
    sa.column("digest", sa.String()),
    sa.column("format", sa.String()),
    sa.column("minimum_elements", sa.JSON()),
)
_blobs = sa.table("blobs", sa.column("digest", sa.String()), sa.column("content", sa.LargeBinary()))


def _measured(sbom_format: str, content: bytes) -> dict[str, object] | None:
    """The measures of one stored SBOM, or None when its bytes no longer load."""
    try:
        loaded = load_sbom(SbomFormat(sbom_format).media_type, content)
    except (ValueError, AppError):  # an unknown format, or a refusal
        return None
    contents = extract(loaded)
    return measure(contents, sbom_format=loaded.format, spec_version=loaded.spec_version).to_json()


def _backfill() -> None:
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(_sboms.c.id, _sboms.c.format, _sboms.c.digest).order_by(_sboms.c.id)
    ).all()
    content_of = sa.select(_blobs.c.content).where(_blobs.c.digest == sa.bindparam("digest"))
    # One document in memory at a time: raw SBOMs are megabytes each.
    for sbom_id, sbom_format, digest in stored:
        content = connection.execute(content_of, {"digest": digest}).scalar()
        measured = None if content is None else _measured(sbom_format, bytes(content))
        if measured is not None:
            connection.execute(
                _sboms.update().where(_sboms.c.id == sbom_id).values(minimum_elements=measured)
            )


def upgrade() -> None:
    op.add_column("sboms", sa.Column("minimum_elements", sa.JSON(), nullable=True))
    _backfill()


def downgrade() -> None:
    # SQLite (3.35+) drops a column that is in no index or constraint without a rebuild.
    op.drop_column("sboms", "minimum_elements")
