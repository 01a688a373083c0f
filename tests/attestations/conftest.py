"""Trust roots for the attestation tests: production's; the local timestamp authority.

The local test Sigstores (``local_sigstore``, ``local_root_file``, ``trust_root``, and a
second one, ``other_sigstore``, ``other_root``) are in tests/conftest.py; the public
fixtures' folder and ``needs_fixtures`` are in tests/attestations/public_cases.py.
"""

from __future__ import annotations

import pytest

from app.attestations.trust import TrustRoot, load_trust_root, production_root_file
from tests.sigstore_local import LocalSigstore
from tests.sigstore_local.timestamping import TimestampAuthority


@pytest.fixture(scope="session")
def production_root() -> TrustRoot:
    return load_trust_root(production_root_file())


@pytest.fixture(scope="session")
def tsa(local_sigstore: LocalSigstore) -> TimestampAuthority:
    """A timestamp authority beside the local Sigstore (tests/sigstore_local/timestamped.py)."""
    return TimestampAuthority.generate(valid_from=local_sigstore.valid_from)
