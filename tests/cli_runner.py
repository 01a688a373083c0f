"""``attestd`` run in-process: what it returns, a clean ATTESTD_* environment, logging put back.

The fixtures built from these pieces, ``clean_environment`` and ``cli``, are in
tests/conftest.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import main
from tests.databases import TEST_DATABASE_URL_VARIABLE

# The loggers that ``main`` reconfigures (app.logs.configure_logging).
CONFIGURED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


@dataclass(frozen=True)
class CliResult:
    """One run of ``attestd``: its exit code and what it printed."""

    code: int
    out: str
    err: str


def clear_attestd_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every ATTESTD_* variable but the test database's, until ``monkeypatch`` undoes it."""
    for key in list(os.environ):
        if key.upper().startswith("ATTESTD_") and key != TEST_DATABASE_URL_VARIABLE:
            monkeypatch.delenv(key)


def use_database_and_key(
    monkeypatch: pytest.MonkeyPatch, database_url: str, signing_key_file: Path
) -> None:
    """Point ``attestd`` at this database and this signing key."""
    monkeypatch.setenv("ATTESTD_DATABASE_URL", database_url)
    monkeypatch.setenv("ATTESTD_SIGNING_KEY_FILE", str(signing_key_file))


@contextmanager
def logging_restored() -> Iterator[None]:
    """``main`` reconfigures logging for the process; put it back afterwards."""
    loggers = [logging.getLogger(name) for name in CONFIGURED_LOGGERS]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    try:
        yield
    finally:
        for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def run_attestd(capsys: pytest.CaptureFixture[str], argv: Sequence[str]) -> CliResult:
    """``attestd ARGV…`` in this process, with what it printed to stdout and stderr."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return CliResult(code, out, err)
