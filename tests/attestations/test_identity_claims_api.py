"""The Fulcio claims an identity policy may pin, submitted over HTTP: each attack and its twin.

Every attack below is a bundle the service's policy accepted before identities
could pin these claims (the default policy accepts any workflow of the
repository). Each is now refused with ``identity-mismatch``, stores nothing but
the audited rejection, and the legitimate run beside it still verifies and says
which identity accepted it and that it is a workload.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.attestations.submissions import (
    NOTHING_STORED,
    attestation_events,
    register,
    stored_counts,
    submit,
)
from tests.builders.bundles import signature
from tests.builders.identities import GENERATOR, GENERATOR_IDENTITY, RELEASE, RELEASE_CLAIMS
from tests.builders.services import REPOSITORY, SERVICE
from tests.problems import assert_problem
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, SignerIdentity

WORKFLOWS = r"https://github\.com/acme/payments/\.github/workflows/.+"
# What Fulcio certified for the release run: GitHubClaims.for_workflow's ids and commit.
REPOSITORY_ID = RELEASE_CLAIMS.source_repository_identifier
GENERATOR_COMMIT = "5b0a8e6f2d7c41398e1f6a2b9c0d3e4f5a6b7c8d"


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    return SERVICE


def replace_identities(client: Any, admin_headers: dict[str, str], *identities: Any) -> None:
    changed = client.put(
        f"/v1/services/{SERVICE}/policy",
        json={"identities": list(identities)},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text


def with_claims(signer: SignerIdentity, **claims: str) -> SignerIdentity:
    assert signer.github is not None
    return dataclasses.replace(signer, github=dataclasses.replace(signer.github, **claims))


def refused(client: Any, headers: dict[str, str], run_in_session: Any, bundle: Any) -> str:
    """The bundle is refused as an identity mismatch, and only the rejection is recorded."""
    problem = assert_problem(submit(client, headers, bundle), 422, "bundle-rejected")
    (reason,) = problem["reasons"]
    assert reason.startswith("identity-mismatch: ")
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert attestation_events(run_in_session)[-1]["action"] == "attestation.rejected"
    return str(reason)


def accepted(client: Any, headers: dict[str, str], bundle: Any) -> dict[str, Any]:
    response = submit(client, headers, bundle)
    assert response.status_code == 201, response.text
    signer: dict[str, Any] = response.json()["receipt"]["signer"]
    return signer


def test_a_pull_request_target_run_is_refused_unless_the_policy_lists_the_trigger(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    """pull_request_target runs with the base repository's OIDC token while building a pull
    request's code: before, any workflow of the repository was accepted whatever started it."""
    pwned = with_claims(RELEASE, build_trigger="pull_request_target")
    pwned = with_claims(pwned, workflow_trigger="pull_request_target")
    reason = refused(client, pipeline_headers, run_in_session, signature(local_sigstore, pwned))
    assert "build trigger 'pull_request_target' is refused unless the identity lists it" in reason

    pushed = accepted(client, pipeline_headers, signature(local_sigstore, RELEASE))
    assert (pushed["identity"], pushed["kind"]) == (0, "workload")

    # A policy that lists the trigger accepts it; one that lists others refuses the rest.
    replace_identities(
        client,
        admin_headers,
        {"issuer": GITHUB_ACTIONS_ISSUER, "subject_regex": WORKFLOWS, "build_trigger": ["push"]},
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject_regex": WORKFLOWS,
            "build_trigger": ["pull_request_target"],
        },
    )
    listed = accepted(client, pipeline_headers, signature(local_sigstore, pwned))
    assert listed["identity"] == 1


def test_a_repojacked_repository_is_refused_when_the_policy_pins_its_id(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    """acme/payments deleted and re-created by someone else has the same name and another
    immutable id: before, a name-only policy accepted its workflows."""
    replace_identities(
        client,
        admin_headers,
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject_regex": WORKFLOWS,
            "repository": REPOSITORY,
            "source_repository_id": REPOSITORY_ID,
        },
    )
    repojacked = with_claims(
        RELEASE, source_repository_identifier="987654321", source_repository_owner_identifier="1"
    )
    reason = refused(
        client, pipeline_headers, run_in_session, signature(local_sigstore, repojacked)
    )
    assert "OIDCSourceRepositoryIdentifier does not match" in reason
    assert "expected 100001" in reason

    assert accepted(client, pipeline_headers, signature(local_sigstore, RELEASE))["identity"] == 0


def test_a_reusable_workflow_at_another_commit_is_refused_when_its_digest_is_pinned(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    """The SLSA generator's workflow at a commit nobody reviewed, reached through a moved tag:
    before, the policy's subject pattern (the workflow at any v* tag) accepted it."""
    replace_identities(
        client,
        admin_headers,
        {**GENERATOR_IDENTITY, "build_signer_digest": GENERATOR_COMMIT},
    )
    moved = with_claims(GENERATOR, build_signer_digest="e491e4b2ce5bc76fb103729b61b04d3c46d8a192")
    reason = refused(client, pipeline_headers, run_in_session, signature(local_sigstore, moved))
    assert "OIDCBuildSignerDigest does not match" in reason

    reviewed = with_claims(GENERATOR, build_signer_digest=GENERATOR_COMMIT)
    assert accepted(client, pipeline_headers, signature(local_sigstore, reviewed))["kind"] == (
        "workload"
    )


def test_a_claim_pinned_of_a_certificate_that_lacks_it_is_refused(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    replace_identities(
        client,
        admin_headers,
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject_regex": WORKFLOWS,
            "source_repository_visibility": "private",
        },
    )
    silent = dataclasses.replace(
        RELEASE,
        github=dataclasses.replace(RELEASE_CLAIMS, source_repository_visibility=None),
    )
    reason = refused(client, pipeline_headers, run_in_session, signature(local_sigstore, silent))
    assert "does not contain OIDCSourceRepositoryVisibility" in reason


def test_the_new_constraints_are_validated_like_the_others(client, service, admin_headers):
    response = client.put(
        f"/v1/services/{SERVICE}/policy",
        json={
            "identities": [
                {
                    "issuer": GITHUB_ACTIONS_ISSUER,
                    "subject_regex": WORKFLOWS,
                    "build_trigger": ["push", "push"],
                }
            ]
        },
        headers=admin_headers,
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert any("build_trigger lists a trigger twice" in reason for reason in problem["reasons"])
