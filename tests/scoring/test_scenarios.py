"""A service built up level by level with the local test Sigstore, then brought back down.

Every step goes through the HTTP API as a release pipeline and an admin would:
SBOM uploads, Sigstore bundles, policy changes and exceptions
(tests/scoring/release_pipeline.py). acme's own builds (the hosted one and the
SLSA generator, in acme's trust domain) reach level 4; a rebuild by an
independent rebuild service, trusted in the policy as a rebuilder of its own
trust domain, reaches level 5 with no waiver.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.config import Settings
from app.scoring.checks import CATALOGUE
from tests.builders.bundles import DIGEST, DIGEST_HEX, NAME
from tests.builders.credentials import bearer
from tests.builders.identities import GENERATOR, REBUILD, REBUILDER, RELEASE, SELF_HOSTED
from tests.builders.services import SERVICE
from tests.clocks import MovableClock as Clock
from tests.problems import assert_problem
from tests.sboms.uploads import audit_events
from tests.scoring.release_pipeline import up_to

OTHER_HEX = "1" * 64
NEXT_HEX = "2" * 64


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def statuses(maturity: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in maturity["checks"]}


def failing(maturity: dict[str, Any]) -> set[str]:
    return {check["id"] for check in maturity["checks"] if check["status"] == "fail"}


def test_each_kind_of_evidence_raises_the_level_by_one(payments):
    registered = payments.maturity()
    assert [check["id"] for check in registered["checks"]] == [c.id for c in CATALOGUE]
    assert (registered["level"], registered["level_name"]) == (0, "None")
    assert "sbom-present" in failing(registered)

    first = payments.sbom("poor.cdx.json")
    assert first["maturity"]["level"] == 1
    assert first["maturity"]["level_change"] == 1
    level_1 = payments.maturity()
    assert level_1["level"] == 1
    assert statuses(level_1)["sbom-present"] == "pass"
    assert statuses(level_1)["sbom-quality"] == "fail"
    assert "sbom:" in " ".join(level_1["checks"][1]["evidence"])

    payments.sbom("good.cdx.json")
    payments.signature()
    built = payments.build("good-self-hosted-runner.json", SELF_HOSTED)
    assert built["provenance"]["slsa_level"] == 1
    level_2 = payments.maturity()
    assert level_2["level"] == 2, failing(level_2)
    assert failing(level_2) >= {"hosted-builder"}
    assert level_2["score"] > level_1["score"]

    payments.build("good-attest-build-provenance-runner.json", RELEASE)
    level_3 = payments.maturity()
    assert level_3["level"] == 3, failing(level_3)
    assert statuses(level_3)["workload-identity"] == "pass"
    assert statuses(level_3)["release-coverage"] == "pass"
    assert "build-level-3" in failing(level_3)

    payments.build("good-slsa-generator-v1.json", GENERATOR)
    level_4 = payments.maturity()
    assert level_4["level"] == 4, failing(level_4)
    assert statuses(level_4)["subjects-consistent"] == "pass"
    assert statuses(level_4)["vex-present"] == "not_applicable"
    assert failing(level_4) == {"reproducible"}
    reproducible = next(c for c in level_4["checks"] if c["id"] == "reproducible")
    assert "2 trust domains" in reproducible["detail"]

    # Another workflow of acme/payments, on acme's own runner, is no independent rebuild.
    payments.build("good-self-hosted-runner.json", REBUILD)
    assert payments.maturity()["level"] == 4
    payments.build("good-rebuild-service.json", REBUILDER)
    level_5 = payments.maturity()
    assert (level_5["level"], level_5["level_name"]) == (5, "Optimize"), failing(level_5)
    assert failing(level_5) == set()
    # Every check scores 10 but sbom-quality, which is the SBOM's own quality (just under 10).
    assert level_4["score"] < level_5["score"] < 100.0
    assert level_5["release"] == f"{NAME}@v1.4.0"
    assert not any(check["status"] == "waived" for check in level_5["checks"])
    (release,) = payments.client.get(
        f"/v1/services/{SERVICE}/releases", headers=payments.auditor
    ).json()["items"]
    assert release["reproducibility"]["status"] == "reproducible"
    assert release["reproducibility"]["trust_domains"] == [
        "https://github.com/acme",
        "rebuild-service",
    ]

    history = payments.client.get(
        f"/v1/services/{SERVICE}/maturity/history", headers=payments.auditor
    ).json()["items"]
    assert [item["level"] for item in history][:1] == [5]
    assert {0, 1, 2, 3, 4, 5} <= {item["level"] for item in history}


def test_a_mismatching_rebuild_brings_level_5_down(payments):
    assert up_to(payments, 5)["level"] == 5
    payments.build("good-attest-build-provenance-runner.json", RELEASE, digest_hex=OTHER_HEX)
    after = payments.maturity()
    assert after["level"] < 5
    assert {"reproducible", "no-open-anomaly"} <= failing(after)
    anomaly = next(c for c in after["checks"] if c["id"] == "no-open-anomaly")
    assert "builds disagree on the digest" in anomaly["detail"]


def test_an_exception_lifts_a_level_until_it_expires(payments, clock: Clock):
    assert up_to(payments, 3)["level"] == 3
    exception = payments.waive("build-level-3", days=10)
    waived = payments.maturity()
    assert waived["level"] == 4
    build_level = next(c for c in waived["checks"] if c["id"] == "build-level-3")
    assert build_level["status"] == "waived"
    assert build_level["waived_by"] == exception["id"]
    assert f"exception {exception['id']}" in build_level["detail"]

    clock.advance(timedelta(days=11))
    expired = payments.maturity()
    assert expired["trigger"] == "time"
    assert statuses(expired)["build-level-3"] == "fail"
    assert statuses(expired)["exceptions-controlled"] == "fail"
    assert expired["level"] == 3


def test_a_waived_level_5_check_caps_the_level_at_4(payments):
    """Before: a waiver of `reproducible` lifted a level-4 service to Optimize."""
    assert up_to(payments, 4)["level"] == 4
    payments.waive("reproducible", days=10)
    waived = payments.maturity()
    assert statuses(waived)["reproducible"] == "waived"
    assert waived["level"] == 4


def test_a_drop_in_sbom_quality_brings_the_level_down(payments):
    assert up_to(payments, 3)["level"] == 3
    payments.policy(min_sbom_quality=10.0)
    stricter = payments.maturity()
    assert stricter["trigger"] == "policy.updated"
    assert statuses(stricter)["sbom-quality"] == "fail"
    assert stricter["level"] == 1

    payments.policy(min_sbom_quality=None)
    assert payments.maturity()["level"] == 3
    # A newer artifact with a poor SBOM is now the latest release.
    payments.sbom("poor-next.cdx.json", digest_hex=NEXT_HEX)
    newer = payments.maturity()
    assert newer["release"] == f"sha256:{NEXT_HEX}"
    assert newer["level"] == 1
    assert "sbom-quality" in failing(newer)


def test_a_listed_vulnerability_needs_vex_at_level_4(payments):
    assert up_to(payments, 4)["level"] == 4
    payments.sbom("vulnerable.cdx.json")
    after = payments.maturity()
    assert statuses(after)["vex-present"] == "fail"
    assert after["level"] == 3


# --- the deploy gate ---------------------------------------------------------------------------


def verify_vsa(envelope: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    """The DSSE signature checked with ``cryptography`` against the key /v1/keys publishes."""
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    (signature,) = envelope["signatures"]
    (published,) = [key for key in keys["keys"] if key["key_id"] == signature["keyid"]]
    public = serialization.load_pem_public_key(published["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    payload = base64.b64decode(envelope["payload"])
    kind = envelope["payloadType"].encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
    public.verify(base64.b64decode(signature["sig"]), pae)  # raises when it does not verify
    statement_: dict[str, Any] = json.loads(payload)
    return statement_


def test_the_gate_allows_what_the_environment_requires_and_signs_it(payments, run_in_session):
    up_to(payments, 4)
    keys = payments.client.get("/v1/keys").json()

    allowed = payments.verdict("production")
    assert (allowed["decision"], allowed["level"], allowed["required_level"]) == ("allow", 4, 4)
    assert allowed["reasons"] == []
    vsa = verify_vsa(allowed["vsa"], keys)
    assert vsa["_type"] == "https://in-toto.io/Statement/v1"
    assert vsa["subject"] == [{"name": NAME, "digest": {"sha256": DIGEST_HEX}}]
    assert vsa["predicateType"] == "https://slsa.dev/verification_summary/v1"
    predicate = vsa["predicate"]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifiedLevels"] == [
        "SLSA_BUILD_LEVEL_3",
        *(f"ATTESTD_MATURITY_LEVEL_{level}" for level in range(1, 5)),
    ]
    assert predicate["verifier"]["id"] == "http://127.0.0.1:8000"
    policy = payments.client.get(f"/v1/services/{SERVICE}/policy", headers=payments.auditor).json()
    assert predicate["policy"]["digest"] == {"sha256": policy["digest"].removeprefix("sha256:")}
    assert predicate["policy"]["uri"].endswith(f"policy/versions/{policy['version']}/document")
    # What the policy URI serves are the very bytes its digest is of.
    pinned = payments.client.get(
        predicate["policy"]["uri"].removeprefix("http://127.0.0.1:8000"), headers=payments.auditor
    )
    assert hashlib.sha256(pinned.content).hexdigest() == predicate["policy"]["digest"]["sha256"]
    inputs = predicate["inputAttestations"]
    assert len(inputs) == 2 + 1 + 3  # two SBOMs, the signature, three provenances
    for item in inputs:
        ((algorithm, value),) = item["digest"].items()
        raw = payments.client.get(
            item["uri"].removeprefix("http://127.0.0.1:8000"), headers=payments.auditor
        )
        assert getattr(hashlib, algorithm)(raw.content).hexdigest() == value

    assert payments.verdict()["environment"] == "production"  # the default
    payments.policy(environments={"production": 5, "staging": 2})
    denied = payments.verdict("production")
    assert denied["decision"] == "deny"
    assert denied["reasons"][0].startswith("required-level: production needs level 5")
    assert any(reason.startswith("reproducible:") for reason in denied["reasons"])
    failed = verify_vsa(denied["vsa"], keys)["predicate"]
    assert failed["verificationResult"] == "FAILED"
    assert failed["verifiedLevels"] == ["FAILED"]

    staging = payments.verdict("staging")
    assert staging["decision"] == "allow"

    verdicts = [e for e in audit_events(run_in_session) if e["action"] == "verdict.issued"]
    assert [e["result"]["decision"] for e in verdicts] == ["allow", "allow", "deny", "allow"]
    payload_digest = hashlib.sha256(base64.b64decode(denied["vsa"]["payload"])).hexdigest()
    assert verdicts[2]["document_sha256"] == payload_digest


def test_the_gate_judges_the_asked_release_not_the_latest(payments):
    up_to(payments, 4)
    payments.sbom("poor-next.cdx.json", digest_hex=NEXT_HEX)
    old = payments.verdict("staging")
    assert old["decision"] == "allow"
    newer = payments.verdict("staging", digest=f"sha256:{NEXT_HEX}")
    assert newer["decision"] == "deny"
    assert newer["level"] == 1


def test_the_gate_refuses_unknown_environments_and_digests(payments, run_in_session):
    up_to(payments, 1)
    leaves = len(audit_events(run_in_session))
    response = payments.client.post(
        "/v1/verdicts", json={"digest": DIGEST, "environment": "moon"}, headers=payments.pipeline
    )
    assert_problem(response, 422, "unknown-environment")
    unknown = payments.client.post(
        "/v1/verdicts", json={"digest": "sha256:" + "3" * 64}, headers=payments.pipeline
    )
    assert_problem(unknown, 404, "artifact-not-found")
    malformed = payments.client.post(
        "/v1/verdicts", json={"digest": "md5:abc"}, headers=payments.pipeline
    )
    assert malformed.status_code == 422
    extra = payments.client.post(
        "/v1/verdicts", json={"digest": DIGEST, "approve": True}, headers=payments.pipeline
    )
    assert extra.status_code == 422
    # A refused question is no verdict: nothing is recorded.
    assert len(audit_events(run_in_session)) == leaves


def test_a_pipeline_token_asks_only_about_its_own_services(payments, make_token):
    up_to(payments, 1)
    elsewhere = bearer(make_token("pipeline", name="billing-deployer", services=("billing",)))
    response = payments.client.post("/v1/verdicts", json={"digest": DIGEST}, headers=elsewhere)
    assert_problem(response, 403, "forbidden")
    own = bearer(make_token("pipeline", name="payments-deployer", services=(SERVICE,)))
    response = payments.client.post("/v1/verdicts", json={"digest": DIGEST}, headers=own)
    assert response.json()["decision"] == "deny"
    assert (
        payments.client.post(
            "/v1/verdicts", json={"digest": DIGEST}, headers=payments.auditor
        ).json()["decision"]
        == "deny"
    )


def test_the_gate_names_the_resource_it_was_asked_about(payments):
    up_to(payments, 2)
    keys = payments.client.get("/v1/keys").json()
    image = f"oci://registry.example/acme/payments@{DIGEST}"
    response = payments.client.post(
        "/v1/verdicts",
        json={"digest": DIGEST, "environment": "staging", "resource_uri": image},
        headers=payments.pipeline,
    )
    assert response.status_code == 200, response.text
    assert verify_vsa(response.json()["vsa"], keys)["predicate"]["resourceUri"] == image
    # Without one, the artifact's name is no URI, so attestd's URI of the artifact names it.
    default = verify_vsa(payments.verdict("staging")["vsa"], keys)["predicate"]
    assert default["resourceUri"] == f"http://127.0.0.1:8000/v1/artifacts/{DIGEST}"

    bad_uris = ("payments", "oci://registry.example/a b", "pkg:pypi/x\n", "", "x" * 3000, DIGEST)
    for bad in bad_uris:
        refused = payments.client.post(
            "/v1/verdicts", json={"digest": DIGEST, "resource_uri": bad}, headers=payments.pipeline
        )
        assert refused.status_code == 422, (bad, refused.text)
