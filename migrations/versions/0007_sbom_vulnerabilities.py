"""SBOM vulnerabilities: how many each SBOM lists, and how many lack a VEX analysis.

Both columns are filled for the SBOMs already stored by reading their raw bytes again.
The reading is written out here, with the standard library and lxml only, so that this
revision keeps doing what it did when attestd's own code changes:

* SPDX 2.x lists no vulnerabilities: 0 and 0, without reading the bytes.
* CycloneDX JSON / XML: one vulnerability per entry of ``vulnerabilities`` (XML:
  ``<vulnerabilities><vulnerability>`` in the document's namespace), with or without an
  id; unanalysed when it has no ``analysis`` with a non-empty ``state``.
* Anything that cannot be read (unknown format, bytes that no longer parse) keeps null.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ``sboms.format`` values as revision 0006 stores them.
_SPDX_JSON = "spdx-json"
_CYCLONEDX_JSON = "cyclonedx-json"
_CYCLONEDX_XML = "cyclonedx-xml"

# Lightweight table descriptions: only the columns this revision reads and writes.
_sboms = sa.table(
    "sboms",
    sa.column("id", sa.Integer()),
    sa.column("digest", sa.String()),
    sa.column("format", sa.String()),
    sa.column("vulnerability_count", sa.Integer()),
    sa.column("unanalyzed_vulnerability_count", sa.Integer()),
)
_blobs = sa.table("blobs", sa.column("digest", sa.String()), sa.column("content", sa.LargeBinary()))


def _json_counts(content: bytes) -> tuple[int, int] | None:
    document = json.loads(content)
    if not isinstance(document, dict):
        return None
    listed = document.get("vulnerabilities", [])
    if not isinstance(listed, list):
        return None
    unanalyzed = 0
    for vulnerability in listed:
        analysis = vulnerability.get("analysis") if isinstance(vulnerability, dict) else None
        state = analysis.get("state") if isinstance(analysis, dict) else None
        if not (isinstance(state, str) and state.strip()):
            unanalyzed += 1
    return len(listed), unanalyzed


def _xml_parser() -> etree.XMLParser:
    # The bytes passed attestd's hardened parsing when they were uploaded; parsed again
    # just as carefully: no DTD, no entities, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _xml_counts(content: bytes) -> tuple[int, int]:
    root = etree.fromstring(content, _xml_parser())
    namespace = etree.QName(root).namespace
    prefix = f"{{{namespace}}}" if namespace else ""
    listed = root.findall(f"{prefix}vulnerabilities/{prefix}vulnerability")
    unanalyzed = 0
    for vulnerability in listed:
        state = vulnerability.find(f"{prefix}analysis/{prefix}state")
        if state is None or not (state.text or "").strip():
            unanalyzed += 1
    return len(listed), unanalyzed


def _counts(sbom_format: str, content: bytes) -> tuple[int, int] | None:
    """(listed, unanalysed) vulnerabilities of a stored CycloneDX SBOM, or None."""
    read = {_CYCLONEDX_JSON: _json_counts, _CYCLONEDX_XML: _xml_counts}.get(sbom_format)
    if read is None:
        return None
    try:
        return read(content)
    except (ValueError, RecursionError, etree.LxmlError):
        return None


def _backfill() -> None:
    connection = op.get_bind()
    connection.execute(
        _sboms.update()
        .where(_sboms.c.format == _SPDX_JSON)
        .values(vulnerability_count=0, unanalyzed_vulnerability_count=0)
    )
    stored = connection.execute(
        sa.select(_sboms.c.id, _sboms.c.format, _sboms.c.digest)
        .where(_sboms.c.format.in_([_CYCLONEDX_JSON, _CYCLONEDX_XML]))
        .order_by(_sboms.c.id)
    ).all()
    content_of = sa.select(_blobs.c.content).where(_blobs.c.digest == sa.bindparam("digest"))
    # One document in memory at a time: raw SBOMs are megabytes each.
    for sbom_id, sbom_format, digest in stored:
        content = connection.execute(content_of, {"digest": digest}).scalar()
        counts = None if content is None else _counts(sbom_format, bytes(content))
        if counts is None:
            continue
        connection.execute(
            _sboms.update()
            .where(_sboms.c.id == sbom_id)
            .values(vulnerability_count=counts[0], unanalyzed_vulnerability_count=counts[1])
        )


def upgrade() -> None:
    op.add_column("sboms", sa.Column("vulnerability_count", sa.Integer(), nullable=True))
    op.add_column("sboms", sa.Column("unanalyzed_vulnerability_count", sa.Integer(), nullable=True))
    _backfill()


def downgrade() -> None:
    # SQLite (3.35+) drops a column that is in no index or constraint without a rebuild.
    op.drop_column("sboms", "unanalyzed_vulnerability_count")
    op.drop_column("sboms", "vulnerability_count")
