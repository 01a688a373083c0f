"""SQLite migrations rebuild tables with rows referring to them, and never leave a dangling one.

A batch migration on SQLite copies a table and drops the original; with foreign keys
enforced, dropping a table other rows refer to fails. The migration environment turns
enforcement off while migrating and checks every reference once the migrations ran,
inside their transaction, so a migration that would leave a row referring to nothing
is refused whole. (tests/provenance/test_releases_api.py migrates a database with
provenance checks referring to receipts down through 0016 and back.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.db import migrate
from tests.databases import backend_name

pytestmark = pytest.mark.skipif(
    backend_name() != "sqlite", reason="batch table rebuilds and PRAGMA checks are SQLite's"
)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = OFF")
    return connection


def test_a_migration_leaving_a_dangling_reference_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "attestd.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0015")
    with _connect(path) as connection:
        # A subject of an attestation and an artifact that do not exist.
        connection.execute(
            "INSERT INTO attestation_subjects (attestation_id, artifact_id) VALUES (42, 43)"
        )
    with pytest.raises(RuntimeError, match="attestation_subjects row 1"):
        migrate.upgrade(url, "head")
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        columns = {row[1] for row in connection.execute("PRAGMA table_info(verification_receipts)")}
    assert version == "0015"
    assert "signing_time" not in columns  # 0016's rebuild was rolled back with it
