"""Builders a service calls, without a server: the policy lines, the signers they add, the
trust map entries they make and the levels those grant. Over HTTP:
test_called_builders_api.py."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from pydantic import ValidationError
from sigstore.models import Bundle

from app.policy.document import ServicePolicyDocument, policy_digest
from app.policy.identities import GITHUB_ACTIONS_ISSUER, matched_identity
from app.provenance.levels import slsa_level
from app.provenance.slsa import provenance_from_statement
from tests.builders.called import (
    BUILD,
    BUILD_PYTHON,
    REUSABLE_WORKFLOW,
    attest_build_provenance,
    called_by,
    run_of,
)
from tests.builders.identities import GENERATOR, RELEASE
from tests.sigstore_local import LocalSigstore, SignerIdentity, message_signature_bundle

DEFAULT_IDENTITY = {
    "issuer": GITHUB_ACTIONS_ISSUER,
    "subject_regex": r"https://github\.com/acme/payments/\.github/workflows/.+",
    "repository": "acme/payments",
}
OWN_REUSABLE = "https://github.com/acme/payments/.github/workflows/build.yml@refs/tags/v1.4.0"


def document(**fields: Any) -> ServicePolicyDocument:
    return ServicePolicyDocument.model_validate({"identities": [DEFAULT_IDENTITY], **fields})


def refusal(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        document(**fields)
    return str(caught.value)


def claims_of(signer: SignerIdentity) -> dict[str, str]:
    """The claims attestd reads from ``signer``'s certificate, by their receipt names."""
    github = signer.github
    assert github is not None
    return {
        "source_repository_uri": github.source_repository_uri or "",
        "runner_environment": github.runner_environment or "",
        "build_signer_uri": github.build_signer_uri or "",
        "build_config_uri": github.build_config_uri or "",
        "run_invocation_uri": github.run_invocation_uri or "",
        "build_trigger": github.build_trigger or "",
    }


def level_of(policy: ServicePolicyDocument, signer: SignerIdentity) -> tuple[int, tuple[str, ...]]:
    provenance = provenance_from_statement(attest_build_provenance(signer), claims_of(signer))
    assert provenance is not None
    result = slsa_level(
        provenance, signer.identity, signer.issuer, claims_of(signer), policy.trust_map()
    )
    return result.level, result.reasons


# --- the policy lines ----------------------------------------------------------------------------


def test_absent_lines_leave_the_stored_form_and_digest_as_they_were() -> None:
    plain = document()
    assert plain.model_dump(mode="json", exclude_none=True) == {"identities": [DEFAULT_IDENTITY]}
    assert policy_digest(plain) == policy_digest(document(builders=None, reusable_workflows=None))
    assert policy_digest(plain) != policy_digest(document(builders=["slsa-github-generator"]))
    assert [signer.label for signer in plain.signers()] == ["identity 1"]


def test_each_line_adds_a_signer_under_each_identity_naming_a_repository() -> None:
    person = {"issuer": "https://accounts.google.com", "subject": "alice@acme.example"}
    policy = ServicePolicyDocument.model_validate(
        {
            "identities": [DEFAULT_IDENTITY, person],
            "builders": ["slsa-github-generator"],
            "reusable_workflows": [REUSABLE_WORKFLOW],
        }
    )
    assert [(signer.identity, signer.label) for signer in policy.signers()] == [
        (0, "identity 1"),
        (1, "identity 2"),
        (0, "identity 1 through slsa-github-generator"),
        (
            0,
            "identity 1 through reusable workflow build-python.yml",
        ),
    ]
    (entry,) = policy.trust_map().builders[2:]
    assert (entry.builder_id, entry.match, entry.max_level) == (
        "https://github.com/acme/release-workflows/.github/workflows/build-python.yml@",
        "prefix",
        3,
    )
    assert entry.builder_is_signer
    assert entry.signer.runner_environment == "github-hosted"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        pytest.param(
            {
                "reusable_workflows": [
                    {"repository": "acme/payments", "workflow": ".github/workflows/b.yml"}
                ]
            },
            "is in a repository the identities name",
            id="own-repository",
        ),
        pytest.param(
            {
                "reusable_workflows": [
                    {"repository": "ACME/Payments", "workflow": ".github/workflows/b.yml"}
                ]
            },
            "is in a repository the identities name",
            id="own-repository-spelled-otherwise",
        ),
        pytest.param(
            {"reusable_workflows": [REUSABLE_WORKFLOW, REUSABLE_WORKFLOW]},
            "reusable workflow acme/release-workflows/.github/workflows/build-python.yml twice",
            id="repeated-workflow",
        ),
        pytest.param(
            {"builders": ["slsa-github-generator", "slsa-github-generator"]},
            "at most 1 item",
            id="repeated-builder",
        ),
        pytest.param({"builders": ["tekton"]}, "slsa-github-generator", id="unknown-builder"),
        pytest.param(
            {"reusable_workflows": [{"repository": "acme/w", "workflow": "build.yml"}]},
            "workflow",
            id="not-a-workflow-file",
        ),
        pytest.param(
            {"reusable_workflows": [{**REUSABLE_WORKFLOW, "build_signer_digest": "v1"}]},
            "build_signer_digest",
            id="digest-not-a-commit",
        ),
        pytest.param(
            {"reusable_workflows": [{**REUSABLE_WORKFLOW, "ref": "refs/tags/v1"}]},
            "Extra inputs",
            id="unknown-field",
        ),
    ],
)
def test_bad_lines_are_refused(fields: dict[str, Any], says: str) -> None:
    assert says in refusal(**fields)


