"""Trust roots: read from files at start-up, checked, never fetched."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sigstore.verify import Verifier
from sqlalchemy import func, select

from app.attestations.trust import (
    TrustRootError,
    load_trust_root,
    load_trust_roots,
    production_root_file,
)
from app.auth.models import ApiToken
from app.config import Settings
from app.main import create_app

ROOTS = Path(__file__).parent / "trust_roots"
BAD = sorted(path.name for path in ROOTS.glob("bad-*.json"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("trust roots must load without touching the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_without_configuration_the_shipped_production_root_is_used(no_network):
    (root,) = load_trust_roots(())
    assert root.source == str(production_root_file())
    assert root.source.endswith("tuf-repo-cdn.sigstore.dev/trusted_root.json")
    assert root.digest == _sha256(production_root_file())
    assert isinstance(root.verifier, Verifier)


def test_configured_roots_are_loaded_in_order(no_network):
    staging = ROOTS / "good-staging.json"
    roots = load_trust_roots((staging, production_root_file()))
    assert [root.source for root in roots] == [str(staging), str(production_root_file())]
    assert roots[0].digest == _sha256(staging)
    assert roots[0].digest != roots[1].digest


@pytest.mark.parametrize("name", BAD)
def test_a_bad_trust_root_is_refused_with_its_path(name):
    with pytest.raises(TrustRootError) as raised:
        load_trust_root(ROOTS / name)
    assert str(ROOTS / name) in str(raised.value)


def test_every_bad_file_is_described():
    described = (ROOTS / "README.md").read_text(encoding="utf-8")
    assert BAD
    assert all(f"`{name}`" in described for name in BAD)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(TrustRootError, match="cannot read trust root"):
        load_trust_root(tmp_path / "absent.json")


def test_trust_roots_come_comma_separated_from_the_environment(monkeypatch, clean_environment):
    clean_environment.setenv("ATTESTD_TRUST_ROOTS", " /etc/a.json, /etc/b.json ,")
    assert Settings().trust_roots == (Path("/etc/a.json"), Path("/etc/b.json"))
    clean_environment.delenv("ATTESTD_TRUST_ROOTS")
    assert Settings().trust_roots == ()


def test_the_app_holds_the_configured_roots(settings):
    staging = ROOTS / "good-staging.json"
    app = create_app(settings.model_copy(update={"trust_roots": (staging,)}))
    with TestClient(app):
        (root,) = app.runtime.trust_roots
        assert root.digest == _sha256(staging)


def test_serve_refuses_to_start_on_a_bad_root_before_changing_anything(
    cli, clean_environment, run_in_session
):
    bad = ROOTS / "bad-no-tlogs-no-tsa.json"
    clean_environment.setenv("ATTESTD_TRUST_ROOTS", str(bad))
    result = cli("serve")
    assert result.code == 2
    assert str(bad) in result.err
    assert "neither a transparency log nor a timestamp authority" in result.err
    # A development serve that starts creates the first admin token: none was made.
    tokens = run_in_session(lambda s: s.scalar(select(func.count()).select_from(ApiToken)))
    assert tokens == 0


def test_a_root_with_a_timestamp_authority_and_no_log_is_timestamp_only(tmp_path, local_sigstore):
    # GitHub's own instance: a Fulcio CA and a TSA, no transparency log, no CT log.
    document = local_sigstore.trusted_root()
    document["tlogs"], document["ctlogs"] = [], []
    document["timestampAuthorities"] = json.loads(
        (ROOTS / "good-staging.json").read_text(encoding="utf-8")
    )["timestampAuthorities"]
    path = tmp_path / "timestamp-only.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    root = load_trust_root(path)
    assert root.timestamp_only
    assert root.verifier is None
    assert (root.tlogs, root.ct_logs) == ((), ())
    assert len(root.authorities) == len(root.timestamp_authorities) == 1


def test_a_root_exposes_what_it_trusts(no_network):
    root = load_trust_root(ROOTS / "good-staging.json")
    assert not root.timestamp_only
    assert isinstance(root.verifier, Verifier)
    assert root.tlogs[0].base_url == "https://rekor.sigstage.dev"
    assert all(len(log.log_id) == 32 for log in (*root.tlogs, *root.ct_logs))
    (authority,) = root.authorities
    assert authority.chain[-1].subject == authority.chain[-1].issuer
    assert root.timestamp_authorities[0].valid_for.end is None
