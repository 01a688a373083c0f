"""``pip install ./client`` in a fresh virtual environment brings httpx and nothing of the server,
and the ``attestd-client`` it installs runs.

Offline: pip never reaches the network. The wheels it needs (httpx and what it depends on, and
the build backend) are first copied from the local package mirrors pip's configuration names
(``file://`` indexes and find-links directories, as on the project's machines) into a
temporary wheelhouse; the fresh environment then installs with ``--no-index --find-links``
that wheelhouse only. Without such a mirror the test cannot run offline and is skipped.
It takes about 7 seconds, most of it pip's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

CLIENT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((CLIENT / "pyproject.toml").read_text(encoding="utf-8"))
# What the server brings and a pipeline job must not get.
SERVER_DISTRIBUTIONS = {
    "attestd-server",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "sigstore",
    "cryptography",
    "jsonschema-rs",
    "lxml",
    "psycopg",
}
# What `python -m venv` seeds every environment with.
SEEDED = {"pip", "setuptools", "wheel"}
# Run in the fresh environment: what is installed, and what attestd-client needs, transitively.
INSPECT = """
import json, re
from importlib.metadata import distribution, distributions
from pip._vendor.packaging.requirements import Requirement  # pip's copy: nothing to install

def name(text):
    return re.sub(r"[-_.]+", "-", text).lower()

def runtime(requirements):
    # What is installed without an extra: no marker, or one true for this interpreter.
    parsed = (Requirement(text) for text in requirements or [])
    return [r for r in parsed if r.marker is None or r.marker.evaluate({"extra": ""})]

needed, todo = set(), ["attestd-client"]
while todo:
    current = todo.pop()
    if current not in needed:
        needed.add(current)
        todo += [name(r.name) for r in runtime(distribution(current).requires)]
print(json.dumps({
    "installed": sorted({name(d.metadata["Name"]) for d in distributions()}),
    "needed": sorted(needed),
    "direct": [str(r) for r in runtime(distribution("attestd-client").requires)],
    "server_importable": __import__("importlib.util").util.find_spec("app") is not None,
}))
"""
# Run in the fresh environment: every module of the client imports there.
IMPORT_ALL = """
import importlib, pkgutil, attestd_client
names = [m.name for m in pkgutil.iter_modules(attestd_client.__path__, "attestd_client.")]
for name in names:
    if name != "attestd_client.__main__":
        importlib.import_module(name)
print(" ".join(sorted(names)))
"""


def run(command: list[str], cwd: Path) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed commands of this test
        command, capture_output=True, text=True, check=False, timeout=600, cwd=cwd
    )
    assert completed.returncode == 0, f"{command} exited {completed.returncode}: {completed.stderr}"
    return completed.stdout


def local_sources(cwd: Path) -> list[str]:
    """pip options naming only the local mirrors in pip's configuration; [] when there are none."""
    listed = run([sys.executable, "-m", "pip", "config", "list"], cwd).splitlines()
    indexes: list[str] = []
    links: list[str] = []
    for line in listed:
        key, _, value = line.partition("=")
        values = value.strip().strip("'\"").split()
        if key.endswith("index-url"):
            indexes += [v for v in values if v.startswith("file://")]
        elif key.endswith("find-links"):
            links += [v for v in values if v.startswith("file://") or Path(v).is_dir()]
    options = ["--index-url", indexes[0]] if indexes else ["--no-index"]
    options += [option for index in indexes[1:] for option in ("--extra-index-url", index)]
    options += [option for link in links for option in ("--find-links", link)]
    return options if indexes or links else []


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A fresh environment where ``pip install ./client`` ran offline, and what it holds."""
    folder = tmp_path_factory.mktemp("install")
    sources = local_sources(folder)
    if not sources:
        pytest.skip("no local package mirror in pip's configuration: cannot install offline")
    wheels, environment = folder / "wheels", folder / "venv"
    requirements = [*PROJECT["project"]["dependencies"], *PROJECT["build-system"]["requires"]]
    download = [sys.executable, "-m", "pip", "--isolated", "download", "--only-binary=:all:"]
    run([*download, "--quiet", "--dest", str(wheels), *sources, *requirements], folder)
    run([sys.executable, "-m", "venv", str(environment)], folder)
    python = str(environment / "bin" / "python")
    offline = ["--isolated", "--no-index", "--find-links", str(wheels)]
    run([python, "-m", "pip", "install", "--quiet", *offline, str(CLIENT)], folder)
    # From the temporary folder: from the repository, the server's `app` would be importable.
    seen: dict[str, Any] = json.loads(run([python, "-c", INSPECT], folder))
    return environment, seen


def test_the_client_needs_httpx_alone(installed: tuple[Path, dict[str, Any]]) -> None:
    _, seen = installed
    assert seen["direct"] == PROJECT["project"]["dependencies"] == ["httpx>=0.28"]
    assert {"httpx", "httpcore"} <= set(seen["needed"])


def test_only_httpx_and_its_dependencies_are_installed(
    installed: tuple[Path, dict[str, Any]],
) -> None:
    _, seen = installed
    assert set(seen["installed"]) - SEEDED == set(seen["needed"])
    assert not set(seen["installed"]) & SERVER_DISTRIBUTIONS
    assert seen["server_importable"] is False


@pytest.mark.parametrize("arguments", [["--help"], ["submit", "--help"], ["verdict", "--help"]])
def test_the_installed_command_runs(
    installed: tuple[Path, dict[str, Any]], arguments: list[str]
) -> None:
    environment, _ = installed
    text = run([str(environment / "bin" / "attestd-client"), *arguments], environment)
    assert text.startswith("usage: attestd-client")


def test_the_installed_command_knows_its_version(installed: tuple[Path, dict[str, Any]]) -> None:
    environment, _ = installed
    text = run([str(environment / "bin" / "attestd-client"), "--version"], environment)
    assert text == f"attestd-client {PROJECT['project']['version']}\n"


def test_every_module_imports_without_the_server(installed: tuple[Path, dict[str, Any]]) -> None:
    environment, _ = installed
    imported = run([str(environment / "bin" / "python"), "-c", IMPORT_ALL], environment).split()
    assert {"attestd_client.submit", "attestd_client.verdict", "attestd_client.ed25519"} <= set(
        imported
    )
