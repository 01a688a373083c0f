"""Alembic environment: migrates the database attestd is configured for."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.config import Settings
from app.db.base import Base
from app.db.engine import make_engine
from app.models import load_all_models

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

load_all_models()
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return url or Settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    """Switch SQLite's foreign-key enforcement, outside any transaction as SQLite requires.

    A batch migration rebuilds a table by copying it and dropping the original; with
    enforcement on, dropping a table other rows refer to fails (or would cascade). The
    references are checked as a whole once the migrations are done instead.
    """
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the SQLite connection has no driver connection")
    driver.execute(f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}")


def _dangling_references(connection: Connection) -> list[str]:
    """Rows whose foreign key names no row, as ``PRAGMA foreign_key_check`` lists them."""
    found = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    return [f"{row[0]} row {row[1]} -> {row[2]}" for row in found]


def run_migrations_online() -> None:
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                # attestd's SQLite connections leave transactions to SQLAlchemy (BEGIN
                # IMMEDIATE, app.db.engine), under which SQLite's DDL is transactional: a
                # failed upgrade leaves the database as it was.
                transactional_ddl=True,
            )
            if sqlite:
                _sqlite_foreign_keys(connection, enabled=False)
            with context.begin_transaction():
                context.run_migrations()
                dangling = _dangling_references(connection) if sqlite else []
                if dangling:
                    # Raised inside the transaction: nothing of the migration is kept.
                    raise RuntimeError(
                        "the migration leaves rows referring to nothing: " + "; ".join(dangling[:5])
                    )
            if sqlite:
                _sqlite_foreign_keys(connection, enabled=True)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
