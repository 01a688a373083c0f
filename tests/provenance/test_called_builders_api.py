"""Builders a service calls, over HTTP: the policy line that lets each sign, and what it refuses.

``payments`` keeps its default identity (acme/payments's own workflows) and opts into
the SLSA GitHub generator (``builders``) or the reusable workflow of docs/pipelines.md
(``reusable_workflows``). Each attack flips one thing of a legitimate called build,
which is accepted at Build L3 next to it; the refusal names the constraint it broke.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.attestations.submissions import register, stored_counts, submit
from tests.builders.bundles import DIGEST_HEX, NAME
from tests.builders.called import (
    BUILD,
    BUILD_PYTHON,
    OTHER_WORKFLOWS_COMMIT,
    REUSABLE_WORKFLOW,
    WORKFLOWS_COMMIT,
    attest_build_provenance,
    called_by,
    run_of,
)
from tests.builders.identities import GENERATOR, RELEASE_CLAIMS
from tests.builders.services import REPOSITORY, SERVICE
from tests.problems import assert_problem
from tests.provenance.statements import GENERATOR as GENERATOR_WORKFLOWS
from tests.provenance.statements import statement
from tests.sboms.uploads import audit_events
from tests.sigstore_local import LocalSigstore, SignerIdentity, dsse_bundle

GO_BUILDER_AT_MAIN = GENERATOR_WORKFLOWS + "builder_go_slsa3.yml@refs/heads/main"
# How the generator's bundles are logged (Rekor intoto entries), besides dsse.
INTOTO_ENTRIES = [("intoto", "0.0.1"), ("intoto", "0.0.2")]


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def policy(client: Any, admin_headers: dict[str, str]) -> Any:
    """``payments`` registered; a function that changes its policy and returns the answer."""
    register(client, admin_headers)

    def put(**fields: Any) -> Any:
        return client.put(f"/v1/services/{SERVICE}/policy", json=fields, headers=admin_headers)

    return put


def opted_in(policy: Any, **fields: Any) -> None:
    response = policy(**fields)
    assert response.status_code == 200, response.text


def reusable_build(
    client: Any, headers: dict[str, str], sigstore: LocalSigstore, signer: SignerIdentity
) -> Any:
    """The provenance attest-build-provenance writes in ``signer``'s job, signed, submitted."""
    return submit(
        client, headers, dsse_bundle(sigstore, attest_build_provenance(signer), signer=signer)
    )


def generator_build(
    client: Any,
    headers: dict[str, str],
    sigstore: LocalSigstore,
    signer: SignerIdentity,
    entry: tuple[str, str] | None = None,
) -> Any:
    """The SLSA generator's provenance of the release, signed by ``signer``, submitted;
    logged as a ``dsse`` entry, or as ``entry`` (the generator's ``intoto`` entries)."""
    document = statement("good-slsa-generator-v1.json")
    document["subject"] = [{"name": NAME, "digest": {"sha256": DIGEST_HEX}}]
    bundle = dsse_bundle(sigstore, document, signer=signer, log_entry_kind=entry)
    return submit(client, headers, bundle)


def level_3(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    provenance: dict[str, Any] = response.json()["provenance"]
    assert (provenance["slsa_level"], provenance["source_bound"]) == (3, True), provenance
    assert provenance["trusted_builder"]
    return provenance


def refused(response: Any, run_in_session: Any, *says: str) -> None:
    """A 422 whose identity-mismatch reason says each of ``says``; nothing stored.

    The reason is clipped (every reason is under 400 characters): it names the signer,
    the route of the policy that came closest and the claim that refused it.
    """
    body = assert_problem(response, 422, "bundle-rejected")
    (reason,) = [r for r in body["reasons"] if r.startswith("identity-mismatch:")]
    for said in says:
        assert said in reason, reason
    assert stored_counts(run_in_session)["attestations"] == 0


@pytest.mark.parametrize(
    ("submitted", "signer"),
    [
        pytest.param(reusable_build, BUILD, id="reusable-workflow"),
        pytest.param(generator_build, GENERATOR, id="slsa-github-generator"),
    ],
)
def test_without_the_policy_line_a_called_builder_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session, submitted, signer
):
    """The default identity takes the service's own workflows, which these are not."""
    response = submitted(client, pipeline_headers, local_sigstore, signer)
    refused(response, run_in_session, "identity 1: no SAN matches")


