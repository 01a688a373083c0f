"""The import contracts of `make lint` fail on an upward import; tests import only helpers.

``make lint`` runs import-linter on the tree as it is (all contracts kept). Here a
copy of ``app/`` gets imports that break each contract, and the same contracts,
read from the project's own ``pyproject.toml``, must name every one of them.

No module under ``tests/`` imports from a test module (``test_*.py``) or a
``conftest.py``: what several tests share lives in a helper module
(``tests/builders/``, or a domain's own such as ``tests/sboms/uploads.py``), and
fixtures reach tests through pytest, not through imports.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
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


# --- tests import helpers, never test modules or conftest files ---------------------------


def _is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def _imported_modules(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every module ``path`` imports, relative imports resolved."""
    parts = path.relative_to(root).with_suffix("").parts
    package = parts[:-1]  # an __init__.py is its own package, whose name is parts[:-1] too
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else ()
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            yield node.lineno, base
            # ``from tests.sboms import test_search`` names the module as an imported name.
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def imports_of_tests(root: Path) -> list[str]:
    """``path:line module`` for each import, under ``root/tests``, of a test module or conftest."""
    found = []
    for path in sorted((root / "tests").rglob("*.py")):
        for line, module in _imported_modules(root, path):
            target = root.joinpath(*module.split("."))
            is_module = target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()
            if module.startswith("tests.") and is_module and _is_test_or_conftest(module):
                found.append(f"{path.relative_to(root)}:{line} {module}")
    return found


def test_no_module_of_the_tests_imports_a_test_module_or_a_conftest():
    assert imports_of_tests(ROOT) == []


def test_the_check_names_each_import_of_a_test_module_or_a_conftest(tmp_path):
    files = {
        "tests/__init__.py": "",
        "tests/conftest.py": "def bearer(token): ...\n",
        "tests/builders/__init__.py": "",
        "tests/builders/documents.py": "def cyclonedx(): ...\n",
        "tests/sboms/__init__.py": "",
        "tests/sboms/conftest.py": "from tests.conftest import bearer\n",
        "tests/sboms/test_search.py": "from tests.builders.documents import cyclonedx\n",
        "tests/sboms/test_plan.py": (
            "import tests.sboms.test_search\n"
            "from tests.sboms import test_search\n"
            "from .test_search import cyclonedx\n"
            "from . import conftest\n"
            "from ..builders import documents\n"
        ),
        "tests/sboms/uploads.py": "from .conftest import bearer\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert imports_of_tests(tmp_path) == [
        "tests/sboms/conftest.py:1 tests.conftest",
        "tests/sboms/test_plan.py:1 tests.sboms.test_search",
        "tests/sboms/test_plan.py:2 tests.sboms.test_search",
        "tests/sboms/test_plan.py:3 tests.sboms.test_search",
        "tests/sboms/test_plan.py:4 tests.sboms.conftest",
        "tests/sboms/uploads.py:1 tests.sboms.conftest",
    ]
