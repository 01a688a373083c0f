"""Decisions under the policy and trust roots in force, attacked over HTTP.

Before evidence was judged again under the rules in force, every verdict here was
obtained without the assurance it claimed: receipts, levels and source bindings
were computed once, at upload, and counted whatever the policy or the trust roots
said later; the signed summary named the new policy version as if it had been
applied. Each attack sits next to the legitimate case that still passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.attestations.models import VerificationReceipt
from app.attestations.trust import TrustRoot
from app.config import Settings
from app.main import create_app
from app.provenance.slsa import ProvenanceMalformed
from tests.attestations.submissions import submit
from tests.builders.bundles import DIGEST, signature
from tests.builders.identities import RELEASE
from tests.builders.services import SERVICE
from tests.sboms.uploads import audit_events
from tests.scoring.reads import check_of
from tests.scoring.release_pipeline import Pipeline, up_to


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def receipts(run_in_session) -> int:
    return int(run_in_session(lambda s: s.scalar(select(func.count(VerificationReceipt.id)))))


def rechecks(run_in_session) -> list[dict[str, Any]]:
    return [e for e in audit_events(run_in_session) if e["action"] == "evidence.rechecked"]


def test_a_policy_that_allows_no_signer_turns_the_gate_to_deny(payments: Pipeline):
    """Before: the gate kept allowing on receipts made under the policy it replaced."""
    up_to(payments, 4)
    allowed = payments.verdict()
    assert allowed["decision"] == "allow"

    changed = payments.policy(identities=[])

    denied = payments.verdict()
    assert denied["decision"] == "deny"
    assert any(reason.startswith("artifact-signed: ") for reason in denied["reasons"])
    maturity = payments.maturity()
    assert maturity["level"] < 2
    assert maturity["policy_version"] == changed["version"]
    assert check_of(maturity, "artifact-signed")["status"] == "fail"


def test_release_refs_that_exclude_the_tag_unbind_the_provenance(payments: Pipeline):
    """Before: a provenance bound to a tag at upload stayed bound after the policy said
    releases come from release branches only."""
    up_to(payments, 4)
    assert payments.verdict()["decision"] == "allow"

    payments.policy(release_refs=r"refs/heads/release/.+")

    denied = payments.verdict()
    assert denied["decision"] == "deny"
    maturity = payments.maturity()
    assert check_of(maturity, "hosted-builder")["status"] == "fail"
    artifact = payments.client.get(f"/v1/artifacts/{DIGEST}", headers=payments.auditor).json()
    provenance = artifact["provenance"]
    assert provenance["source_bound"] is False
    assert any(r.startswith("source-ref-not-allowed: ") for r in provenance["reasons"])


def test_a_policy_change_that_keeps_the_signer_keeps_the_verdict(
    payments: Pipeline, run_in_session, monkeypatch: pytest.MonkeyPatch
):
    """The legitimate change: the same signers, a new version: evidence judged again, still
    verified, without its cryptography (the receipt keeps its log and trust-root facts)."""
    up_to(payments, 4)
    before = payments.verdict()

    def cryptography(*args: object, **kwargs: object) -> None:
        raise AssertionError("the roots did not change: no bundle is verified again in full")

    monkeypatch.setattr("app.workflows.recheck.verify_for_service", cryptography)
    current = payments.policy()
    updated = payments.policy(
        identities=[
            *current["identities"],
            {
                "issuer": "https://accounts.attestd.test",
                "subject": "release-manager@acme.example",
            },
        ]
    )

    after = payments.verdict()
    assert (before["decision"], after["decision"]) == ("allow", "allow")
    assert after["level"] == before["level"]
    (leaf,) = rechecks(run_in_session)
    assert leaf["result"]["policy_version"] == updated["version"]
    assert all(item["verified"] and item["was_verified"] for item in leaf["result"]["evidence"])
    signature_record = payments.client.get(
        f"/v1/attestations/{leaf['result']['evidence'][0]['attestation_id']}",
        headers=payments.auditor,
    ).json()
    assert signature_record["receipt"]["policy_version"] == updated["version"]
    assert signature_record["receipt"]["audit_index"] == leaf["index"]


def test_repeated_verdicts_verify_nothing_again(payments: Pipeline, run_in_session):
    """The cache: a receipt made under the policy and roots in force is judged as it is."""
    up_to(payments, 4)
    payments.policy(release_refs=r"refs/tags/v.+")
    payments.verdict()
    stored = receipts(run_in_session)
    leaves = len(rechecks(run_in_session))

    for _ in range(3):
        payments.verdict()
        payments.maturity()

    assert receipts(run_in_session) == stored
    assert len(rechecks(run_in_session)) == leaves


def test_an_attestd_started_with_other_trust_roots_judges_the_evidence_again(
    payments: Pipeline, settings: Settings, clock, other_root: TrustRoot, run_in_session
):
    """Before: receipts verified under a root an operator has since removed kept counting,
    and the gate kept allowing on them."""
    up_to(payments, 2)
    assert payments.verdict("staging")["decision"] == "allow"
    elsewhere = settings.model_copy(update={"trust_roots": (Path(other_root.source),)})

    with TestClient(create_app(elsewhere, clock=clock)) as restarted:
        read = restarted.get(f"/v1/services/{SERVICE}/maturity", headers=payments.auditor)
        verdict = restarted.post(
            "/v1/verdicts",
            json={"digest": DIGEST, "environment": "staging"},
            headers=payments.pipeline,
        )

    assert read.status_code == 200, read.text
    assert read.json()["trigger"] == "trust-roots"
    assert read.json()["level"] < 2
    assert verdict.json()["decision"] == "deny"
    (leaf,) = rechecks(run_in_session)
    assert leaf["result"]["trust_roots_digest"] != ""
    assert not any(item["verified"] for item in leaf["result"]["evidence"])


def test_an_attestd_started_with_the_same_trust_roots_trusts_its_receipts(
    payments: Pipeline, settings: Settings, clock, run_in_session
):
    """The legitimate restart: same roots, same policy: nothing is verified again."""
    up_to(payments, 2)
    stored = receipts(run_in_session)

    with TestClient(create_app(settings, clock=clock)) as restarted:
        read = restarted.get(f"/v1/services/{SERVICE}/maturity", headers=payments.auditor)
        verdict = restarted.post(
            "/v1/verdicts",
            json={"digest": DIGEST, "environment": "staging"},
            headers=payments.pipeline,
        )

    assert read.json()["level"] >= 2
    assert read.json()["trigger"] != "trust-roots"
    assert verdict.json()["decision"] == "allow"
    assert receipts(run_in_session) == stored
    assert rechecks(run_in_session) == []


def test_a_provenance_todays_reader_refuses_stops_counting(
    payments: Pipeline, monkeypatch: pytest.MonkeyPatch
):
    """Before: when a stricter reader refused a stored provenance on re-verification, its
    old check stayed, and kept vouching for the build level it once granted."""
    up_to(payments, 3)
    assert check_of(payments.maturity(), "hosted-builder")["status"] == "pass"

    def stricter(verified: object) -> None:
        raise ProvenanceMalformed(
            "The provenance is not one attestd reads.", reasons=["field-refused: a test's rule"]
        )

    monkeypatch.setattr("app.workflows.recheck.provenance_from_verified", stricter)
    reverified = payments.client.post(f"/v1/services/{SERVICE}/reverify", headers=payments.admin)

    assert reverified.status_code == 200, reverified.text
    body = reverified.json()
    builds = [item for item in body["changed"] if item["provenance"] is not None]
    assert builds
    assert all(item["provenance"]["slsa_level"] == 0 for item in builds)
    assert all(
        item["provenance"]["reasons"] == ["provenance-unreadable: field-refused: a test's rule"]
        for item in builds
    )
    maturity = payments.maturity()
    assert check_of(maturity, "provenance-present")["status"] == "fail"
    assert maturity["level"] < 2


def test_reverifying_a_service_reports_what_changed(
    payments: Pipeline, settings: Settings, clock, other_root: TrustRoot
):
    up_to(payments, 2)
    unchanged = payments.client.post(f"/v1/services/{SERVICE}/reverify", headers=payments.admin)
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["checked"] >= 2
    assert unchanged.json()["changed"] == []

    elsewhere = settings.model_copy(update={"trust_roots": (Path(other_root.source),)})
    with TestClient(create_app(elsewhere, clock=clock)) as restarted:
        changed = restarted.post(f"/v1/services/{SERVICE}/reverify", headers=payments.admin)

    body = changed.json()
    assert body["checked"] == unchanged.json()["checked"]
    assert len(body["changed"]) == body["checked"]
    for item in body["changed"]:
        assert (item["was_verified"], item["receipt"]["verified"]) == (True, False)
        assert item["receipt"]["reasons"][0].startswith("untrusted-chain: ")
    assert body["trust_roots_digest"] == changed.json()["trust_roots_digest"]


def test_reverifying_an_unknown_service_is_not_found(payments: Pipeline):
    response = payments.client.post("/v1/services/nobody/reverify", headers=payments.admin)
    assert response.status_code == 404
    assert response.json()["slug"] == "service-not-found"


def test_the_same_bundle_again_is_answered_under_the_policy_in_force(
    payments: Pipeline, local_sigstore
):
    """Before: sending the same bytes again after the policy stopped allowing their signer
    answered with the original, verified receipt."""
    bundle = signature(local_sigstore, RELEASE)
    first = submit(payments.client, payments.pipeline, bundle)
    assert first.status_code == 201
    assert first.json()["receipt"]["verified"] is True

    payments.policy(identities=[{"issuer": "https://accounts.attestd.test", "subject": "a@b.test"}])
    again = submit(payments.client, payments.pipeline, bundle)

    assert again.status_code == 200
    receipt = again.json()["receipt"]
    assert receipt["verified"] is False
    assert receipt["reasons"][0].startswith("identity-mismatch: ")
