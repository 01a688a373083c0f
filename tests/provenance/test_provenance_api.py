"""SLSA provenance submitted over HTTP: kept, graded and bound to the source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.attestations.submissions import (
    NOTHING_STORED,
    allow,
    attestation_events,
    register,
    stored_counts,
    submit,
)
from tests.builders.identities import (
    BRANCH,
    FORK,
    GENERATOR,
    GENERATOR_IDENTITY,
    RELEASE,
    SELF_HOSTED,
)
from tests.builders.services import REPOSITORY
from tests.problems import assert_problem
from tests.provenance.statements import COMMIT, RUN_ID, TAG, statement
from tests.sigstore_local import (
    GITHUB_ACTIONS_ISSUER,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
)


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    return "payments"


def submitted(
    client: Any,
    headers: dict[str, str],
    sigstore: LocalSigstore,
    name: str,
    signer: SignerIdentity,
) -> dict[str, Any]:
    response = submit(client, headers, dsse_bundle(sigstore, statement(name), signer=signer))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def slugs(reasons: list[str]) -> list[str]:
    return [reason.split(":", 1)[0] for reason in reasons]


def test_a_hosted_build_of_the_service_is_level_2_and_bound(
    client, service, pipeline_headers, auditor_headers, local_sigstore, run_in_session
):
    body = submitted(
        client,
        pipeline_headers,
        local_sigstore,
        "good-attest-build-provenance-runner.json",
        RELEASE,
    )
    provenance = body["provenance"]
    assert provenance["attestation_id"] == body["id"]
    assert provenance["builder_id"] == "https://github.com/actions/runner/github-hosted"
    assert provenance["slsa_level"] == 2
    assert provenance["source_bound"] is True
    assert provenance["source"] == {
        "repository": "https://github.com/acme/payments",
        "ref": TAG,
        "commit": COMMIT,
    }
    assert "source-bound" in slugs(provenance["reasons"])
    assert provenance["invocation_id"].endswith("/actions/runs/9876543210/attempts/1")

    # The artifact's record shows it; the attestation reads back the same.
    artifact = client.get(
        f"/v1/artifacts/{body['subjects'][0]['digest']}", headers=auditor_headers
    ).json()
    assert artifact["provenance"] == provenance
    again = client.get(f"/v1/attestations/{body['id']}", headers=auditor_headers).json()
    assert again["provenance"] == provenance

    (accepted,) = attestation_events(run_in_session)
    assert accepted["result"]["provenance"]["slsa_level"] == 2
    assert accepted["result"]["provenance"]["source_bound"] is True


def test_the_slsa_generator_signing_as_itself_is_level_3(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    allow(client, admin_headers, GENERATOR_IDENTITY)
    body = submitted(
        client, pipeline_headers, local_sigstore, "good-slsa-generator-v1.json", GENERATOR
    )
    assert body["provenance"]["slsa_level"] == 3
    assert body["provenance"]["trusted_builder"]
    assert body["provenance"]["source_bound"] is True


def test_a_generator_builder_id_signed_by_the_service_workflow_is_held_to_level_1(
    client, service, pipeline_headers, local_sigstore
):
    """Builder ids are self-declared: the level needs the builder's own signature."""
    body = submitted(
        client, pipeline_headers, local_sigstore, "good-slsa-generator-v1.json", RELEASE
    )
    assert body["provenance"]["slsa_level"] == 1
    assert "spoofed-builder" in slugs(body["provenance"]["reasons"])


def test_a_self_hosted_runner_is_level_1(client, service, pipeline_headers, local_sigstore):
    body = submitted(
        client, pipeline_headers, local_sigstore, "good-self-hosted-runner.json", SELF_HOSTED
    )
    assert body["provenance"]["slsa_level"] == 1


