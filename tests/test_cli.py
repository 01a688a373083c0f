"""The ``attestd`` command, run in-process against the test database."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.auth.credentials import Role, is_well_formed
from app.auth.tokens import authenticate, list_tokens
from app.cli import _announce_first_admin
from app.config import Settings
from app.db.engine import make_engine
from app.db.migrate import expected_heads
from app.health import check_database
from tests.builders.credentials import bearer

TOKEN_IN_TEXT = re.compile(r"atd_[A-Za-z0-9_-]{43}")
SERVICES = "/v1/services"


def test_token_create_prints_the_token_alone(cli, client):
    result = cli("token", "create", "--role", "admin", "--name", "ci")

    assert result.code == 0
    assert result.out.endswith("\n")
    [token] = result.out.splitlines()
    assert is_well_formed(token)
    assert token not in result.err
    response = client.post(
        SERVICES,
        json={"name": "payments", "repository": "https://github.com/acme/payments"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("role", ["auditor", "pipeline"])
def test_token_create_gives_the_requested_role(cli, run_in_session, role):
    result = cli("token", "create", "--role", role, "--name", "t")

    token = result.out.strip()
    principal = run_in_session(lambda session: authenticate(session, token))
    assert principal.role is Role(role)
    assert principal.name == "t"


def test_token_create_stores_the_services_of_a_pipeline_token(cli, run_in_session):
    result = cli(
        "token",
        "create",
        "--role",
        "pipeline",
        "--name",
        "p",
        "--service",
        "payments",
        "--service",
        "billing",
    )

    assert result.code == 0
    [info] = run_in_session(list_tokens)
    assert info.services == ("payments", "billing")
    principal = run_in_session(lambda session: authenticate(session, result.out.strip()))
    assert principal.may_write_to("payments")
    assert principal.may_write_to("billing")
    assert not principal.may_write_to("ledger")


def test_token_create_with_a_taken_name_fails_on_stderr_only(cli, run_in_session):
    first = cli("token", "create", "--role", "admin", "--name", "ci")

    second = cli("token", "create", "--role", "auditor", "--name", "ci")

    assert first.code == 0
    assert second.code == 1
    assert second.out == ""
    assert "already exists" in second.err
    assert [(t.name, t.role) for t in run_in_session(list_tokens)] == [("ci", Role.ADMIN)]


def test_token_create_lists_every_reason_a_request_is_invalid(cli, run_in_session):
    result = cli("token", "create", "--role", "auditor", "--name", "Bad", "--service", "x")

    assert result.code == 1
    assert result.out == ""
    reasons = [line for line in result.err.splitlines() if line.startswith("  - ")]
    assert len(reasons) == 2
    assert "only pipeline tokens can be limited to services" in result.err
    assert list(run_in_session(list_tokens)) == []


def test_token_create_refuses_an_unknown_role(cli):
    with pytest.raises(SystemExit) as exited:
        cli("token", "create", "--role", "root", "--name", "x")

    assert exited.value.code == 2


def test_token_list_shows_name_role_state_and_no_secret(cli):
    secrets = [
        cli("token", "create", "--role", "admin", "--name", "ci").out.strip(),
        cli("token", "create", "--role", "auditor", "--name", "audit").out.strip(),
        cli(
            "token", "create", "--role", "pipeline", "--name", "deploy", "--service", "payments"
        ).out.strip(),
    ]
    cli("token", "revoke", "audit")

    result = cli("token", "list")

    assert result.code == 0
    assert result.out.splitlines() == [
        "audit\tauditor\trevoked\tservices=*",
        "ci\tadmin\tactive\tservices=*",
        "deploy\tpipeline\tactive\tservices=payments",
    ]
    assert "atd_" not in result.out + result.err
    for secret in secrets:
        assert secret.removeprefix("atd_")[:16] not in result.out


def test_token_list_json_has_one_record_per_token_and_no_secret(cli):
    secret = cli("token", "create", "--role", "admin", "--name", "ci").out.strip()
    cli("token", "create", "--role", "pipeline", "--name", "deploy", "--service", "payments")
    cli("token", "revoke", "ci")

    result = cli("token", "list", "--json")

    assert result.code == 0
    assert "atd_" not in result.out + result.err
    assert secret.removeprefix("atd_")[:16] not in result.out
    records = [json.loads(line) for line in result.out.splitlines()]
    assert [(r["name"], r["role"], r["services"]) for r in records] == [
        ("ci", "admin", None),
        ("deploy", "pipeline", ["payments"]),
    ]
    for record in records:
        assert set(record) == {
            "name",
            "role",
            "services",
            "created_at",
            "last_used_at",
            "revoked_at",
        }
        assert record["created_at"] is not None
    assert records[0]["revoked_at"] is not None
    assert records[1]["revoked_at"] is None


def test_token_list_of_no_tokens_prints_nothing(cli):
    result = cli("token", "list")

    assert result.code == 0
    assert result.out == ""


def test_token_revoke_makes_the_token_useless(cli, client):
    token = cli("token", "create", "--role", "auditor", "--name", "audit").out.strip()
    assert client.get(SERVICES, headers=bearer(token)).status_code == 200

    result = cli("token", "revoke", "audit")

    assert result.code == 0
    assert result.out == ""
    assert "revoked audit" in result.err
    refused = client.get(SERVICES, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["slug"] == "unauthenticated"


def test_token_revoke_of_an_unknown_name_fails(cli):
    cli("token", "create", "--role", "admin", "--name", "ci")

    result = cli("token", "revoke", "unknown")

    assert result.code == 1
    assert result.out == ""
    assert "unknown" in result.err


def test_a_bad_setting_is_reported_with_exit_code_2(cli, clean_environment):
    clean_environment.setenv("ATTESTD_LOG_LEVEL", "verbose")

    result = cli("token", "list")

    assert result.code == 2
    assert result.out == ""
    assert "configuration error" in result.err
    assert "log_level" in result.err


def test_production_without_a_database_url_refuses_to_start(cli, clean_environment):
    clean_environment.delenv("ATTESTD_DATABASE_URL")
    clean_environment.setenv("ATTESTD_ENVIRONMENT", "production")

    result = cli("token", "list")

    assert result.code == 2
    assert "ATTESTD_DATABASE_URL" in result.err


def _assert_migrated(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"alembic_version", "api_tokens", "services"} <= tables
        check_database(engine, expected_heads(url))  # raises unless at the newest revision
    finally:
        engine.dispose()


def test_migrate_creates_the_tables_in_a_fresh_sqlite_file(cli, clean_environment, tmp_path):
    # Runs on either back end: it needs no server, and SQLite is the zero-configuration
    # default, so `attestd migrate` must always work on a file that does not exist yet.
    path = tmp_path / "fresh" / "nested" / "attestd.db"
    url = f"sqlite:///{path}"
    clean_environment.setenv("ATTESTD_DATABASE_URL", url)

    first = cli("migrate")
    second = cli("migrate")

    assert first.code == 0
    assert second.code == 0
    assert path.is_file()
    _assert_migrated(url)
    created = cli("token", "create", "--role", "admin", "--name", "ci")
    assert is_well_formed(created.out.strip())


@pytest.fixture
def empty_postgresql_url(database_url) -> Iterator[str]:
    """An empty database (from template0) on the PostgreSQL server of the test run."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("SQLite run: the fresh-file test above covers `migrate` on SQLite")
    name = f"attestd_e_{uuid.uuid4().hex[:16]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


