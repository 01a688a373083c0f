"""Trust roots for the attestation tests: a second local Sigstore, production.

The local test Sigstore itself (``local_sigstore``, ``local_root_file``, ``trust_root``)
is in tests/conftest.py; the public fixtures' folder and ``needs_fixtures`` are in
tests/attestations/public_cases.py.
"""

from __future__ import annotations

import pytest

from app.attestations.trust import TrustRoot, load_trust_root, production_root_file
from tests.sigstore_local import LocalSigstore


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
