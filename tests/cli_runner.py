"""``attestd`` run in-process: what it returns, a clean ATTESTD_* environment, logging put back.

The fixtures built from these pieces, ``clean_environment`` and ``cli``, are in
tests/conftest.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
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


def heavy_modules_after(argv: Sequence[str], unset: str) -> str:
    """Run ``attestd ARGV`` in a fresh interpreter with ``unset`` unset.

    Prints its exit code, which of sigstore, FastAPI, uvicorn and Starlette it
    imported, and whether it imported the app itself: what a client command
    must leave out to start fast.
    """
    script = (
        "import sys\n"
        "from app.cli import main\n"
        f"code = main({list(argv)!r})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sigstore', 'fastapi', 'uvicorn', 'starlette'})\n"
        "print(code, heavy, 'app.main' in sys.modules)\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != unset}
    completed = subprocess.run(  # noqa: S603 - the test's own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).parents[1],
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()
