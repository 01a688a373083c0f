"""Known-bad twins of the public fixtures attestd verifies itself, each with its own reasons.

Every twin (tests/attestations/twins/*.json) is a real public bundle with one edit;
the untouched bundle verifies under the same policy (``test_verification``), so each
refusal is the edit's alone.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sigstore.verify.policy import Identity

from app.attestations.bundles import BundleRejected, parse_bundle
from app.attestations.trust import TrustRoot, load_trust_root
from app.attestations.verification import verify
from app.policy.keys import TrustedKey
from tests.attestations.public_cases import FIXTURES, GITHUB_OAUTH, NPM_REGISTRY_KEY, needs_fixtures

TWINS = Path(__file__).parent / "twins"
POLICY = Identity(identity="brian@dehamer.com", issuer=GITHUB_OAUTH)


def _load(path: Path) -> dict[str, Any]:
    twin: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return twin


def _step(holder: Any, token: str) -> tuple[Any, Any]:
    key: Any = (
        int(token) if isinstance(holder, list) else token.replace("~1", "/").replace("~0", "~")
    )
    return holder, key


def apply(document: dict[str, Any], twin: dict[str, Any]) -> None:
    """The twin's one edit, applied to the bundle document in place."""
    *parents, last = twin["pointer"].lstrip("/").split("/")
    holder: Any = document
    for token in parents:
        holder, key = _step(holder, token)
        holder = holder[key]
    holder, key = _step(holder, last)
    if "value" in twin:
        holder[key] = twin["value"]
        return
    data = base64.b64decode(holder[key], validate=True)
    if "flip_byte" in twin:
        index = twin["flip_byte"] % len(data)
        data = data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]
    else:
        old, new = (part.encode() for part in twin["replace"])
        assert data.count(old) == 1, twin["replace"]
        data = data.replace(old, new)
    holder[key] = base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def production_root() -> TrustRoot:
    return load_trust_root(FIXTURES / "production" / "trusted_root.json")


def test_the_twins_are_listed() -> None:
    twins = sorted(path.stem for path in TWINS.glob("*.json"))
    assert len(twins) >= 15
    for family in ("intoto-", "set-only-", "keyed-"):
        assert any(name.startswith(family) for name in twins)


@needs_fixtures
@pytest.mark.parametrize("path", sorted(TWINS.glob("*.json")), ids=lambda path: path.stem)
def test_each_twin_is_refused_with_its_reasons(path: Path, production_root: TrustRoot) -> None:
    twin = _load(path)
    document = json.loads((FIXTURES / twin["fixture"]).read_bytes())
    apply(document, twin)
    parsed = parse_bundle(json.dumps(document).encode(), "application/json")
    keys = (TrustedKey.model_validate(NPM_REGISTRY_KEY),) if twin.get("keys") else ()
    with pytest.raises(BundleRejected) as raised:
        verify(
            parsed,
            trust_roots=[production_root],
            policy=POLICY,
            policy_digest="sha256:" + "0" * 64,
            artifact=None,
            now=datetime.now(UTC),
            keys=keys,
            allow_v01_inclusion_promise=bool(twin.get("allow_v01_inclusion_promise")),
        )
    assert list(raised.value.slugs) == twin["reasons"], raised.value.reasons