def test_a_branch_build_is_kept_but_not_bound(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    body = submitted(client, pipeline_headers, local_sigstore, "good-branch-ref.json", BRANCH)
    provenance = body["provenance"]
    assert provenance["source_bound"] is False
    assert provenance["source"]["ref"] == "refs/heads/main"
    assert "source-ref-not-allowed" in slugs(provenance["reasons"])
    artifact = client.get(
        f"/v1/artifacts/{body['subjects'][0]['digest']}", headers=auditor_headers
    ).json()
    assert artifact["provenance"]["source_bound"] is False


def test_a_forks_build_is_kept_but_not_bound(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    allow(
        client,
        admin_headers,
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject": FORK.identity,
            "repository": "mallory/payments",
        },
    )
    body = submitted(client, pipeline_headers, local_sigstore, "good-fork-repository.json", FORK)
    provenance = body["provenance"]
    assert provenance["source_bound"] is False
    assert provenance["source"]["repository"] == "https://github.com/mallory/payments"
    assert "source-repository-mismatch" in slugs(provenance["reasons"])


def test_disagreeing_source_claims_leave_no_source(
    client, service, pipeline_headers, local_sigstore
):
    body = submitted(
        client, pipeline_headers, local_sigstore, "bad-source-disagreement.json", RELEASE
    )
    provenance = body["provenance"]
    assert provenance["source"] is None
    assert provenance["source_bound"] is False
    assert "source-unknown" in slugs(provenance["reasons"])
    assert any(f.startswith("source-disagreement") for f in provenance["findings"])


def test_provenance_naming_another_workflow_than_its_certificate_is_not_bound(
    client, service, pipeline_headers, local_sigstore
):
    """A workflow anyone with push access can start (lint.yml) signs provenance saying the
    release workflow built the artifact: before, only the source was compared with the
    certificate, and the provenance was bound. The Build Config URI says lint.yml."""
    lint = SignerIdentity.github_workflow(
        REPOSITORY, ref=TAG, sha=COMMIT, run_id=RUN_ID, workflow=".github/workflows/lint.yml"
    )
    name = "good-attest-build-provenance-runner.json"
    forged = submitted(client, pipeline_headers, local_sigstore, name, lint)["provenance"]
    assert (forged["slsa_level"], forged["source_bound"]) == (2, False)
    (mismatch,) = [r for r in forged["reasons"] if r.startswith("certificate-")]
    assert mismatch.startswith(
        "certificate-mismatch: the provenance's workflow path '.github/workflows/release.yml' "
        "is not what the certificate's Build Config URI (1.18) says"
    )

    genuine = submitted(client, pipeline_headers, local_sigstore, name, RELEASE)["provenance"]
    assert genuine["source_bound"] is True
    assert not [r for r in genuine["reasons"] if r.startswith("certificate-")]


def test_times_written_in_the_tenants_own_job_are_shown_as_claimed(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    document = statement("good-attest-build-provenance-runner.json")
    document["predicate"]["runDetails"]["metadata"] |= {
        "startedOn": "2024-05-20T10:15:30Z",
        "finishedOn": "2024-05-20T10:19:02Z",
    }
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE)
    )
    assert response.status_code == 201, response.text
    hosted = response.json()["provenance"]
    assert (hosted["slsa_level"], hosted["started_on"]) == (2, "2024-05-20T10:15:30Z")
    assert hosted["claimed"] == ["started_on", "finished_on"]

    # The SLSA generator writes them in a job the tenant cannot change (Build L3).
    allow(client, admin_headers, GENERATOR_IDENTITY)
    generator = submitted(
        client, pipeline_headers, local_sigstore, "good-slsa-generator-v1.json", GENERATOR
    )["provenance"]
    assert (generator["slsa_level"], generator["claimed"]) == (3, [])
    assert generator["finished_on"] == "2024-05-20T10:19:02.125000Z"


def test_the_bound_provenance_is_the_artifacts_record(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    """A branch build and a tag build of one artifact: the record shows the bound one."""
    tagged = submitted(
        client,
        pipeline_headers,
        local_sigstore,
        "good-attest-build-provenance-runner.json",
        RELEASE,
    )
    document = statement("good-branch-ref.json")
    document["subject"] = statement("good-attest-build-provenance-runner.json")["subject"]
    branch = submit(client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=BRANCH))
    assert branch.status_code == 201, branch.text
    artifact = client.get(
        f"/v1/artifacts/{tagged['subjects'][0]['digest']}", headers=auditor_headers
    ).json()
    assert artifact["provenance"]["attestation_id"] == tagged["id"]
    assert len(artifact["attestations"]) == 2


