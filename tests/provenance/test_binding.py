"""The run a provenance describes, checked against its certificate (app/provenance/binding.py).

Each predicate of predicates/ is read with the claims of the certificate that
would sign it (``run_claims``), then one claim or one field is changed.
"""

from __future__ import annotations

from typing import Final

import pytest

from app.provenance.binding import SourceBinding, certificate_mismatches, source_binding
from app.provenance.slsa import Provenance, provenance_from_statement
from tests.provenance.statements import (
    ACME,
    COMMIT,
    GO_BUILDER,
    RELEASE_WORKFLOW,
    RUN_ID,
    TAG,
    statement,
)

RUN: Final = f"{ACME}/actions/runs/{RUN_ID}/attempts/1"
OTHER_WORKFLOW: Final = ACME + "/.github/workflows/lint.yml@" + TAG


def run_claims(signer: str = RELEASE_WORKFLOW, **changes: str | None) -> dict[str, str]:
    """The Fulcio claims of the release run the predicates describe, signed by ``signer``."""
    claims = {
        "source_repository_uri": ACME,
        "source_repository_ref": TAG,
        "source_repository_digest": COMMIT,
        "runner_environment": "github-hosted",
        "build_config_uri": RELEASE_WORKFLOW,
        "build_signer_uri": signer,
        "run_invocation_uri": RUN,
        "build_trigger": "push",
        "github_workflow_trigger": "push",
    } | changes
    return {name: value for name, value in claims.items() if value is not None}


def read(name: str, claims: dict[str, str]) -> Provenance:
    provenance = provenance_from_statement(statement(name), claims)
    assert provenance is not None
    return provenance


def slugs(reasons: tuple[str, ...]) -> list[str]:
    return [reason.split(":", 1)[0] for reason in reasons]


@pytest.mark.parametrize(
    ("name", "signer"),
    [
        pytest.param("good-attest-build-provenance-runner.json", RELEASE_WORKFLOW, id="runner"),
        pytest.param("good-attest-build-provenance.json", RELEASE_WORKFLOW, id="workflow-builder"),
        pytest.param("good-slsa-generator-v1.json", GO_BUILDER, id="generator-v1"),
    ],
)
def test_a_provenance_its_certificate_confirms_is_bound(name: str, signer: str) -> None:
    claims = run_claims(signer)
    provenance = read(name, claims)

    assert certificate_mismatches(provenance, claims) == ()
    assert source_binding(provenance, ACME, claims=claims).bound


def test_a_v02_generator_run_id_is_run_and_attempt() -> None:
    # The v0.2 generator's source is another commit; its certificate says so too.
    generic = GO_BUILDER.replace("builder_go_slsa3", "generator_generic_slsa3")
    claims = run_claims(
        generic, source_repository_digest="e491e4b2ce5bc76fb103729b61b04d3c46d8a192"
    )
    provenance = read("good-slsa-generator-v0.2.json", claims)

    assert provenance.invocation_id == f"{RUN_ID}-1"
    assert provenance.trigger == "push"
    assert certificate_mismatches(provenance, claims) == ()
    assert certificate_mismatches(
        provenance, run_claims(generic, run_invocation_uri=RUN[:-1] + "2")
    )


@pytest.mark.parametrize(
    ("claim", "value", "what"),
    [
        pytest.param("build_config_uri", OTHER_WORKFLOW, "workflow path", id="another-workflow"),
        pytest.param(
            "build_config_uri",
            "https://gitlab.com/acme/payments//.gitlab-ci.yml@" + TAG,
            "workflow path",
            id="not-a-github-workflow",
        ),
        pytest.param(
            "run_invocation_uri",
            f"{ACME}/actions/runs/1/attempts/1",
            "invocation id",
            id="another-run",
        ),
        pytest.param("build_trigger", "pull_request_target", "trigger", id="another-trigger"),
        pytest.param(
            "github_workflow_trigger", "workflow_run", "trigger", id="the-old-claim-disagrees"
        ),
        pytest.param("build_signer_uri", OTHER_WORKFLOW, "builder id", id="another-signer"),
    ],
)
def test_what_the_certificate_contradicts_fails_the_binding(
    claim: str, value: str, what: str
) -> None:
    claims = run_claims(**{claim: value})
    provenance = read("good-attest-build-provenance.json", claims)

    (mismatch,) = certificate_mismatches(provenance, claims)
    assert mismatch.startswith(f"certificate-mismatch: the provenance's {what} ")
    binding = source_binding(provenance, ACME, claims=claims)
    assert not binding.bound
    assert mismatch in binding.reasons


def test_what_the_certificate_does_not_say_is_unconfirmed() -> None:
    """A certificate without the run's claims (an e-mail signer's) confirms nothing."""
    provenance = read("good-attest-build-provenance.json", {})

    reasons = certificate_mismatches(provenance, {})
    assert slugs(reasons) == ["certificate-unconfirmed"] * 4
    assert "has no Build Config URI (1.18)" in reasons[0]
    # The source the predicate names alone is the service's, at a tag: only this refuses it.
    assert source_binding(provenance, ACME, claims={}) == SourceBinding(
        bound=False, reasons=reasons
    )


def test_what_the_provenance_does_not_state_is_not_checked() -> None:
    claims = run_claims(run_invocation_uri=None, build_trigger=None, github_workflow_trigger=None)
    document = statement("good-attest-build-provenance-runner.json")
    del document["predicate"]["runDetails"]["metadata"]
    del document["predicate"]["buildDefinition"]["internalParameters"]
    provenance = provenance_from_statement(document, claims)

    assert provenance is not None
    assert (provenance.invocation_id, provenance.trigger) == (None, None)
    assert certificate_mismatches(provenance, claims) == ()


def test_a_builder_id_that_is_no_workflow_is_not_compared_with_the_signer() -> None:
    claims = run_claims(OTHER_WORKFLOW)
    provenance = read("good-attest-build-provenance-runner.json", claims)

    assert certificate_mismatches(provenance, claims) == ()


def test_a_spoofed_generator_builder_id_is_not_bound() -> None:
    mallory = RELEASE_WORKFLOW.replace("acme", "mallory")
    claims = run_claims(
        mallory,
        source_repository_uri="https://github.com/mallory/payments",
        build_config_uri=mallory,
        run_invocation_uri=RUN.replace("acme", "mallory"),
    )
    provenance = read("good-spoofed-builder.json", claims)

    assert slugs(certificate_mismatches(provenance, claims)) == ["certificate-mismatch"]


def test_provenance_of_a_build_type_attestd_does_not_read_is_not_compared() -> None:
    provenance = read("good-unknown-builder.json", {})

    assert not provenance.build_type_known
    assert certificate_mismatches(provenance, {}) == ()
