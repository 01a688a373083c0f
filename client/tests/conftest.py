"""Fixtures of the client's tests: a clean environment, and the command run in-process."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from types import ModuleType

import pytest
from builders import Ran, Runner, Script
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client import submit, verdict
from attestd_client.cli import main


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ATTESTD_* variable and no proxy from the shell that runs the tests."""
    for name in list(os.environ):
        if name.upper().startswith("ATTESTD_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def cli(environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """``cli(script, *argv, env={...})``: ``attestd-client ARGV`` answered by ``script``.

    A ``SystemExit`` (argparse, ``--help``, ``--version``) is its code.
    """

    def run(script: Script, *argv: str, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            environment.setenv(name, value)
        sleeps: list[float] = []
        for module, original in ORIGINAL_RUNS.items():
            patched = partial(original, transport=script.transport, sleep=sleeps.append)
            environment.setattr(module, "run", patched)
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exited:
            code = int(exited.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err, sleeps)

    return run


ORIGINAL_RUNS: dict[ModuleType, Callable[..., int]] = {submit: submit.run, verdict: verdict.run}


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    """attestd's key in these tests: it signs every summary the scripted server answers."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