def test_a_signature_has_no_provenance(client, service, pipeline_headers, local_sigstore):
    document = statement("good-attest-build-provenance-runner.json")
    document["predicateType"] = "https://in-toto.io/attestation/test-result/v0.1"
    document["predicate"] = {"result": "PASSED"}
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE)
    )
    assert response.status_code == 201, response.text
    assert response.json()["provenance"] is None


@pytest.mark.parametrize("name", ["refused-no-builder-id.json", "refused-builder-id-number.json"])
def test_provenance_without_a_builder_is_refused(
    client, service, pipeline_headers, local_sigstore, run_in_session, name: str
):
    built = dsse_bundle(local_sigstore, statement(name), signer=RELEASE)
    problem = assert_problem(submit(client, pipeline_headers, built), 422, "provenance-malformed")
    assert problem["reasons"]
    assert stored_counts(run_in_session) == NOTHING_STORED
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["problem"] == "provenance-malformed"
    assert json.dumps(rejected["result"]["reasons"]) == json.dumps(problem["reasons"][:10])


# --- the service's own provenance rules ---------------------------------------------------------

HERMETIC = SignerIdentity.email("builder@acme.example")
HERMETIC_RULE = {
    "id_prefix": "https://ci.acme.example/builders/",
    "signer": {"issuer": HERMETIC.issuer, "subject": HERMETIC.identity},
    "max_level": 3,
    "description": "acme's hermetic builders",
    "trust_domain": "acme",
}


UNNAMED_RULE = {k: v for k, v in HERMETIC_RULE.items() if k != "trust_domain"}
LAPTOPS = "https://ci.acme.example/laptops/"


def put_policy(client: Any, admin_headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.put("/v1/services/payments/policy", json=body, headers=admin_headers)


def test_a_builder_the_service_trusts_vouches_for_its_level(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    allow(client, admin_headers, {"issuer": HERMETIC.issuer, "subject": HERMETIC.identity})
    changed = put_policy(client, admin_headers, {"trusted_builders": [HERMETIC_RULE]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["trusted_builders"] == [
        {**HERMETIC_RULE, "id": None, "builder_is_signer": False}
        | {
            "signer": {
                **HERMETIC_RULE["signer"],
                "subject_regex": None,
                "runner_environment": None,
                "kind": None,
            }
        }
    ]

    document = statement("good-unknown-builder.json")
    document["predicate"]["runDetails"]["builder"]["id"] = (
        "https://ci.acme.example/builders/hermetic@v4"
    )
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=HERMETIC)
    )
    assert response.status_code == 201, response.text
    provenance = response.json()["provenance"]
    assert provenance["slsa_level"] == 3
    assert provenance["trusted_builder"] == "acme's hermetic builders"

    # The same builder id signed by the service's release workflow is not vouched for.
    document["subject"][0]["digest"]["sha256"] = "0" * 64
    spoofed = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE)
    )
    assert spoofed.status_code == 201, spoofed.text
    assert spoofed.json()["provenance"]["slsa_level"] == 1


