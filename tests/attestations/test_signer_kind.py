"""Whether a signer is a workload or a person under a policy (ServicePolicyDocument.signer_kind)."""

from __future__ import annotations

from typing import Any, Final

import pytest

from app.policy.document import ServicePolicyDocument
from app.policy.identities import GITHUB_ACTIONS_ISSUER, GITLAB_ISSUER, Kind, default_kind

GOOGLE: Final = "https://accounts.google.com"
CIRCLECI: Final = "https://oidc.circleci.com/org/4f6b2c1e-8d0a-4a43-9a57-2f1c3b8e7d10"
SELF_MANAGED_GITLAB: Final = "https://gitlab.acme.example"
WORKFLOW: Final = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1"
GITLAB_PIPELINE: Final = "https://gitlab.com/acme/payments//.gitlab-ci.yml@refs/tags/v1"
PERSON: Final = "alice@acme.example"
SERVICE_ACCOUNT: Final = "rebuilder@acme-ci.iam.gserviceaccount.com"
HOSTED: Final = {"runner_environment": "github-hosted"}


def kind_of(
    identities: list[dict[str, Any]],
    subject: str,
    issuer: str,
    *,
    uri_subject: bool,
    claims: dict[str, str] | None = None,
    identity: int | None = 0,
    trusted_builders: list[dict[str, Any]] | None = None,
) -> Kind:
    document = ServicePolicyDocument.model_validate(
        {"identities": identities, "trusted_builders": trusted_builders}
    )
    return document.signer_kind(identity, subject, issuer, claims or {}, uri_subject=uri_subject)


@pytest.mark.parametrize(
    ("issuer", "uri_subject", "kind"),
    [
        pytest.param(GITHUB_ACTIONS_ISSUER, True, "workload", id="github-actions-run"),
        pytest.param(GITLAB_ISSUER, True, "workload", id="gitlab-com-pipeline"),
        pytest.param("https://agent.buildkite.com", True, "workload", id="buildkite"),
        pytest.param("https://oidc.codefresh.io", True, "workload", id="codefresh"),
        pytest.param(CIRCLECI, True, "workload", id="circleci-org"),
        pytest.param("https://oidc.circleci.com/", True, "person", id="circleci-outside-org"),
        pytest.param(GITHUB_ACTIONS_ISSUER, False, "person", id="e-mail-from-a-ci-issuer"),
        pytest.param(GOOGLE, False, "person", id="google-account"),
        pytest.param("https://github.com/login/oauth", False, "person", id="github-login"),
        pytest.param(SELF_MANAGED_GITLAB, True, "person", id="an-issuer-nobody-declared"),
    ],
)
def test_default_kind_is_a_ci_issuers_uri_subject(
    issuer: str, uri_subject: bool, kind: str
) -> None:
    assert default_kind(issuer, uri_subject=uri_subject) == kind


def test_an_identity_without_a_kind_takes_the_default() -> None:
    github = [{"issuer": GITHUB_ACTIONS_ISSUER, "subject": WORKFLOW}]
    assert kind_of(github, WORKFLOW, GITHUB_ACTIONS_ISSUER, uri_subject=True) == "workload"
    # An e-mail address spelled like a URL is still an e-mail address.
    spelled = [{"issuer": GITLAB_ISSUER, "subject": "https://alice@acme.example"}]
    assert kind_of(spelled, "https://alice@acme.example", GITLAB_ISSUER, uri_subject=False) == (
        "person"
    )


def test_an_identity_states_its_kind() -> None:
    gitlab = [{"issuer": SELF_MANAGED_GITLAB, "subject": GITLAB_PIPELINE, "kind": "workload"}]
    assert kind_of(gitlab, GITLAB_PIPELINE, SELF_MANAGED_GITLAB, uri_subject=True) == "workload"
    account = [{"issuer": GOOGLE, "subject": SERVICE_ACCOUNT, "kind": "workload"}]
    assert kind_of(account, SERVICE_ACCOUNT, GOOGLE, uri_subject=False) == "workload"
    manual = [{"issuer": GITHUB_ACTIONS_ISSUER, "subject": WORKFLOW, "kind": "person"}]
    assert kind_of(manual, WORKFLOW, GITHUB_ACTIONS_ISSUER, uri_subject=True) == "person"


REBUILDER_RULE: Final = {
    "id": "https://rebuild.acme.example/builder",
    "signer": {"issuer": GOOGLE, "subject": SERVICE_ACCOUNT},
    "max_level": 2,
}
ACCOUNT: Final = [{"issuer": GOOGLE, "subject": SERVICE_ACCOUNT}]


def test_a_trusted_builders_signer_is_a_workload() -> None:
    assert kind_of(ACCOUNT, SERVICE_ACCOUNT, GOOGLE, uri_subject=False) == "person"
    assert (
        kind_of(
            ACCOUNT, SERVICE_ACCOUNT, GOOGLE, uri_subject=False, trusted_builders=[REBUILDER_RULE]
        )
        == "workload"
    )
    # A GitHub workflow on a hosted runner is the default trust map's signer.
    github = [{"issuer": GITHUB_ACTIONS_ISSUER, "subject": WORKFLOW, "kind": "person"}]
    assert kind_of(github, WORKFLOW, GITHUB_ACTIONS_ISSUER, uri_subject=True, claims=HOSTED) == (
        "person"
    )


@pytest.mark.parametrize(
    ("identity_kind", "builder_kind", "kind"),
    [
        pytest.param("person", None, "person", id="the-identity-says-person"),
        pytest.param(None, "person", "person", id="the-builder-entry-says-person"),
        pytest.param("workload", "person", "person", id="person-wins"),
        pytest.param(None, "workload", "workload", id="the-builder-entry-says-workload"),
    ],
)
def test_a_stated_person_outweighs_everything(
    identity_kind: str | None, builder_kind: str | None, kind: str
) -> None:
    identities = [{**ACCOUNT[0], "kind": identity_kind}]
    rule = {**REBUILDER_RULE, "signer": {**REBUILDER_RULE["signer"], "kind": builder_kind}}
    assert (
        kind_of(identities, SERVICE_ACCOUNT, GOOGLE, uri_subject=False, trusted_builders=[rule])
        == kind
    )


def test_a_builder_entry_counts_only_for_its_own_signer() -> None:
    other = {**REBUILDER_RULE, "signer": {"issuer": GOOGLE, "subject": "other@acme.example"}}
    assert (
        kind_of(ACCOUNT, SERVICE_ACCOUNT, GOOGLE, uri_subject=False, trusted_builders=[other])
        == "person"
    )
