"""Shared fixtures: a migrated database per test, the app, a client, tokens and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.attestations.trust import TrustRoot, load_trust_root
from app.audit.events import Actor
from app.audit.log import AuditLog, AuditTrail
from app.auth.credentials import Role
from app.auth.tokens import create_token
from app.config import Settings
from app.db.engine import make_engine, make_sessionmaker
from app.main import create_app
from app.signing import load_or_create_service_key, load_service_key
from tests.builders.credentials import bearer
from tests.cli_runner import (
    CliResult,
    clear_attestd_environment,
    logging_restored,
    run_attestd,
    use_database_and_key,
)
from tests.clocks import MovableClock
from tests.databases import PostgresTemplate, SqliteTemplate, backend_name, build_template
from tests.sigstore_local import LocalSigstore


def pytest_report_header() -> str:
    return f"attestd test database: {backend_name()}"


@pytest.fixture(scope="session")
def database_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SqliteTemplate | PostgresTemplate]:
    template = build_template(tmp_path_factory.mktemp("template"))
    yield template
    template.close()


@pytest.fixture
def database_url(
    database_template: SqliteTemplate | PostgresTemplate, tmp_path: Path
) -> Iterator[str]:
    url = database_template.clone(tmp_path)
    yield url
    database_template.drop(url)


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Ed25519 key for the whole run (generating one per test would be waste)."""
    path = tmp_path_factory.mktemp("keys") / "signing-key.pem"
    load_or_create_service_key(path)
    return path


@pytest.fixture
def settings(database_url: str, signing_key_file: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="development",
        max_body_bytes=64 * 1024,
        signing_key_file=signing_key_file,
    )


@pytest.fixture
def clock() -> MovableClock:
    """The clock the app tells the time by; a test moves it with ``clock.advance``."""
    return MovableClock()


@pytest.fixture
def audit_log(settings: Settings, clock: MovableClock) -> AuditLog:
    key = load_service_key(settings.signing_key_path)
    return AuditLog(origin=settings.audit_origin, key=key, clock=clock)


@pytest.fixture
def app(settings: Settings, clock: MovableClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def run_in_session(database_url: str) -> Iterator[Callable[[Callable[[Session], object]], object]]:
    """Run a function in its own committed transaction on the test database."""
    engine = make_engine(database_url, pool_size=1)
    factory = make_sessionmaker(engine)

    def run(work: Callable[[Session], object]) -> object:
        with factory.begin() as session:
            return work(session)

    yield run
    engine.dispose()


TEST_ACTOR = Actor(type="cli", name="tests")


@pytest.fixture
def run_with_trail(run_in_session, audit_log: AuditLog):
    """Run a function with an audit trail, in its own committed transaction."""

    def run(work: Callable[[AuditTrail], object], actor: Actor = TEST_ACTOR) -> object:
        return run_in_session(lambda session: work(AuditTrail(session, audit_log, actor, "tests")))

    return run


@pytest.fixture
def make_token(run_with_trail) -> Callable[..., str]:
    """Create a token directly in the database and return its secret."""

    def make(role: Role | str, name: str | None = None, services: tuple[str, ...] = ()) -> str:
        role = Role(role)
        token_name = name or f"{role.value}-token"

        def create(trail: AuditTrail) -> str:
            secret, _ = create_token(trail, name=token_name, role=role, services=services)
            return secret

        result = run_with_trail(create)
        assert isinstance(result, str)
        return result

    return make


@pytest.fixture
def admin_headers(make_token) -> dict[str, str]:
    return bearer(make_token(Role.ADMIN))


@pytest.fixture
def auditor_headers(make_token) -> dict[str, str]:
    return bearer(make_token(Role.AUDITOR))


@pytest.fixture
def pipeline_headers(make_token) -> dict[str, str]:
    return bearer(make_token(Role.PIPELINE))


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ATTESTD_* setting from the developer's shell leaks into a test."""
    clear_attestd_environment(monkeypatch)
    return monkeypatch


@pytest.fixture
def cli(
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    signing_key_file: Path,
) -> Iterator[Callable[..., CliResult]]:
    """``run(*argv)``: ``attestd ARGV…`` in-process on the test database, as a ``CliResult``."""
    use_database_and_key(clean_environment, database_url, signing_key_file)

    def run(*argv: str) -> CliResult:
        return run_attestd(capsys, argv)

    with logging_restored():
        yield run


# --- the local test Sigstore (tests/sigstore_local) -----------------------------------------


@pytest.fixture(scope="session")
def local_sigstore() -> LocalSigstore:
    return LocalSigstore.generate()


@pytest.fixture(scope="session")
def local_root_file(
    local_sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The local Sigstore's trusted_root.json, for settings that name root files."""
    return local_sigstore.write_trusted_root(tmp_path_factory.mktemp("local-root"))


@pytest.fixture(scope="session")
def trust_root(local_root_file: Path) -> TrustRoot:
    """The local Sigstore's trust root, loaded as the app loads its configured roots."""
    return load_trust_root(local_root_file)


@pytest.fixture(scope="session")
def other_sigstore() -> LocalSigstore:
    """A second local Sigstore: another trust root, whose certificates the first refuses."""
    return LocalSigstore.generate()


@pytest.fixture(scope="session")
def other_root(
    other_sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory
) -> TrustRoot:
    folder = tmp_path_factory.mktemp("other-root")
    return load_trust_root(other_sigstore.write_trusted_root(folder))