def test_migrate_creates_the_tables_in_an_empty_postgresql_database(
    cli, clean_environment, empty_postgresql_url
):
    # The cloned test database is already migrated, so this one starts empty.
    clean_environment.setenv("ATTESTD_DATABASE_URL", empty_postgresql_url)

    result = cli("migrate")

    assert result.code == 0
    _assert_migrated(empty_postgresql_url)


def test_first_admin_is_announced_once_in_development(
    clean_environment, capsys, settings, run_in_session
):
    assert settings.is_development

    _announce_first_admin(settings)
    first = capsys.readouterr().out
    _announce_first_admin(settings)
    second = capsys.readouterr().out

    [token] = TOKEN_IN_TEXT.findall(first)
    principal = run_in_session(lambda session: authenticate(session, token))
    assert principal.role is Role.ADMIN
    assert second == ""
    assert len(run_in_session(list_tokens)) == 1


def test_first_admin_is_never_created_in_production(
    clean_environment, capsys, caplog, database_url, run_in_session, signing_key_file
):
    production = Settings(
        database_url=database_url,
        environment="production",
        signing_key_file=signing_key_file,
        public_url="https://attestd.example.com",
        audit_origin="attestd.example.com/audit",
    )

    with caplog.at_level(logging.WARNING, logger="attestd.cli"):
        _announce_first_admin(production)
        _announce_first_admin(production)

    assert capsys.readouterr().out == ""
    assert list(run_in_session(list_tokens)) == []
    assert any("no admin token exists" in record.getMessage() for record in caplog.records)