# --- a reusable workflow of another repository --------------------------------------------------


def test_the_trusted_reusable_workflow_building_the_service_is_level_3(
    client, policy, pipeline_headers, auditor_headers, local_sigstore, run_in_session
):
    opted_in(policy, reusable_workflows=[REUSABLE_WORKFLOW])
    # The line is versioned and audited like the rest of the policy.
    stored = client.get(f"/v1/services/{SERVICE}/policy", headers=auditor_headers).json()
    assert stored["version"] == 2
    assert stored["reusable_workflows"] == [{**REUSABLE_WORKFLOW, "build_signer_digest": None}]
    (updated,) = [e for e in audit_events(run_in_session) if e["action"] == "policy.updated"]
    assert updated["result"]["digest"] == stored["digest"]
    provenance = level_3(reusable_build(client, pipeline_headers, local_sigstore, BUILD))
    assert provenance["builder_id"] == BUILD_PYTHON
    assert any("acme/release-workflows/.github/workflows/build-python.yml" in r
               for r in provenance["reasons"])  # fmt: skip
    # The receipt names the service's own identity, under which the workflow was accepted.
    body = client.get(
        f"/v1/attestations/{provenance['attestation_id']}", headers=auditor_headers
    ).json()
    assert body["receipt"]["signer"]["identity"] == 0
    assert body["receipt"]["signer"]["kind"] == "workload"


