"""The import contracts of `make lint` fail on an upward import.

``make lint`` runs import-linter on the tree as it is (all contracts kept). Here a
copy of ``app/`` gets imports that break each contract, and the same contracts,
read from the project's own ``pyproject.toml``, must name every one of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (module file, the import added, what import-linter must report)
UPWARD_IMPORTS = (
    (
        "sboms/ingest.py",
        "from app.scoring import snapshots",
        "app.sboms is not allowed to import app.scoring",
    ),
    (
        "services/repository.py",
        "from app.workflows import intake",
        "app.services is not allowed to import app.workflows",
    ),
    (
        "artifacts/uploads.py",
        "from app.api import deps",
        "app.artifacts is not allowed to import app.api",
    ),
    (
        "policy/document.py",
        "from app.attestations import trust",
        "app.policy is not allowed to import app.attestations",
    ),
    (
        "attestations/ingest.py",
        "from app.provenance import recording",
        "app.attestations is not allowed to import app.provenance",
    ),
    (
        "audit/events.py",
        "from app.auth import credentials",
        "app.audit is not allowed to import app.auth",
    ),
    (
        "digests.py",
        "from app.services import names",
        "app.digests is not allowed to import app.services",
    ),
    (
        "scoring/checks.py",
        "import sqlalchemy",
        "app.scoring.checks is not allowed to import sqlalchemy",
    ),
    (
        "attestations/bundles.py",
        "import fastapi",
        "app.attestations.bundles is not allowed to import fastapi",
    ),
)


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 - the project's own tool on its own copy
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    if not LINT_IMPORTS.exists():
        pytest.skip(f"import-linter is not installed next to {sys.executable}")
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_holds_for_the_tree_as_it_is(app_copy):
    result = _lint_imports(app_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_each_upward_import_breaks_a_contract(app_copy):
    for module, line, _ in UPWARD_IMPORTS:
        path = app_copy / "app" / module
        path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    result = _lint_imports(app_copy)
    assert result.returncode != 0
    missing = [report for _, _, report in UPWARD_IMPORTS if report not in result.stdout]
    assert not missing, result.stdout
    assert "3 broken" in result.stdout
