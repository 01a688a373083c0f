"""``attestd submit`` with files that hold several bundles, against a real server.

A PEP 740 provenance file (the real one of tests/attestations/pep740, and a tampered
twin) is converted by the client and verified by the server; a JSON Lines file of
bundles from the local test Sigstore is sent line by line. The test app runs under
uvicorn on loopback and trusts the public-good root and the local one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.attestations.trust import production_root_file
from app.config import Settings
from tests.attestations.pep740_files import (
    PROVENANCE,
    PUBLISH_PREDICATE,
    PUBLISHER_REPOSITORY,
    SIGNER,
    twins,
)
from tests.attestations.submissions import register
from tests.builders.identities import FORK, RELEASE
from tests.builders.services import SERVICE
from tests.servers import LiveServer, serve_in_thread
from tests.sigstore_local import LocalSigstore, message_signature_bundle

TOKEN_ENV = "ATTESTD_SUBMIT_TEST_TOKEN"
PUBLISHER_SERVICE = "pypi-attestations"
PUBLISHER = "GitHub (repository=trailofbits/pypi-attestations, workflow=release.yml)"
PART = f"attestation_bundles[0].attestations[0] (PEP 740, {PUBLISHER})"


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (production_root_file(), local_root_file)})


@pytest.fixture
def live_server(app, clean_environment: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        clean_environment.delenv(name, raising=False)
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture
def services(live_server: LiveServer, admin_headers) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=live_server.timeout) as http:
        register(http, admin_headers)
        register(http, admin_headers, PUBLISHER_SERVICE, PUBLISHER_REPOSITORY)


@pytest.fixture
def submit(cli, live_server: LiveServer, make_token, clean_environment: pytest.MonkeyPatch):
    """``run(*args, service=)``: ``attestd submit`` against the live server."""
    clean_environment.setenv(TOKEN_ENV, make_token("pipeline", name="release-job"))

    def run(*args: str, service: str = SERVICE):
        return cli(
            "submit", "--server", live_server.base_url, "--token-env", TOKEN_ENV,
            "--service", service, "--retries", "0", "--timeout", "10", *args,
        )  # fmt: skip

    return run


def test_a_pep740_provenance_file_is_converted_and_verified_by_the_server(services, submit):
    first = submit("--bundle", str(PROVENANCE), service=PUBLISHER_SERVICE)
    assert first.code == 0, first.out + first.err
    assert (
        f"attestd submit: --bundle {PROVENANCE}: PEP 740 provenance, publisher {PUBLISHER}: "
        "1 attestation, each converted to a Sigstore bundle v0.3 and sent on its own\n"
    ) in first.err
    (line,) = first.out.splitlines()
    assert line.startswith(f"bundle {PROVENANCE} {PART}: 201 created id=")
    assert f"predicate={PUBLISH_PREDICATE}" in line
    assert f"signer={SIGNER}" in line
    assert "tlog=153454663" in line
    assert "1 submission: 1 accepted (1 created, 0 already stored); exit 0" in first.err

    # The conversion is deterministic: the same file is the same submission.
    again = submit("--json", "--bundle", str(PROVENANCE), service=PUBLISHER_SERVICE)
    assert again.code == 0, again.out + again.err
    (record,) = (json.loads(text) for text in again.out.splitlines())
    assert (record["outcome"], record["part"], record["line"]) == ("already-stored", PART, None)
    assert record["content_type"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert record["record"]["receipt"]["verified"] is True


@pytest.mark.parametrize("twin", twins()[:2], ids=lambda twin: twin.name)
def test_a_tampered_pep740_file_is_refused_by_the_server_with_its_reason(
    services, submit, tmp_path, twin
):
    tampered = tmp_path / "tampered.provenance"
    tampered.write_text(json.dumps(twin.document()))
    result = submit("--bundle", str(tampered), service=PUBLISHER_SERVICE)
    assert result.code == 1
    head, first_reason, *_ = result.out.splitlines()
    assert head.startswith(f"bundle {tampered} {PART}: 422 refused: Bundle failed verification")
    assert first_reason.startswith(f"  - {twin.reason}: ")
    assert "1 submission: 0 accepted (0 created, 0 already stored), 1 refused; exit 1" in result.err


def test_json_lines_are_sent_one_by_one_and_each_is_reported(
    services, submit, tmp_path, local_sigstore: LocalSigstore
):
    def signed(text: bytes, signer=RELEASE) -> bytes:
        content = message_signature_bundle(
            local_sigstore, hashlib.sha256(text).digest(), signer=signer
        ).content
        return json.dumps(json.loads(content)).encode()  # one line, as gh writes them

    lines = [signed(b"first"), b"", signed(b"fork", signer=FORK), signed(b"second"), b"  "]
    bundles = tmp_path / "attestations.jsonl"
    bundles.write_bytes(b"\n".join(lines) + b"\n")

    result = submit("--bundle", str(bundles))
    assert result.code == 1
    out = result.out.splitlines()
    assert out[0].startswith(f"bundle {bundles} line 1: 201 created id=")
    assert out[1].startswith(f"bundle {bundles} line 3: 422 refused: ")
    # The public-good root does not know the local chain; the local root refuses the signer.
    assert out[2].startswith("  - untrusted-chain: ")
    assert out[3].startswith("  - identity-mismatch: ")
    assert re.match(rf"bundle {re.escape(str(bundles))} line 4: 201 created id=", out[-1])
    assert f"--bundle {bundles}: JSON Lines, 3 bundles, each sent on its own" in result.err
    assert "3 submissions: 2 accepted (2 created, 0 already stored), 1 refused; exit 1" in (
        result.err
    )