def test_release_refs_decide_which_builds_are_bound(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    changed = put_policy(client, admin_headers, {"release_refs": r"refs/heads/main"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["release_refs"] == "refs/heads/main"
    body = submitted(client, pipeline_headers, local_sigstore, "good-branch-ref.json", BRANCH)
    assert body["provenance"]["source_bound"] is True

    tagged = submitted(
        client,
        pipeline_headers,
        local_sigstore,
        "good-attest-build-provenance-runner.json",
        RELEASE,
    )
    assert tagged["provenance"]["source_bound"] is False
    assert "source-ref-not-allowed" in slugs(tagged["provenance"]["reasons"])


def test_null_puts_a_rule_back_to_its_default(client, service, admin_headers):
    put_policy(
        client, admin_headers, {"release_refs": r"refs/heads/main", "reproducibility_quorum": 3}
    )
    reset = put_policy(
        client, admin_headers, {"release_refs": None, "reproducibility_quorum": None}
    )
    assert reset.status_code == 200, reset.text
    assert (reset.json()["release_refs"], reset.json()["reproducibility_quorum"]) == (
        "refs/tags/.+",
        2,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"trusted_builders": [{**HERMETIC_RULE, "id": "https://ci.acme.example/b"}]},
        {"trusted_builders": [{k: v for k, v in HERMETIC_RULE.items() if k != "id_prefix"}]},
        {"trusted_builders": [{**HERMETIC_RULE, "id_prefix": "https://ci.acme.example/b"}]},
        {"trusted_builders": [{**HERMETIC_RULE, "max_level": 4}]},
        {"trusted_builders": [{**HERMETIC_RULE, "signer": {"issuer": HERMETIC.issuer}}]},
        {
            "trusted_builders": [
                {**HERMETIC_RULE, "signer": {**HERMETIC_RULE["signer"], "subject_regex": ".*"}}
            ]
        },
        {"trusted_builders": [HERMETIC_RULE, HERMETIC_RULE]},
        {"release_refs": ".*"},
        {"release_refs": "refs/tags/("},
        {"reproducibility_quorum": 0},
        {"reproducibility_quorum": 11},
        {"reproducibility_quorum": "2"},
        {"trusted_builders": [{**HERMETIC_RULE, "trust_domain": "Acme"}]},
        {"trusted_builders": [{**HERMETIC_RULE, "trust_domain": "acme corp"}]},
        {"trusted_builders": [{**HERMETIC_RULE, "trust_domain": "x" * 65}]},
        {"trusted_builders": [{**HERMETIC_RULE, "rebuilder": "yes"}]},
        {"trusted_builders": [UNNAMED_RULE]},
        {"trusted_builders": [{**UNNAMED_RULE, "max_level": 1, "rebuilder": True}]},
    ],
    ids=[
        "id-and-prefix",
        "no-id",
        "prefix-without-boundary",
        "level-4",
        "signer-without-subject",
        "catch-all-signer",
        "repeated-builder",
        "catch-all-refs",
        "refs-not-a-regex",
        "quorum-0",
        "quorum-11",
        "quorum-string",
        "domain-upper-case",
        "domain-with-space",
        "domain-too-long",
        "rebuilder-string",
        "level-3-without-domain",
        "rebuilder-without-domain",
    ],
)
def test_bad_provenance_rules_are_refused(
    client, service, admin_headers, auditor_headers, body: dict[str, Any]
):
    before = client.get("/v1/services/payments/policy", headers=auditor_headers).json()
    assert_problem(put_policy(client, admin_headers, body), 422, "invalid-request")
    after = client.get("/v1/services/payments/policy", headers=auditor_headers).json()
    assert after == before


def test_a_builder_that_counts_towards_reproducibility_names_its_trust_domain(
    client, service, admin_headers
):
    """A rebuilder, or a builder of Build L2 or above, is a trust domain's vote: its entry
    must say who operates it. One that does not count (L1, not a rebuilder) need not."""
    refused = put_policy(client, admin_headers, {"trusted_builders": [UNNAMED_RULE]})
    assert_problem(refused, 422, "invalid-request")
    assert refused.json()["reasons"] == [
        "body.trusted_builders: Value error, trusted_builders[0] vouches for Build L3, so its "
        "builds count towards reproducibility: give its trust_domain, the organisation or "
        "service that operates it"
    ]
    level_1 = {**UNNAMED_RULE, "max_level": 1}
    rebuilder = {**HERMETIC_RULE, "max_level": 1, "rebuilder": True, "id_prefix": LAPTOPS}
    changed = put_policy(client, admin_headers, {"trusted_builders": [level_1, rebuilder]})
    assert changed.status_code == 200, changed.text
    shown = changed.json()["trusted_builders"]
    assert [(rule.get("rebuilder", False), rule["trust_domain"]) for rule in shown] == [
        (False, None),
        (True, "acme"),
    ]