def test_a_line_needs_an_identity_naming_a_repository() -> None:
    with pytest.raises(ValidationError, match="give an identity with repository"):
        ServicePolicyDocument.model_validate(
            {"identities": [], "builders": ["slsa-github-generator"]}
        )


# --- which identity accepts the called builder ---------------------------------------------------


def certificate(sigstore: LocalSigstore, signer: SignerIdentity) -> x509.Certificate:
    content = message_signature_bundle(sigstore, bytes(32), signer=signer).content
    return Bundle.from_json(content).signing_certificate


def test_the_called_builder_is_accepted_under_the_identity_it_runs_for(
    local_sigstore: LocalSigstore,
) -> None:
    policy = document(builders=["slsa-github-generator"], reusable_workflows=[REUSABLE_WORKFLOW])
    for signer in (BUILD, GENERATOR, RELEASE):
        assert matched_identity(policy, certificate(local_sigstore, signer)) == 0, signer.identity
    assert matched_identity(document(), certificate(local_sigstore, BUILD)) is None


# --- levels --------------------------------------------------------------------------------------


def test_the_trusted_reusable_workflow_grants_build_level_3() -> None:
    level, reasons = level_of(document(reusable_workflows=[REUSABLE_WORKFLOW]), BUILD)
    assert level == 3, reasons
    assert any("reusable workflow acme/release-workflows" in reason for reason in reasons)


def test_without_the_line_the_reusable_workflow_is_level_2() -> None:
    level, reasons = level_of(document(), BUILD)
    assert level == 2, reasons
    assert any(reason.startswith("untrusted-builder") for reason in reasons)


def test_a_builder_id_other_than_the_signer_gets_nothing_from_the_entry() -> None:
    policy = document(reusable_workflows=[REUSABLE_WORKFLOW])
    signer = called_by(BUILD_PYTHON.replace("@refs/tags/v1", "@refs/tags/v2"))
    provenance = provenance_from_statement(attest_build_provenance(BUILD), claims_of(signer))
    assert provenance is not None
    result = slsa_level(
        provenance, signer.identity, signer.issuer, claims_of(signer), policy.trust_map()
    )
    assert result.level == 1
    assert any("the builder id is not the signer's identity" in r for r in result.reasons)


def test_a_reusable_workflow_run_for_its_own_repository_is_no_level_3() -> None:
    """Hand-written entries too: a workflow of the calling repository is not isolated."""
    own = called_by(OWN_REUSABLE)
    policy = document(
        trusted_builders=[
            {
                "id_prefix": "https://github.com/acme/payments/.github/workflows/build.yml@",
                "signer": {
                    "issuer": GITHUB_ACTIONS_ISSUER,
                    "subject_regex": r"https://github\.com/acme/payments/\.github/workflows/.+",
                },
                "builder_is_signer": True,
                "max_level": 3,
                "trust_domain": "acme",
            }
        ]
    )
    level, reasons = level_of(policy, own)
    assert level == 1, reasons
    assert any("ran for its own repository" in reason for reason in reasons)
    # The same workflow called from another repository is the builder the entry trusts.
    level, reasons = level_of(policy, called_by(OWN_REUSABLE, run_of("acme/billing")))
    assert level == 3, reasons
