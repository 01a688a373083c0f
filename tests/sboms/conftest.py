"""Fixtures shared by the SBOM tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.sboms.sbom_files import GENERATED
from tests.sboms.uploads import SERVICE


@pytest.fixture(scope="session")
def generated_sboms(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """SBOMs of this very environment, made by a real generator (cyclonedx-py) during the run."""
    generator = Path(sys.executable).with_name("cyclonedx-py")
    if not generator.exists():
        pytest.skip("cyclonedx-bom (the cyclonedx-py generator, a dev dependency) is not installed")
    folder = tmp_path_factory.mktemp("generated")
    outputs = {
        (fmt, version): folder / f"env-{version}.{fmt.lower()}" for fmt, version in GENERATED
    }
    # --no-validate: the generator's own check uses python-jsonschema and takes ~20 s.
    runs = [
        subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter's tools
            [str(generator), "environment", "--no-validate", "--of", fmt, "--sv", version,
             "-o", str(path), sys.executable],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for (fmt, version), path in outputs.items()
    ]  # fmt: skip
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr.decode(errors="replace")
    return outputs


@pytest.fixture
def service(client, admin_headers) -> str:
    """A registered service for SBOM uploads."""
    response = client.post(
        "/v1/services",
        json={"name": SERVICE, "repository": "https://github.com/acme/payments"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    return SERVICE


@pytest.fixture
def settings(settings):
    """Room for the 10,000-deep documents (about 70 kB) under the body limit."""
    return settings.model_copy(update={"max_body_bytes": 1024 * 1024})
