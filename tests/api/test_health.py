"""Liveness and readiness: public, and honest about the database."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.main import create_app


def assert_unavailable(response, path: str) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["slug"] == "unavailable"
    assert body["type"] == "urn:attestd:problem:unavailable"
    assert body["status"] == 503
    assert body["instance"] == path
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_healthz_answers_ok_without_a_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_when_the_database_is_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("DELETE FROM alembic_version", id="no-revision"),
        pytest.param("UPDATE alembic_version SET version_num = '0000older0000'", id="old-revision"),
        pytest.param(
            "INSERT INTO alembic_version (version_num) VALUES ('ffffbranchffff')",
            id="extra-head",
        ),
    ],
)
def test_readyz_is_unavailable_when_the_schema_is_not_at_head(client, run_in_session, statement):
    assert client.get("/readyz").status_code == 200
    run_in_session(lambda session: session.execute(text(statement)))
    body = assert_unavailable(client.get("/readyz"), "/readyz")
    assert "migrat" in body["detail"]


def test_readyz_is_unavailable_without_the_version_table(client, run_in_session):
    run_in_session(lambda session: session.execute(text("DROP TABLE alembic_version")))
    assert_unavailable(client.get("/readyz"), "/readyz")


def test_readyz_recovers_once_the_schema_is_back_at_head(client, run_in_session):
    [head] = run_in_session(
        lambda session: session.execute(text("SELECT version_num FROM alembic_version")).all()
    )
    run_in_session(lambda session: session.execute(text("DELETE FROM alembic_version")))
    assert client.get("/readyz").status_code == 503
    run_in_session(
        lambda session: session.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head[0]}
        )
    )
    assert client.get("/readyz").status_code == 200


def _unreachable_url(database_url: str, tmp_path: Path) -> str:
    """A URL of the test's own back end that names a database that is not there."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'missing-directory' / 'attestd.db'}"
    # Same (loopback) server, a database that was never created.
    missing = url.set(database=f"attestd_missing_{uuid.uuid4().hex[:12]}")
    return missing.render_as_string(hide_password=False)


def test_readyz_is_unavailable_when_the_database_is_unreachable(
    settings, database_url, tmp_path, caplog
):
    unreachable = settings.model_copy(
        update={"database_url": _unreachable_url(database_url, tmp_path)}
    )
    with TestClient(create_app(unreachable)) as client:
        assert client.get("/healthz").status_code == 200
        with caplog.at_level("WARNING", logger="attestd.health"):
            response = client.get("/readyz")
    body = assert_unavailable(response, "/readyz")
    assert body["detail"] == "The database is not reachable."
    # The driver's message (paths, host names) stays in the server.
    assert "missing" not in response.text
    assert "OperationalError" not in response.text
    [record] = [r for r in caplog.records if r.name == "attestd.health"]
    assert record.fields == {"error": "OperationalError"}
    assert not (tmp_path / "missing-directory").exists()
