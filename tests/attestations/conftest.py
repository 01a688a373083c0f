"""Trust roots for the attestation tests: a second local Sigstore, production, the public fixtures.

The local test Sigstore itself (``local_sigstore``, ``local_root_file``) is in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.attestations.trust import TrustRoot, load_trust_root, production_root_file
from tests.sigstore_local import LocalSigstore

# The real public bundles (see its INDEX.md); tests using them skip when it is absent.
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"

needs_fixtures = pytest.mark.skipif(
    not (FIXTURES / "INDEX.md").is_file(),
    reason=f"the public Sigstore bundles are not available ({FIXTURES} is absent)",
)


@pytest.fixture(scope="session")
def trust_root(local_root_file: Path) -> TrustRoot:
    return load_trust_root(local_root_file)


@pytest.fixture(scope="session")
def other_sigstore() -> LocalSigstore:
    return LocalSigstore.generate()


@pytest.fixture(scope="session")
def other_root(
    other_sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory
) -> TrustRoot:
    folder = tmp_path_factory.mktemp("other-root")
    return load_trust_root(other_sigstore.write_trusted_root(folder))


@pytest.fixture(scope="session")
def production_root() -> TrustRoot:
    return load_trust_root(production_root_file())
