"""Test databases built once from the migrations, then cloned for each test.

SQLite: the migrated template file is copied. PostgreSQL
(``ATTESTD_TEST_DATABASE_URL``): each test gets ``CREATE DATABASE … TEMPLATE``
of a migrated template database, dropped afterwards. Either way every test
starts from exactly the schema the migrations build, and no test sees
another's rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
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


@contextmanager
def migrated_to(revision: str, directory: Path) -> Iterator[str]:
    """The URL of a new database migrated as far as ``revision`` only, on the test back end."""
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
