"""Over HTTP: keyed bundles, v0.1 bundles on their SET and intoto entries, next to their attacks.

Each attack is refused with its reason, stores nothing and is audited; the legitimate
bundle beside it is accepted.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.policy.keys import KEY_ISSUER, fingerprint, load_pem_key
from tests.attestations.submissions import (
    NOTHING_STORED,
    attestation_events,
    register,
    stored_counts,
    submit,
)
from tests.builders.services import REPOSITORY, SERVICE
from tests.problems import assert_problem
from tests.sboms.uploads import audit_events
from tests.sigstore_local import (
    BundleVersion,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    statement,
)
from tests.sigstore_local.entries import (
    generate_key,
    keyed_bundle,
    public_pem,
    relogged,
    without_proof,
)

RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v1.0.0")
DIGEST = hashlib.sha256(b"payments-1.0.0.tar.gz").digest()
STATEMENT = statement({"payments-1.0.0.tar.gz": DIGEST})
POLICY = f"/v1/services/{SERVICE}/policy"
JSON = "application/json"
REGISTRY_KEY = generate_key("p256")


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    return SERVICE


def set_policy(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.put(POLICY, json=fields, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(
    client: Any, headers: dict[str, str], content: bytes, slug: str, run_in_session: Any
) -> list[str]:
    problem = assert_problem(
        submit(client, headers, content, content_type=JSON), 422, "bundle-rejected"
    )
    reasons: list[str] = problem["reasons"]
    assert [reason.partition(": ")[0] for reason in reasons] == [slug], reasons
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert attestation_events(run_in_session)[-1]["action"] == "attestation.rejected"
    return reasons


def accepted(client: Any, headers: dict[str, str], content: bytes) -> dict[str, Any]:
    response = submit(client, headers, content, content_type=JSON)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["subjects"] == [
        {"name": "payments-1.0.0.tar.gz", "digest": "sha256:" + DIGEST.hex()}
    ]
    return body


def _keyed(sigstore: LocalSigstore) -> bytes:
    return keyed_bundle(
        sigstore, REGISTRY_KEY, statement=STATEMENT, hint="registry", version=BundleVersion.V0_3
    )


# --- keyed bundles ---------------------------------------------------------------------------


def test_a_keyed_bundle_is_an_unknown_key_for_a_service_without_the_key(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    reasons = refused(
        client, pipeline_headers, _keyed(local_sigstore), "unknown-key", run_in_session
    )
    assert "'registry'" in reasons[0]


def test_a_keyed_bundle_verifies_once_its_key_is_in_the_policy(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    pem = public_pem(REGISTRY_KEY)
    policy = set_policy(client, admin_headers, keys=[{"name": "registry", "public_key_pem": pem}])
    assert policy["keys"] == [{"name": "registry", "public_key_pem": pem, "kind": None}]
    receipt = accepted(client, pipeline_headers, _keyed(local_sigstore))["receipt"]
    assert receipt["signer"] == {
        "subject": "registry",
        "issuer": KEY_ISSUER,
        "claims": {},
        "identity": None,
        "kind": "workload",
        "key_fingerprint": fingerprint(load_pem_key(pem)),
    }
    assert receipt["policy_version"] == policy["version"]


def test_a_person_key_signs_as_a_person(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    key = {"name": "alice", "public_key_pem": public_pem(REGISTRY_KEY), "kind": "person"}
    set_policy(client, admin_headers, keys=[key])
    receipt = accepted(client, pipeline_headers, _keyed(local_sigstore))["receipt"]
    assert receipt["signer"]["kind"] == "person"


def test_a_keyed_bundle_of_another_key_stays_unknown(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    other = {"name": "other", "public_key_pem": public_pem(generate_key("ed25519"))}
    set_policy(client, admin_headers, keys=[other])
    refused(client, pipeline_headers, _keyed(local_sigstore), "unknown-key", run_in_session)


# --- v0.1 bundles resting on their inclusion promise ----------------------------------------------


def _set_only(sigstore: LocalSigstore, version: BundleVersion = BundleVersion.V0_1) -> bytes:
    return without_proof(dsse_bundle(sigstore, STATEMENT, signer=RELEASE, version=version).content)


def test_a_v0_1_bundle_on_its_set_is_refused_without_the_opt_in(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    content = _set_only(local_sigstore)
    reasons = refused(client, pipeline_headers, content, "no-inclusion-proof", run_in_session)
    assert "allow_v01_inclusion_promise" in reasons[0]


def test_a_v0_1_bundle_on_its_set_is_accepted_with_the_opt_in(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    policy = set_policy(client, admin_headers, allow_v01_inclusion_promise=True)
    assert policy["allow_v01_inclusion_promise"] is True
    body = accepted(client, pipeline_headers, _set_only(local_sigstore))
    assert body["bundle_version"] == "0.1"
    assert body["receipt"]["signer"]["subject"] == RELEASE.identity


def test_a_v0_2_bundle_without_its_proof_is_refused_even_with_the_opt_in(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    set_policy(client, admin_headers, allow_v01_inclusion_promise=True)
    content = _set_only(local_sigstore, BundleVersion.V0_2)
    refused(client, pipeline_headers, content, "no-inclusion-proof", run_in_session)


# --- intoto entries ----------------------------------------------------------------------------


def _intoto(sigstore: LocalSigstore) -> bytes:
    built = dsse_bundle(sigstore, STATEMENT, signer=RELEASE, log_entry_kind=("intoto", "0.0.2"))
    return built.content


def test_an_intoto_entry_is_accepted(client, service, pipeline_headers, local_sigstore):
    receipt = accepted(client, pipeline_headers, _intoto(local_sigstore))["receipt"]
    assert receipt["signer"]["subject"] == RELEASE.identity
    assert receipt["signer"]["kind"] == "workload"
    assert receipt["signer"]["key_fingerprint"] is None


def test_an_intoto_entry_recording_another_payload_is_refused(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    def another_payload(body: dict[str, Any]) -> None:
        body["spec"]["content"]["payloadHash"]["value"] = hashlib.sha256(b"evil").hexdigest()

    content = relogged(local_sigstore, _intoto(local_sigstore), another_payload)
    refused(client, pipeline_headers, content, "tlog-entry-mismatch", run_in_session)


# --- the policy's keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ([{"name": "k", "public_key_pem": "not a key"}], "not a PEM public key"),
        (
            [{"name": "k", "public_key_pem": public_pem(generate_key("rsa"))[:-40]}],
            "not a PEM public key",
        ),
        (
            [{"name": "a", "public_key_pem": public_pem(REGISTRY_KEY)}] * 2,
            "keys[1] has the name of keys[0]",
        ),
        (
            [
                {"name": "a", "public_key_pem": public_pem(REGISTRY_KEY)},
                {"name": "b", "public_key_pem": public_pem(REGISTRY_KEY)},
            ],
            "keys[1] is the same public key as keys[0]",
        ),
    ],
    ids=["garbage", "truncated", "same-name", "same-key"],
)
def test_a_bad_or_repeated_key_is_refused_with_reasons_and_nothing_stored(
    client, service, admin_headers, auditor_headers, keys, words
):
    before = client.get(POLICY, headers=auditor_headers).json()
    response = client.put(POLICY, json={"keys": keys}, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request")
    assert any(words in reason for reason in problem["reasons"]), problem
    assert client.get(POLICY, headers=auditor_headers).json() == before


def test_keys_are_versioned_and_audited_with_the_policy(
    client, service, admin_headers, auditor_headers, run_in_session
):
    pem = public_pem(REGISTRY_KEY)
    first = set_policy(client, admin_headers, keys=[{"name": "registry", "public_key_pem": pem}])
    second = set_policy(client, admin_headers, keys=[])
    assert second["version"] == first["version"] + 1
    assert second["digest"] != first["digest"]
    served = client.get(f"{POLICY}/versions/{first['version']}/document", headers=auditor_headers)
    assert served.status_code == 200, served.text
    assert served.json()["keys"] == [{"name": "registry", "public_key_pem": pem}]
    assert f"sha256:{hashlib.sha256(served.content).hexdigest()}" == first["digest"]
    updates = [
        event for event in audit_events(run_in_session) if event["action"] == "policy.updated"
    ]
    assert [event["result"]["digest"] for event in updates[-2:]] == [
        first["digest"],
        second["digest"],
    ]
