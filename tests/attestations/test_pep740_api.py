"""PEP 740 and release attestations, and the predicate types a service's policy adds, over HTTP.

The real PEP 740 attestation (tests/attestations/pep740) is converted to a Sigstore
bundle as ``attestd submit`` converts it, and verified against the public-good root
shipped with sigstore-python; its known-bad twins flip one thing each. The local test
Sigstore makes the variations. Each attack sits next to the legitimate case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.attestations.ingest import allowed_predicate_types
from app.attestations.trust import production_root_file
from app.attestations.verification import PREDICATE_TYPES
from app.config import Settings
from app.policy.document import PolicyVersion, ServicePolicyDocument, policy_digest
from tests.attestations.pep740_files import (
    PUBLISH_PREDICATE,
    PUBLISHER_REPOSITORY,
    SIGNER,
    SUBJECT_DIGEST,
    SUBJECT_NAME,
    Twin,
    bundle_of,
    provenance,
    twins,
)
from tests.attestations.submissions import (
    BUNDLE_JSON,
    NOTHING_STORED,
    register,
    stored_counts,
    submit,
)
from tests.builders.bundles import DIGEST, DIGEST_HEX, NAME
from tests.builders.identities import RELEASE
from tests.builders.services import SERVICE
from tests.problems import assert_problem
from tests.sboms.uploads import audit_events
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, LocalSigstore, dsse_bundle, statement

PUBLISHER_SERVICE = "pypi-attestations"
RELEASE_PREDICATE = "https://in-toto.io/attestation/release/v0.1"
CUSTOM_PREDICATE = "https://attestations.acme.example/deploy-approval/v1"
POLICY = f"/v1/services/{SERVICE}/policy"

# Bodies PUT …/policy refuses: (why, predicate_types).
BAD_PREDICATE_TYPES: dict[str, Any] = {
    "a relative reference": ["/attestation/v1"],
    "a URN": ["urn:example:predicate:v1"],
    "another scheme": ["ftp://attestations.acme.example/v1"],
    "no host": ["https:///attestation/v1"],
    "credentials": ["https://user@attestations.acme.example/v1"],
    "a query": ["https://attestations.acme.example/v1?strict=0"],
    "a fragment": ["https://attestations.acme.example/v1#any"],
    "a space": ["https://attestations.acme.example/deploy approval"],
    "a control character": ["https://attestations.acme.example/v1\u0000"],
    "the empty string": [""],
    "too long": ["https://attestations.acme.example/" + "a" * 512],
    "a repeat": [CUSTOM_PREDICATE, RELEASE_PREDICATE, CUSTOM_PREDICATE],
    "too many": [f"https://attestations.acme.example/p{n}" for n in range(51)],
    "not a list": CUSTOM_PREDICATE,
    "not strings": [1],
}


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    """The public-good root for the real attestation, the local one for the variations."""
    return settings.model_copy(
        update={
            "trust_roots": (production_root_file(), local_root_file),
            "max_body_bytes": 64 * 1024,
        }
    )


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def custom_bundle(sigstore: LocalSigstore, predicate_type: str = CUSTOM_PREDICATE) -> bytes:
    document = statement({NAME: bytes.fromhex(DIGEST_HEX)}, predicate_type, {"approved": True})
    return dsse_bundle(sigstore, document, signer=RELEASE).content


def put_predicate_types(client: TestClient, headers: dict[str, str], types: Any) -> Any:
    return client.put(POLICY, json={"predicate_types": types}, headers=headers)


def slugs(problem: dict[str, Any]) -> list[str]:
    return [reason.split(":", 1)[0] for reason in problem["reasons"]]


# --- the real PEP 740 attestation --------------------------------------------------------------


def test_a_real_pep740_attestation_is_accepted_for_its_publisher(
    client, admin_headers, pipeline_headers, auditor_headers
):
    register(client, admin_headers, PUBLISHER_SERVICE, PUBLISHER_REPOSITORY)
    body = accepted(
        submit(
            client,
            pipeline_headers,
            bundle_of(provenance()),
            service=PUBLISHER_SERVICE,
            content_type=BUNDLE_JSON,
            artifact=SUBJECT_DIGEST,
        )
    )
    assert body["kind"] == "attestation"
    assert body["predicate_type"] == PUBLISH_PREDICATE
    assert body["subjects"] == [{"name": SUBJECT_NAME, "digest": SUBJECT_DIGEST}]
    assert body["receipt"]["verified"] is True
    assert body["receipt"]["signer"]["subject"] == SIGNER
    assert body["receipt"]["signer"]["issuer"] == GITHUB_ACTIONS_ISSUER
    assert body["receipt"]["signer"]["kind"] == "workload"
    assert body["receipt"]["tlog"]["log_index"] == 153454663
    assert body["receipt"]["trust_root"]["source"] == str(production_root_file())
    # A publish attestation says who uploaded, not how the file was built.
    assert body["provenance"] is None
    assert body["sbom"] is None

    record = client.get(f"/v1/artifacts/{SUBJECT_DIGEST}", headers=auditor_headers).json()
    (listed,) = record["attestations"]
    assert (listed["id"], listed["predicate_type"], listed["verified"]) == (
        body["id"],
        PUBLISH_PREDICATE,
        True,
    )
    assert listed["signer"] == {"subject": SIGNER, "issuer": GITHUB_ACTIONS_ISSUER}
    assert record["provenance"] is None


def test_a_real_pep740_attestation_is_refused_for_a_service_that_does_not_allow_its_publisher(
    client, admin_headers, pipeline_headers, run_in_session
):
    register(client, admin_headers)
    response = submit(client, pipeline_headers, bundle_of(provenance()), content_type=BUNDLE_JSON)
    problem = assert_problem(response, 422, "bundle-rejected")
    # The public-good root's reason first; the local root does not know the chain at all.
    assert slugs(problem) == ["identity-mismatch", "untrusted-chain"]
    assert SIGNER in problem["reasons"][0]
    assert stored_counts(run_in_session) == NOTHING_STORED


@pytest.mark.parametrize("twin", twins(), ids=lambda twin: twin.name)
def test_a_tampered_pep740_attestation_is_refused_with_its_reason(
    client, admin_headers, pipeline_headers, run_in_session, twin: Twin
):
    register(client, admin_headers, PUBLISHER_SERVICE, PUBLISHER_REPOSITORY)
    response = submit(
        client,
        pipeline_headers,
        bundle_of(twin.document()),
        service=PUBLISHER_SERVICE,
        content_type=BUNDLE_JSON,
    )
    problem = assert_problem(response, 422, "bundle-rejected")
    assert slugs(problem) == [twin.reason, "untrusted-chain"]
    assert stored_counts(run_in_session) == NOTHING_STORED


# --- the default list: PEP 740 and GitHub's release attestation -------------------------------


@pytest.mark.parametrize("predicate_type", [PUBLISH_PREDICATE, RELEASE_PREDICATE])
def test_publish_and_release_attestations_need_no_policy_change(
    client, admin_headers, pipeline_headers, local_sigstore, predicate_type
):
    register(client, admin_headers)
    body = accepted(
        submit(
            client,
            pipeline_headers,
            custom_bundle(local_sigstore, predicate_type),
            content_type=BUNDLE_JSON,
            artifact=DIGEST,
        )
    )
    assert body["predicate_type"] == predicate_type
    assert body["provenance"] is None


# --- predicate types a policy adds --------------------------------------------------------------


def test_a_predicate_type_counts_only_while_the_policy_names_it(
    client, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    register(client, admin_headers)
    bundle = custom_bundle(local_sigstore)

    refused = submit(client, pipeline_headers, bundle, content_type=BUNDLE_JSON)
    problem = assert_problem(refused, 422, "bundle-rejected")
    assert slugs(problem) == ["predicate-type"]
    assert CUSTOM_PREDICATE in problem["reasons"][0]

    added = put_predicate_types(client, admin_headers, [CUSTOM_PREDICATE])
    assert added.status_code == 200, added.text
    assert added.json()["predicate_types"] == [CUSTOM_PREDICATE]
    body = accepted(submit(client, pipeline_headers, bundle, content_type=BUNDLE_JSON))
    assert body["predicate_type"] == CUSTOM_PREDICATE
    assert body["receipt"]["policy_version"] == added.json()["version"]

    # Another change that keeps the type: judged again under it, the evidence still counts.
    kept = client.put(POLICY, json={"release_refs": r"refs/tags/v.+"}, headers=admin_headers)
    assert kept.status_code == 200, kept.text
    record = client.get(f"/v1/attestations/{body['id']}", headers=auditor_headers).json()
    assert (record["receipt"]["verified"], record["receipt"]["policy_version"]) == (
        True,
        kept.json()["version"],
    )

    removed = put_predicate_types(client, admin_headers, [])
    assert removed.status_code == 200, removed.text
    assert removed.json()["version"] == kept.json()["version"] + 1
    # The policy change judged the stored evidence again: it no longer counts.
    record = client.get(f"/v1/attestations/{body['id']}", headers=auditor_headers).json()
    receipt = record["receipt"]
    assert receipt["verified"] is False
    assert receipt["policy_version"] == removed.json()["version"]
    assert [reason.split(":", 1)[0] for reason in receipt["reasons"]] == ["predicate-type"]
    artifact = client.get(f"/v1/artifacts/{DIGEST}", headers=auditor_headers).json()
    assert [item["verified"] for item in artifact["attestations"]] == [False]


def test_a_predicate_type_one_service_adds_does_not_count_for_another(
    client, admin_headers, pipeline_headers, local_sigstore
):
    register(client, admin_headers)
    register(client, admin_headers, "billing", "https://github.com/acme/billing")
    payments = client.get(POLICY, headers=admin_headers).json()
    same_signers = client.put(
        "/v1/services/billing/policy",
        json={"identities": payments["identities"]},
        headers=admin_headers,
    )
    assert same_signers.status_code == 200, same_signers.text
    assert put_predicate_types(client, admin_headers, [CUSTOM_PREDICATE]).status_code == 200
    bundle = custom_bundle(local_sigstore)

    elsewhere = submit(
        client, pipeline_headers, bundle, service="billing", content_type=BUNDLE_JSON
    )
    assert slugs(assert_problem(elsewhere, 422, "bundle-rejected")) == ["predicate-type"]
    accepted(submit(client, pipeline_headers, bundle, content_type=BUNDLE_JSON))


def test_predicate_types_are_versioned_digested_and_audited(
    client, admin_headers, auditor_headers, run_in_session
):
    register(client, admin_headers)
    before = client.get(POLICY, headers=auditor_headers).json()
    assert before["predicate_types"] == []

    changed = put_predicate_types(client, admin_headers, [CUSTOM_PREDICATE, RELEASE_PREDICATE])
    assert changed.status_code == 200, changed.text
    after = client.get(POLICY, headers=auditor_headers).json()
    assert after["predicate_types"] == [CUSTOM_PREDICATE, RELEASE_PREDICATE]
    assert after["version"] == before["version"] + 1
    assert after["digest"] != before["digest"]
    document = client.get(f"{POLICY}/versions/{after['version']}/document", headers=auditor_headers)
    assert b'"predicate_types":["' + CUSTOM_PREDICATE.encode() in document.content
    leaves = [e for e in audit_events(run_in_session) if e["action"] == "policy.updated"]
    assert leaves[-1]["result"]["digest"] == after["digest"]
    assert leaves[-1]["result"]["previous_digest"] == before["digest"]

    again = put_predicate_types(client, admin_headers, [CUSTOM_PREDICATE, RELEASE_PREDICATE])
    assert again.json()["version"] == after["version"]


@pytest.mark.parametrize("types", BAD_PREDICATE_TYPES.values(), ids=BAD_PREDICATE_TYPES.keys())
def test_bad_predicate_types_are_refused_with_reasons(
    client, admin_headers, auditor_headers, run_in_session, types
):
    register(client, admin_headers)
    before = client.get(POLICY, headers=auditor_headers).json()
    leaves = len(audit_events(run_in_session))

    problem = assert_problem(
        put_predicate_types(client, admin_headers, types), 422, "invalid-request"
    )

    assert problem["reasons"]
    assert all(reason.startswith("body.predicate_types") for reason in problem["reasons"])
    assert client.get(POLICY, headers=auditor_headers).json() == before
    assert len(audit_events(run_in_session)) == leaves


# --- the same rules without a server --------------------------------------------------------


@pytest.mark.parametrize("types", BAD_PREDICATE_TYPES.values(), ids=BAD_PREDICATE_TYPES.keys())
def test_the_policy_document_refuses_bad_predicate_types(types):
    with pytest.raises(ValidationError) as raised:
        ServicePolicyDocument.model_validate({"predicate_types": types})
    assert all(error["loc"][0] == "predicate_types" for error in raised.value.errors())


def test_predicate_types_are_added_to_the_default_list_and_covered_by_the_digest():
    plain = ServicePolicyDocument()
    added = ServicePolicyDocument(predicate_types=(CUSTOM_PREDICATE,))
    assert policy_digest(added) != policy_digest(plain)
    # Absent and spelled-out null are one policy: digests of stored versions do not move.
    assert policy_digest(ServicePolicyDocument(predicate_types=None)) == policy_digest(plain)
    version = PolicyVersion(added, 2, policy_digest(added))
    assert allowed_predicate_types(version) == PREDICATE_TYPES | {CUSTOM_PREDICATE}
    assert allowed_predicate_types(PolicyVersion(plain, 1, "")) == PREDICATE_TYPES
    assert {PUBLISH_PREDICATE, RELEASE_PREDICATE} <= PREDICATE_TYPES