def test_another_repository_calling_the_trusted_reusable_workflow_gets_nothing(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    """A fork (or any repository) may call acme's reusable workflow: its run is not acme's."""
    opted_in(policy, reusable_workflows=[REUSABLE_WORKFLOW])
    fork = called_by(BUILD_PYTHON, run_of("mallory/payments"))
    response = reusable_build(client, pipeline_headers, local_sigstore, fork)
    refused(
        response,
        run_in_session,
        "through reusable workflow build-python.yml",
        "OIDCSourceRepositoryURI",
    )


def test_the_reusable_workflow_on_a_self_hosted_runner_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(policy, reusable_workflows=[REUSABLE_WORKFLOW])
    own_runner = called_by(BUILD_PYTHON, runner_environment="self-hosted")
    response = reusable_build(client, pipeline_headers, local_sigstore, own_runner)
    refused(
        response,
        run_in_session,
        "through reusable workflow build-python.yml",
        "OIDCRunnerEnvironment",
    )


def test_the_reusable_workflow_for_a_branch_of_the_service_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(policy, reusable_workflows=[REUSABLE_WORKFLOW])
    branch = called_by(BUILD_PYTHON, run_of(REPOSITORY, source_repository_ref="refs/heads/main"))
    response = reusable_build(client, pipeline_headers, local_sigstore, branch)
    refused(response, run_in_session, "source repository ref 'refs/heads/main'")


def test_a_pinned_reusable_workflow_at_another_commit_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(
        policy,
        reusable_workflows=[{**REUSABLE_WORKFLOW, "build_signer_digest": WORKFLOWS_COMMIT}],
    )
    moved = called_by(BUILD_PYTHON, digest=OTHER_WORKFLOWS_COMMIT)
    response = reusable_build(client, pipeline_headers, local_sigstore, moved)
    refused(
        response,
        run_in_session,
        "through reusable workflow build-python.yml",
        "OIDCBuildSignerDigest",
    )
    # The commit the policy pins is accepted.
    level_3(reusable_build(client, pipeline_headers, local_sigstore, BUILD))


def test_another_workflow_of_the_trusted_repository_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(policy, reusable_workflows=[REUSABLE_WORKFLOW])
    other = called_by(BUILD_PYTHON.replace("build-python.yml", "anything.yml"))
    response = reusable_build(client, pipeline_headers, local_sigstore, other)
    refused(response, run_in_session, "no SAN matches")


def test_the_policy_refuses_a_reusable_workflow_of_the_services_own_repository(
    policy, run_in_session
):
    """A workflow of acme/payments can be rewritten by any job that can push there."""
    own = {"repository": REPOSITORY, "workflow": ".github/workflows/build.yml"}
    response = policy(reusable_workflows=[own])
    body = assert_problem(response, 422, "invalid-request")
    assert "is in a repository the identities name" in body["detail"]
    assert len(policy(reusable_workflows=[REUSABLE_WORKFLOW, REUSABLE_WORKFLOW]).json()["reasons"])


# --- the SLSA GitHub generator -------------------------------------------------------------------


@pytest.mark.parametrize("entry", [None, *INTOTO_ENTRIES], ids=str)
def test_the_generator_building_the_service_is_level_3(
    client, policy, pipeline_headers, local_sigstore, entry
):
    opted_in(policy, builders=["slsa-github-generator"])
    level_3(generator_build(client, pipeline_headers, local_sigstore, GENERATOR, entry))


@pytest.mark.parametrize("entry", INTOTO_ENTRIES, ids=str)
def test_the_generators_intoto_entry_is_held_to_the_same_signer_rules(
    client, policy, pipeline_headers, local_sigstore, run_in_session, entry
):
    """The entry kind changes how the log is checked, never who may sign."""
    response = generator_build(client, pipeline_headers, local_sigstore, GENERATOR, entry)
    refused(response, run_in_session, "identity 1: no SAN matches")
    opted_in(policy, builders=["slsa-github-generator"])
    fork = called_by(GENERATOR.identity, run_of("mallory/payments"))
    response = generator_build(client, pipeline_headers, local_sigstore, fork, entry)
    refused(response, run_in_session, "through slsa-github-generator", "OIDCSourceRepositoryURI")


def test_the_generator_at_a_branch_instead_of_a_release_tag_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    """slsa-verifier accepts the generator's workflows at a release tag only."""
    opted_in(policy, builders=["slsa-github-generator"])
    at_main = called_by(GO_BUILDER_AT_MAIN)
    response = generator_build(client, pipeline_headers, local_sigstore, at_main)
    refused(response, run_in_session, "no SAN matches")


def test_the_generator_on_a_self_hosted_runner_is_refused(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(policy, builders=["slsa-github-generator"])
    github = dataclasses.replace(RELEASE_CLAIMS, runner_environment="self-hosted")
    own_runner = dataclasses.replace(
        GENERATOR, github=dataclasses.replace(github, build_signer_uri=GENERATOR.identity)
    )
    response = generator_build(client, pipeline_headers, local_sigstore, own_runner)
    refused(response, run_in_session, "through slsa-github-generator", "OIDCRunnerEnvironment")


def test_the_generator_building_a_fork_gets_nothing(
    client, policy, pipeline_headers, local_sigstore, run_in_session
):
    opted_in(policy, builders=["slsa-github-generator"])
    fork = called_by(GENERATOR.identity, run_of("mallory/payments"))
    response = generator_build(client, pipeline_headers, local_sigstore, fork)
    refused(response, run_in_session, "through slsa-github-generator", "OIDCSourceRepositoryURI")


def test_the_generator_inherits_the_identitys_pinned_repository_id(
    client, policy, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    """Repojacking: acme/payments deleted and re-created has another immutable id (1.15)."""
    identity = client.get(f"/v1/services/{SERVICE}/policy", headers=admin_headers).json()
    pinned = {
        **identity["identities"][0],
        "source_repository_id": RELEASE_CLAIMS.source_repository_identifier,
    }
    opted_in(policy, identities=[pinned], builders=["slsa-github-generator"])
    recreated = called_by(GENERATOR.identity, source_repository_identifier="999999")
    response = generator_build(client, pipeline_headers, local_sigstore, recreated)
    refused(response, run_in_session, "through slsa-github-generator", "OIDCSourceRepositoryIdenti")
    level_3(generator_build(client, pipeline_headers, local_sigstore, GENERATOR))


def test_the_policy_line_needs_an_identity_naming_a_repository(policy):
    response = policy(identities=[], builders=["slsa-github-generator"])
    body = assert_problem(response, 422, "invalid-request")
    assert "give an identity with repository" in body["detail"]
    unknown = policy(builders=["some-builder"])
    assert unknown.status_code == 422
    assert policy(builders=["slsa-github-generator", "slsa-github-generator"]).status_code == 422
