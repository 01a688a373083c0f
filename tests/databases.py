"""Test databases built once from the migrations, then cloned for each test.

SQLite: the migrated template file is copied. PostgreSQL
(``ATTESTD_TEST_DATABASE_URL``): each test gets ``CREATE DATABASE … TEMPLATE``
of a migrated template database, dropped afterwards. Either way every test
starts from exactly the schema the migrations build, and no test sees
another's rows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from app.db import migrate

TEST_DATABASE_URL_VARIABLE = "ATTESTD_TEST_DATABASE_URL"


def backend_name() -> str:
    url = os.environ.get(TEST_DATABASE_URL_VARIABLE)
    return make_url(url).get_backend_name() if url else "sqlite"


@dataclass
class SqliteTemplate:
    path: Path

    @classmethod
    def build(cls, directory: Path) -> SqliteTemplate:
        path = directory / "template.db"
        migrate.upgrade(f"sqlite:///{path}")
        # Fold the WAL into the main file so that a copy of it is complete.
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode = DELETE")
        return cls(path)

    def clone(self, directory: Path) -> str:
        target = directory / "attestd.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Nothing to do: the file lives in the test's temporary directory."""

    def close(self) -> None:
        """Nothing to do: pytest removes the temporary directory."""


@dataclass
class PostgresTemplate:
    server: URL
    name: str

    @classmethod
    def build(cls, url: str) -> PostgresTemplate:
        server = make_url(url)
        template = cls(server, f"attestd_tmpl_{uuid.uuid4().hex[:12]}")
        template._execute(f'CREATE DATABASE "{template.name}"')
        migrate.upgrade(template._url(template.name))
        return template

    def clone(self, _directory: Path) -> str:
        name = f"attestd_t_{uuid.uuid4().hex[:16]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _url(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        engine = create_engine(self.server, isolation_level="AUTOCOMMIT", poolclass=None)
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


def build_template(directory: Path) -> SqliteTemplate | PostgresTemplate:
    url = os.environ.get(TEST_DATABASE_URL_VARIABLE)
    if url:
        return PostgresTemplate.build(url)
    return SqliteTemplate.build(directory)


# --- databases at an older revision, for the tests of a migration ----------------------------


@contextmanager
def database_at(revision: str, directory: Path) -> Iterator[str]:
    """A new database migrated as far as ``revision`` only, on the test back end; its URL."""
    server = os.environ.get(TEST_DATABASE_URL_VARIABLE)
    if not server:
        url = f"sqlite:///{directory / f'at-{revision}.db'}"
        migrate.upgrade(url, revision)
        yield url
        return
    name = f"attestd_m_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url, revision)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_sboms(url: str, documents: Sequence[tuple[str, str, bytes]]) -> dict[str, int]:
    """One service, one artifact, and an SBOM with its blob for each (label, format, bytes).

    Written with the tables as the database has them, so it stores what an older revision
    stored; the SBOM ids by label.
    """
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=["services", "artifacts", "blobs", "sboms"])
    services, artifacts, blobs, sboms = (
        tables.tables[name] for name in ("services", "artifacts", "blobs", "sboms")
    )
    now = datetime(2026, 11, 1, tzinfo=UTC)
    ids = {}
    try:
        with engine.begin() as connection:
            (service_id,) = connection.execute(
                services.insert().values(
                    name="payments",
                    repository="https://github.com/acme/payments",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            (artifact_id,) = connection.execute(
                artifacts.insert().values(
                    digest="sha256:" + "a" * 64, service_id=service_id, created_at=now
                )
            ).inserted_primary_key
            for label, sbom_format, body in documents:
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                connection.execute(
                    blobs.insert().values(
                        digest=digest,
                        size=len(body),
                        media_type="application/octet-stream",
                        content=body,
                        created_at=now,
                    )
                )
                (ids[label],) = connection.execute(
                    sboms.insert().values(
                        digest=digest,
                        artifact_id=artifact_id,
                        format=sbom_format,
                        spec_version="1.6",
                        component_count=2,
                        dependency_count=0,
                        invalid_purl_count=0,
                        quality_score=5.0,
                        quality={},
                        subject_digests=[],
                        uploaded_by="pipeline",
                        audit_index=0,
                        created_at=now,
                    )
                ).inserted_primary_key
    finally:
        engine.dispose()
    return ids


def sbom_columns(url: str) -> dict[int, dict[str, Any]]:
    """Every stored SBOM's columns, by id."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM sboms")).mappings().all()
    finally:
        engine.dispose()
    return {row["id"]: dict(row) for row in rows}


def column_names(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()
