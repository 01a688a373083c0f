"""Engine settings, the UTC column type and the migrations, on the test back end."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from app.clock import utcnow
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import alembic_config
from app.services.models import Service


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url, pool_size=4)
    yield engine
    engine.dispose()


def test_migrations_match_the_models(database_url):
    # `alembic check` raises when the models differ from what the migrations built.
    command.check(alembic_config(database_url))


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; PostgreSQL needs none")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def _service(name: str, created: datetime) -> Service:
    return Service(
        name=name, repository="https://github.com/acme/x", created_at=created, updated_at=created
    )


def test_timestamps_come_back_aware_and_in_utc(engine):
    stamp = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        session.add(_service("utc", stamp))
    with factory() as session:
        loaded = session.scalars(select(Service).where(Service.name == "utc")).one()
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.created_at == stamp


def test_naive_timestamps_are_refused(engine):
    factory = make_sessionmaker(engine)
    with factory() as session:
        session.add(_service("naive", datetime(2026, 3, 1, 12, 30)))  # noqa: DTZ001
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


def test_concurrent_writers_all_commit(engine):
    """Writers that read then write (as requests do) queue instead of failing."""
    factory = make_sessionmaker(engine)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            with factory.begin() as session:
                session.execute(select(Service.id)).all()
                session.add(_service(f"writer-{index}", utcnow()))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM services")).scalar()
    assert count == 8


def test_utcnow_is_aware():
    assert utcnow().tzinfo is UTC
