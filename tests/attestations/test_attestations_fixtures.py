"""POST /v1/attestations with the real public bundles, and with every way to the network shut.

Each public bundle (tests/attestations/public_cases.py, after INDEX.md) goes
through the HTTP API of an app whose only trust root is the case's
``trusted_root.json``, for a service whose identity policy names the case's
signer: valid ones are stored with their receipt, the others are refused with
INDEX.md's verdict, leave no row behind and are recorded in the audit log.

Every test here runs under ``NetworkGuard``: any outbound connection (socket,
name lookup, requests, urllib3) other than to the PostgreSQL test database is
refused and recorded, and a recorded attempt fails the test even when the
code that made it swallowed the error.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import urllib3
from fastapi.testclient import TestClient
from requests.adapters import HTTPAdapter
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from urllib3.connectionpool import HTTPConnectionPool

from app.artifacts.models import Artifact
from app.attestations.models import Attestation, AttestationSubject, VerificationReceipt
from app.blobs.models import Blob
from app.config import Settings
from app.main import create_app
from app.policy.keys import KEY_ISSUER, fingerprint
from tests.attestations.public_cases import CASES, Case, needs_fixtures
from tests.attestations.submissions import register, submit
from tests.databases import TEST_DATABASE_URL_VARIABLE
from tests.problems import assert_problem
from tests.sigstore_local import (
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)

SERVICE = "sigstore-fixtures"
DEFAULT_REPOSITORY = "sigstore/sigstore-python"
ENTRIES = "/v1/audit/entries"
# A loopback port nothing listens on: if the guard failed, nothing would leave the machine.
NOWHERE = ("127.0.0.1", 9)
NOWHERE_URL = "http://127.0.0.1:9/"


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


# --- the guard ----------------------------------------------------------------------------------


class NetworkGuard:
    """Refuses and records every outbound connection except those to ``allowed`` addresses."""

    def __init__(self, allowed: frozenset[tuple[str, int]]) -> None:
        self.allowed = allowed
        self.attempts: list[str] = []

    def permits(self, address: object) -> bool:
        if not isinstance(address, tuple) or len(address) < 2:
            return False
        host, port = address[0], address[1]
        try:
            return (str(host), int(port)) in self.allowed
        except (TypeError, ValueError):
            return False

    def refuse(self, way: str, target: object) -> ConnectionRefusedError:
        self.attempts.append(f"{way} {target!r}")
        return ConnectionRefusedError(errno.ECONNREFUSED, f"network refused in tests: {way}")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_create_connection = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo

        def connect(sock: socket.socket, address: Any) -> None:
            if not self.permits(address):
                raise self.refuse("socket.connect", address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            if not self.permits(address):
                self.refuse("socket.connect_ex", address)
                return errno.ECONNREFUSED
            return real_connect_ex(sock, address)

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            if not self.permits(address):
                raise self.refuse("socket.create_connection", address)
            return real_create_connection(address, *args, **kwargs)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if not self.permits((host, port)):
                raise self.refuse("socket.getaddrinfo", (host, port))
            return real_getaddrinfo(host, port, *args, **kwargs)

        def adapter_send(adapter: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            raise requests.ConnectionError(str(self.refuse("requests", request.url)))

        def pool_urlopen(pool: HTTPConnectionPool, method: str, url: str, **kwargs: Any) -> Any:
            raise self.refuse("urllib3", f"{method} {pool.scheme}://{pool.host}:{pool.port}{url}")

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "create_connection", create_connection)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(HTTPAdapter, "send", adapter_send)
        monkeypatch.setattr(HTTPConnectionPool, "urlopen", pool_urlopen)


def database_addresses() -> frozenset[tuple[str, int]]:
    """The PostgreSQL test server's (host, port), by name and by address; none for SQLite."""
    url = os.environ.get(TEST_DATABASE_URL_VARIABLE)
    if not url or make_url(url).get_backend_name() != "postgresql":
        return frozenset()
    parsed = make_url(url)
    host, port = parsed.host or "localhost", parsed.port or 5432
    resolved = {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    return frozenset((name, port) for name in {host, *resolved})


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard(database_addresses())
    guard.install(monkeypatch)
    yield guard
    assert guard.attempts == [], "connections were attempted"


def connect_a_socket() -> None:
    with socket.socket() as sock:
        sock.connect(NOWHERE)


def test_the_guard_refuses_and_records_every_way_out(no_network: NetworkGuard) -> None:
    ways: list[Callable[[], object]] = [
        lambda: socket.create_connection(NOWHERE, timeout=1),
        connect_a_socket,
        lambda: socket.getaddrinfo(*NOWHERE),
        lambda: requests.get(NOWHERE_URL, timeout=1),
        lambda: urllib3.PoolManager().request("GET", NOWHERE_URL, retries=False),
        lambda: urllib.request.urlopen(NOWHERE_URL, timeout=1),
        lambda: httpx.get(NOWHERE_URL, timeout=1),
        lambda: asyncio.run(asyncio.open_connection(*NOWHERE)),
    ]
    for number, way in enumerate(ways, start=1):
        with pytest.raises((OSError, requests.RequestException, httpx.TransportError)):
            way()
        assert len(no_network.attempts) == number, no_network.attempts
    with socket.socket() as sock:
        assert sock.connect_ex(NOWHERE) == errno.ECONNREFUSED
    assert len(no_network.attempts) == len(ways) + 1
    # Seen: the fixture would otherwise fail this test for them.
    no_network.attempts.clear()


# --- helpers ------------------------------------------------------------------------------------


def app_client(settings: Settings, *roots: Path) -> TestClient:
    """A client of an app that trusts exactly ``roots``."""
    return TestClient(create_app(settings.model_copy(update={"trust_roots": roots})))


def register_for(client: TestClient, headers: dict[str, str], case: Case) -> dict[str, Any]:
    """The case's service with a policy that names the case's signer; the policy as stored."""
    register(
        client,
        headers,
        name=SERVICE,
        repository=f"https://github.com/{case.signer.repository or DEFAULT_REPOSITORY}",
    )
    response = client.put(
        f"/v1/services/{SERVICE}/policy",
        json=case.policy_document(),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def submit_case(client: TestClient, headers: dict[str, str], case: Case) -> Any:
    content = case.content()
    return submit(
        client,
        headers,
        content,
        service=SERVICE,
        artifact=case.artifact_digest(),
        content_type=json.loads(content)["mediaType"],
    )


def audit_events(client: TestClient, headers: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = client.get(ENTRIES, params={"start": 0, "limit": 1000}, headers=headers)
    assert response.status_code == 200, response.text
    events = [json.loads(entry["leaf"]) for entry in response.json()["entries"]]
    return [event for event in events if event["action"] == action]


def row_counts(run_in_session: Callable[[Callable[[Session], object]], object]) -> dict[str, int]:
    models = (Attestation, AttestationSubject, VerificationReceipt, Artifact, Blob)

    def count(session: Session) -> dict[str, int]:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in models
        }

    counts = run_in_session(count)
    assert isinstance(counts, dict)
    return counts


# --- every public bundle, over HTTP -------------------------------------------------------------


@needs_fixtures
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_public_bundle_verdicts_over_http(
    case: Case,
    settings: Settings,
    admin_headers: dict[str, str],
    pipeline_headers: dict[str, str],
    auditor_headers: dict[str, str],
    run_in_session: Callable[[Callable[[Session], object]], object],
) -> None:
    with app_client(settings, case.root_file) as client:
        policy = register_for(client, admin_headers, case)
        response = submit_case(client, pipeline_headers, case)
        if case.verdict == "valid":
            assert_accepted(client, auditor_headers, case, policy, response)
        else:
            assert_refused(client, auditor_headers, case, response, run_in_session)


def assert_accepted(
    client: TestClient,
    auditor_headers: dict[str, str],
    case: Case,
    policy: dict[str, Any],
    response: Any,
) -> None:
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["service"] == SERVICE
    assert body["digest"] == sha256(case.content())
    artifact = case.artifact_digest()
    if case.subject is None:
        assert body["kind"] == "signature"
        assert body["predicate_type"] is None
        assert body["subjects"] == [{"name": None, "digest": artifact}]
    else:
        assert body["kind"] == "attestation"
        assert body["predicate_type"] == case.predicate_type
        (subject,) = body["subjects"]
        assert subject["name"] == case.subject.name
        assert subject["digest"].startswith(case.subject.digest)
        algorithm, hex_digest = subject["digest"].split(":")
        assert len(hex_digest) == {"sha256": 64, "sha512": 128}[algorithm]
        artifact = subject["digest"]

    receipt = body["receipt"]
    assert receipt["verified"] is True
    assert receipt["reasons"] == []
    if case.key_name is None:
        assert receipt["signer"]["subject"] == case.signer.subject
        assert receipt["signer"]["issuer"] == case.signer.issuer
        assert receipt["signer"]["key_fingerprint"] is None
    else:
        assert receipt["signer"]["subject"] == case.key_name
        assert receipt["signer"]["issuer"] == KEY_ISSUER
        assert receipt["signer"]["key_fingerprint"] == fingerprint(
            case.trusted_keys[0].public_key()
        )
        assert receipt["signer"]["identity"] is None
        assert receipt["signer"]["kind"] == "workload"
    claims = receipt["signer"]["claims"]
    if case.signer.repository is not None:
        assert claims["source_repository_uri"] == f"https://github.com/{case.signer.repository}"
        assert claims["source_repository_ref"] == case.signer.ref
        assert claims["runner_environment"] == case.signer.runner
    assert receipt["tlog"]["log_index"] >= 0
    assert len(receipt["tlog"]["log_id"]) == 64
    assert receipt["trust_root"] == {
        "source": str(case.root_file),
        "digest": sha256(case.root_file.read_bytes()),
    }
    assert receipt["policy_version"] == policy["version"]
    assert receipt["policy_digest"] == policy["digest"]

    stored = client.get(f"/v1/artifacts/{artifact}", headers=auditor_headers)
    assert stored.status_code == 200, stored.text
    evidence = stored.json()["signatures" if case.subject is None else "attestations"]
    assert [(item["id"], item["verified"]) for item in evidence] == [(body["id"], True)]
    (event,) = audit_events(client, auditor_headers, "attestation.accepted")
    assert event["object"]["id"] == str(body["id"])
    assert event["result"]["trust_root"] == receipt["trust_root"]["digest"]
    assert audit_events(client, auditor_headers, "attestation.rejected") == []


def assert_refused(
    client: TestClient,
    auditor_headers: dict[str, str],
    case: Case,
    response: Any,
    run_in_session: Callable[[Callable[[Session], object]], object],
) -> None:
    problem = assert_problem(response, 422, "bundle-rejected", instance="/v1/attestations")
    reasons = problem["reasons"]
    assert [reason.partition(": ")[0] for reason in reasons] == [case.verdict], reasons
    for reason in reasons:
        slug, _, text = reason.partition(": ")
        assert slug
        assert slug.replace("-", "").isalnum()
        assert text

    assert row_counts(run_in_session) == dict.fromkeys(
        ("attestations", "attestation_subjects", "verification_receipts", "artifacts", "blobs"), 0
    )
    artifact = case.artifact_digest()
    if artifact is not None:
        missing = client.get(f"/v1/artifacts/{artifact}", headers=auditor_headers)
        assert_problem(missing, 404, "artifact-not-found")

    (event,) = audit_events(client, auditor_headers, "attestation.rejected")
    assert event["actor"]["role"] == "pipeline"
    assert event["object"] == {"kind": "attestation", "id": sha256(case.content())}
    assert event["document_sha256"] == hashlib.sha256(case.content()).hexdigest()
    assert event["result"] == {
        "service": SERVICE,
        "artifact": artifact,
        "status": 422,
        "problem": "bundle-rejected",
        "reasons": reasons[:10],
    }
    assert audit_events(client, auditor_headers, "attestation.accepted") == []


# --- verification opens no connection -----------------------------------------------------------


def test_local_bundles_verify_over_http_without_the_network(
    no_network: NetworkGuard,
    settings: Settings,
    local_sigstore: LocalSigstore,
    local_root_file: Path,
    admin_headers: dict[str, str],
    pipeline_headers: dict[str, str],
) -> None:
    signer = SignerIdentity.github_workflow("acme/payments", ref="refs/tags/v1.0.0")
    digest = hashlib.sha256(b"payments-1.0.0.tar.gz").digest()
    artifact = "sha256:" + digest.hex()
    bundles = [
        message_signature_bundle(local_sigstore, digest, signer=signer),
        dsse_bundle(local_sigstore, statement({"payments-1.0.0.tar.gz": digest}), signer=signer),
    ]
    with app_client(settings, local_root_file) as client:
        register(client, admin_headers)
        for bundle in bundles:
            response = submit(client, pipeline_headers, bundle, artifact=artifact)
            assert response.status_code == 201, response.text
            receipt = response.json()["receipt"]
            assert receipt["signer"]["subject"] == signer.identity
            assert receipt["trust_root"]["digest"] == sha256(local_root_file.read_bytes())
    assert no_network.attempts == []


@needs_fixtures
def test_public_bundles_verify_over_http_without_the_network(
    no_network: NetworkGuard,
    settings: Settings,
    local_root_file: Path,
    admin_headers: dict[str, str],
    pipeline_headers: dict[str, str],
) -> None:
    """A real bundle, refused then accepted, the local root listed first so both are tried."""
    case = CASES["github-message-v0.2"]
    with app_client(settings, local_root_file, case.root_file) as client:
        register_for(client, admin_headers, case)
        response = submit_case(client, pipeline_headers, CASES["github-message-other-artifact"])
        problem = assert_problem(response, 422, "bundle-rejected")
        # The production root verified it (the local one's failure is then moot): wrong artifact.
        assert [reason.split(":")[0] for reason in problem["reasons"]] == [
            "subject-digest-mismatch"
        ]
        response = submit_case(client, pipeline_headers, case)
        assert response.status_code == 201, response.text
        assert response.json()["receipt"]["trust_root"]["source"] == str(case.root_file)
    assert no_network.attempts == []
