"""Settings: defaults, ATTESTD_* variables, and what production refuses."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import DEFAULT_DATABASE_URL, Environment, Settings, UnsafeSettingsError
from app.db.engine import sqlite_file

POSTGRES_URL = "postgresql+psycopg://attestd@db.internal/attestd"
PUBLIC_URL = "https://attestd.example.com"
AUDIT_ORIGIN = "attestd.example.com/audit"

# Every test reads its settings from an environment without the shell's ATTESTD_* variables.
pytestmark = pytest.mark.usefixtures("clean_environment")


def test_defaults():
    settings = Settings()

    assert settings.environment is Environment.DEVELOPMENT
    assert settings.is_development
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///./var/attestd.db"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.max_body_bytes == 64 * 1024 * 1024
    assert settings.log_level == "INFO"
    assert settings.log_level_number == logging.INFO
    assert settings.db_pool_size == 5
    assert settings.signing_key_file is None
    assert str(settings.signing_key_path) == "var/signing-key.pem"
    assert settings.audit_origin == "attestd.localhost/audit"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.vsa_key_file is None
    assert settings.vsa_validity == timedelta(days=1)
    # Fine for development; production would refuse the default database, the missing key,
    # and the default public URL and audit origin.
    database, key, public_url, origin = settings.production_problems()
    assert "ATTESTD_DATABASE_URL" in database
    assert "ATTESTD_SIGNING_KEY_FILE" in key
    assert "ATTESTD_PUBLIC_URL" in public_url
    assert "ATTESTD_AUDIT_ORIGIN" in origin


def test_attestd_environment_variables_are_read(clean_environment):
    clean_environment.setenv("ATTESTD_DATABASE_URL", POSTGRES_URL)
    clean_environment.setenv("ATTESTD_HOST", "0.0.0.0")  # noqa: S104 - a value, not a bind
    clean_environment.setenv("ATTESTD_PORT", "9090")
    clean_environment.setenv("ATTESTD_MAX_BODY_BYTES", "2048")
    clean_environment.setenv("ATTESTD_LOG_LEVEL", "warning")
    clean_environment.setenv("ATTESTD_DB_POOL_SIZE", "20")
    clean_environment.setenv("ATTESTD_ENVIRONMENT", "production")
    clean_environment.setenv("ATTESTD_SIGNING_KEY_FILE", "/etc/attestd/signing-key.pem")
    clean_environment.setenv("ATTESTD_AUDIT_ORIGIN", "attestd.example.com/audit")
    clean_environment.setenv("ATTESTD_PUBLIC_URL", PUBLIC_URL)
    clean_environment.setenv("ATTESTD_VSA_VALIDITY_SECONDS", "3600")

    settings = Settings()

    assert str(settings.signing_key_file) == "/etc/attestd/signing-key.pem"
    assert settings.audit_origin == "attestd.example.com/audit"
    assert settings.database_url == POSTGRES_URL
    assert settings.host == "0.0.0.0"  # noqa: S104
    assert settings.port == 9090
    assert settings.max_body_bytes == 2048
    assert settings.log_level == "WARNING"
    assert settings.log_level_number == logging.WARNING
    assert settings.db_pool_size == 20
    assert settings.environment is Environment.PRODUCTION
    assert not settings.is_development
    assert settings.public_url == PUBLIC_URL
    assert settings.vsa_validity == timedelta(hours=1)


def test_variables_without_the_prefix_are_ignored(clean_environment):
    clean_environment.setenv("DATABASE_URL", POSTGRES_URL)
    clean_environment.setenv("PORT", "9090")

    settings = Settings()

    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 8000


def test_arguments_take_precedence_over_the_environment(clean_environment):
    clean_environment.setenv("ATTESTD_PORT", "9090")

    assert Settings(port=7000).port == 7000


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATTESTD_PORT", "0"),
        ("ATTESTD_PORT", "65536"),
        ("ATTESTD_PORT", "http"),
        ("ATTESTD_MAX_BODY_BYTES", "1023"),
        ("ATTESTD_DB_POOL_SIZE", "0"),
        ("ATTESTD_DB_POOL_SIZE", "101"),
        ("ATTESTD_ENVIRONMENT", "staging"),
        ("ATTESTD_VSA_VALIDITY_SECONDS", "59"),
        ("ATTESTD_VSA_VALIDITY_SECONDS", str(30 * 24 * 3600 + 1)),
    ],
)
def test_out_of_range_values_are_rejected(clean_environment, variable, value):
    clean_environment.setenv(variable, value)

    with pytest.raises(ValidationError) as caught:
        Settings()

    [error] = caught.value.errors()
    assert error["loc"] == (variable.removeprefix("ATTESTD_").lower(),)


def test_settings_are_immutable():
    settings = Settings()

    with pytest.raises(ValidationError):
        settings.port = 1


def test_production_refuses_the_default_database_url(clean_environment):
    clean_environment.setenv("ATTESTD_ENVIRONMENT", "production")

    with pytest.raises(ValidationError) as caught:
        Settings()

    [error] = caught.value.errors()
    assert isinstance(error["ctx"]["error"], UnsafeSettingsError)
    assert "ATTESTD_DATABASE_URL" in error["msg"]
    assert "ATTESTD_DATABASE_URL" in str(caught.value)


def test_production_refuses_the_default_database_url_even_when_spelled_out():
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", database_url=DEFAULT_DATABASE_URL)

    assert "ATTESTD_DATABASE_URL" in str(caught.value)


@pytest.mark.parametrize("level", ["DEBUG", "debug"])
def test_production_refuses_debug_logging(level):
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", database_url=POSTGRES_URL, log_level=level)

    [error] = caught.value.errors()
    assert isinstance(error["ctx"]["error"], UnsafeSettingsError)
    assert "ATTESTD_LOG_LEVEL" in error["msg"]


def test_production_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production", log_level="DEBUG")

    message = str(caught.value)
    assert "ATTESTD_DATABASE_URL" in message
    assert "ATTESTD_LOG_LEVEL" in message


def test_production_with_an_explicit_database_url_and_key_works(clean_environment):
    clean_environment.setenv("ATTESTD_ENVIRONMENT", "production")
    clean_environment.setenv("ATTESTD_DATABASE_URL", POSTGRES_URL)
    clean_environment.setenv("ATTESTD_SIGNING_KEY_FILE", "/etc/attestd/signing-key.pem")
    clean_environment.setenv("ATTESTD_PUBLIC_URL", PUBLIC_URL)
    clean_environment.setenv("ATTESTD_AUDIT_ORIGIN", AUDIT_ORIGIN)

    settings = Settings()

    assert settings.environment is Environment.PRODUCTION
    assert settings.database_url == POSTGRES_URL
    assert settings.production_problems() == []


def test_development_keeps_its_conveniences():
    settings = Settings(log_level="DEBUG")

    assert settings.is_development
    assert settings.log_level == "DEBUG"
    # What production would refuse is still reported, without failing.
    assert len(settings.production_problems()) == 5


@pytest.mark.parametrize("level", ["verbose", "", "CRITICAL", "TRACE", "INFO "])
def test_unknown_log_levels_are_rejected(level):
    with pytest.raises(ValidationError) as caught:
        Settings(log_level=level)

    assert "log_level must be DEBUG, INFO, WARNING or ERROR" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("debug", "DEBUG"), ("Info", "INFO"), ("warning", "WARNING"), ("ERROR", "ERROR")],
)
def test_log_level_is_normalised_to_upper_case(given, normalised):
    settings = Settings(log_level=given)

    assert settings.log_level == normalised
    assert settings.log_level_number == logging.getLevelNamesMapping()[normalised]


def test_log_level_from_the_environment_is_normalised(clean_environment):
    clean_environment.setenv("ATTESTD_LOG_LEVEL", "error")

    assert Settings().log_level == "ERROR"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        (DEFAULT_DATABASE_URL, Path("var/attestd.db")),
        ("sqlite:///relative.db", Path("relative.db")),
        ("sqlite:////srv/attestd/attestd.db", Path("/srv/attestd/attestd.db")),
        ("sqlite:///data/attestd.db?timeout=5", Path("data/attestd.db")),
        ("sqlite+pysqlite:///data/attestd.db", Path("data/attestd.db")),
    ],
)
def test_sqlite_file_of_a_sqlite_file(url, path):
    assert sqlite_file(url) == path


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        POSTGRES_URL,
        "postgresql://attestd@localhost/sqlite.db",
        "not a url",
    ],
)
def test_sqlite_file_is_none_for_anything_but_a_sqlite_file(url):
    assert sqlite_file(url) is None


def test_settings_can_be_built_for_the_test_database(database_url):
    settings = Settings(database_url=database_url)

    if database_url.startswith("sqlite"):
        path = sqlite_file(settings.database_url)
        assert path is not None
        assert path.is_file()
    else:
        assert sqlite_file(settings.database_url) is None


def test_production_refuses_to_start_without_a_signing_key(clean_environment):
    clean_environment.setenv("ATTESTD_ENVIRONMENT", "production")
    clean_environment.setenv("ATTESTD_DATABASE_URL", POSTGRES_URL)

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert "ATTESTD_SIGNING_KEY_FILE" in str(caught.value)


@pytest.mark.parametrize("origin", ["", "has space", "a+b", "tab\there", "x" * 257])
def test_unusable_audit_origins_are_rejected(origin):
    with pytest.raises(ValidationError):
        Settings(audit_origin=origin)


# --- what the summaries carry and who signs them ---------------------------------------------


def production(**changes: object) -> Settings:
    """Production settings that are fine but for ``changes``."""
    values: dict[str, object] = {
        "environment": "production",
        "database_url": POSTGRES_URL,
        "signing_key_file": Path("/etc/attestd/signing-key.pem"),
        "public_url": PUBLIC_URL,
        "audit_origin": AUDIT_ORIGIN,
    }
    values.update(changes)
    return Settings(**values)


@pytest.mark.parametrize(
    ("setting", "variable"),
    [
        ({"public_url": "http://127.0.0.1:8000"}, "ATTESTD_PUBLIC_URL"),
        ({"audit_origin": "attestd.localhost/audit"}, "ATTESTD_AUDIT_ORIGIN"),
    ],
)
def test_production_refuses_the_default_public_url_and_audit_origin(setting, variable):
    """Before, both were only advised: summaries named a loopback verifier, checkpoints a
    placeholder origin that every deployment shares."""
    with pytest.raises(ValidationError) as caught:
        production(**setting)

    [error] = caught.value.errors()
    assert isinstance(error["ctx"]["error"], UnsafeSettingsError)
    assert f"{variable} is the development default" in error["msg"]
    assert production().production_problems() == []


def key_file(folder: Path, mode: int) -> Path:
    path = folder / "vsa-key.pem"
    path.write_text("a key", encoding="ascii")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_production_takes_a_summary_key_only_its_owner_can_read(tmp_path, mode):
    settings = production(vsa_key_file=key_file(tmp_path, mode))
    assert settings.vsa_key_file == tmp_path / "vsa-key.pem"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o666])
def test_production_refuses_a_summary_key_others_can_read_or_change(tmp_path, mode):
    with pytest.raises(ValidationError) as caught:
        production(vsa_key_file=key_file(tmp_path, mode))

    assert f"ATTESTD_VSA_KEY_FILE {tmp_path / 'vsa-key.pem'}: its mode {mode:04o}" in str(
        caught.value
    )


def test_production_refuses_a_summary_key_that_is_not_there(tmp_path):
    with pytest.raises(ValidationError) as caught:
        production(vsa_key_file=tmp_path / "missing.pem")
    assert "ATTESTD_VSA_KEY_FILE" in str(caught.value)
    assert "cannot read it (No such file or directory)" in str(caught.value)

    with pytest.raises(ValidationError, match="not a file"):
        production(vsa_key_file=tmp_path)


def test_development_takes_any_summary_key_file(tmp_path):
    settings = Settings(vsa_key_file=key_file(tmp_path, 0o644))
    assert settings.is_development
    assert any("ATTESTD_VSA_KEY_FILE" in problem for problem in settings.production_problems())
