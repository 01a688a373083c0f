"""POST /v1/artifacts/{digest}/reverify: new receipts against today's roots and policy."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attestations.models import VerificationReceipt
from app.attestations.trust import TrustRoot
from app.config import Settings
from app.main import create_app
from tests.attestations.submissions import register, submit
from tests.builders.services import REPOSITORY
from tests.problems import assert_problem
from tests.provenance.statements import statement
from tests.sboms.uploads import audit_events
from tests.sigstore_local import SignerIdentity, dsse_bundle, message_signature_bundle

RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v1.4.0")
NAME = "payments-1.4.0.tar.gz"
DIGEST = hashlib.sha256(NAME.encode()).digest()
ARTIFACT = "sha256:" + DIGEST.hex()


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def evidence(client, admin_headers, pipeline_headers, local_sigstore) -> dict[str, Any]:
    """A signature and an SLSA provenance of one artifact."""
    register(client, admin_headers)
    signature = submit(
        client, pipeline_headers, message_signature_bundle(local_sigstore, DIGEST, signer=RELEASE)
    )
    document = statement("good-unknown-builder.json")
    document["subject"] = [{"name": NAME, "digest": {"sha256": DIGEST.hex()}}]
    provenance = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE)
    )
    assert (signature.status_code, provenance.status_code) == (201, 201), provenance.text
    return {"signature": signature.json(), "provenance": provenance.json()}


def reverify(client: Any, headers: dict[str, str], digest: str = ARTIFACT) -> Any:
    return client.post(f"/v1/artifacts/{digest}/reverify", headers=headers)


def receipts(run_in_session: Any, attestation_id: int) -> list[tuple[int, bool, list[str]]]:
    def read(session: Session) -> list[tuple[int, bool, list[str]]]:
        rows = session.scalars(
            select(VerificationReceipt)
            .where(VerificationReceipt.attestation_id == attestation_id)
            .order_by(VerificationReceipt.id)
        )
        return [(row.id, row.verified, list(row.reasons)) for row in rows]

    result: list[tuple[int, bool, list[str]]] = run_in_session(read)
    return result


def test_evidence_that_still_verifies_gets_new_receipts_beside_the_old(
    client, evidence, admin_headers, auditor_headers, run_in_session
):
    response = reverify(client, admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["digest"] == ARTIFACT
    assert [e["attestation_id"] for e in body["evidence"]] == [
        evidence["signature"]["id"],
        evidence["provenance"]["id"],
    ]
    for item, original in zip(body["evidence"], evidence.values(), strict=True):
        assert item["receipt"]["verified"] is True
        assert item["receipt"]["id"] != original["receipt"]["id"]
        assert item["receipt"]["audit_index"] == body["audit_index"]
        assert [r[0] for r in receipts(run_in_session, original["id"])] == [
            original["receipt"]["id"],
            item["receipt"]["id"],
        ]
    # An unknown builder signed on a GitHub-hosted runner: the hosted-platform rule, L2.
    assert body["evidence"][1]["provenance"]["slsa_level"] == 2
    assert evidence["provenance"]["provenance"]["slsa_level"] == 2

    leaf = audit_events(run_in_session)[-1]
    assert leaf["action"] == "artifact.reverified"
    assert leaf["index"] == body["audit_index"]
    assert [e["verified"] for e in leaf["result"]["evidence"]] == [True, True]


def test_a_signer_the_policy_no_longer_allows_fails_today_and_the_old_receipt_stays(
    client, evidence, admin_headers, auditor_headers, run_in_session
):
    changed = client.put(
        "/v1/services/payments/policy",
        json={"identities": [{"issuer": "https://accounts.attestd.test", "subject": "a@b.test"}]},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    body = reverify(client, admin_headers).json()
    for item in body["evidence"]:
        assert item["receipt"]["verified"] is False
        assert item["receipt"]["reasons"][0].startswith("identity-mismatch: ")
        assert item["receipt"]["policy_version"] == changed.json()["version"]
        assert item["receipt"]["signer"]["subject"] == RELEASE.identity

    signature = evidence["signature"]
    # The upload's receipt; the policy change's re-check; this re-verification.
    (first, first_verified, _), (_, rechecked, _), (_, now_verified, _) = receipts(
        run_in_session, signature["id"]
    )
    assert (first, first_verified, rechecked, now_verified) == (
        signature["receipt"]["id"],
        True,
        False,
        False,
    )
    artifact = client.get(f"/v1/artifacts/{ARTIFACT}", headers=auditor_headers).json()
    assert [s["verified"] for s in artifact["signatures"]] == [False]
    record = client.get(f"/v1/attestations/{signature['id']}", headers=auditor_headers).json()
    assert record["receipt"]["verified"] is False


def test_a_trust_root_no_longer_configured_fails_today(
    evidence, settings, admin_headers, run_in_session, other_root: TrustRoot
):
    elsewhere = settings.model_copy(update={"trust_roots": (Path(other_root.source),)})
    with TestClient(create_app(elsewhere)) as other_client:
        body = reverify(other_client, admin_headers).json()
    for item in body["evidence"]:
        assert item["receipt"]["verified"] is False
        assert item["receipt"]["reasons"][0].startswith("untrusted-chain: ")


def test_a_provenance_is_checked_against_todays_trust_map(
    client, evidence, admin_headers, auditor_headers
):
    builder_id = statement("good-unknown-builder.json")["predicate"]["runDetails"]["builder"]["id"]
    changed = client.put(
        "/v1/services/payments/policy",
        json={
            "trusted_builders": [
                {
                    "id": builder_id,
                    "signer": {"issuer": RELEASE.issuer, "subject": RELEASE.identity},
                    "max_level": 3,
                    "trust_domain": "acme",
                }
            ]
        },
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    body = reverify(client, admin_headers).json()
    assert body["evidence"][1]["provenance"]["slsa_level"] == 3
    artifact = client.get(f"/v1/artifacts/{ARTIFACT}", headers=auditor_headers).json()
    assert artifact["provenance"]["slsa_level"] == 3


def test_unknown_artifacts_and_other_roles_are_refused(
    client, evidence, auditor_headers, pipeline_headers, admin_headers
):
    assert_problem(reverify(client, admin_headers, "sha256:" + "0" * 64), 404, "artifact-not-found")
    assert_problem(reverify(client, auditor_headers), 403, "forbidden")
    assert_problem(reverify(client, pipeline_headers), 403, "forbidden")
