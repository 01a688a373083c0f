"""The trust map (app/provenance/trust_map.py): validation, digest, and the SLSA Build level."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.digests import content_digest
from app.policy.builders import (
    DEFAULT_TRUST_MAP,
    MAX_BUILDERS,
    MAX_REUSABLE_WORKFLOWS,
    TrustedBuilder,
    TrustMap,
    trust_map_digest,
)
from app.policy.document import ServicePolicyDocument, policy_digest
from app.policy.identities import GITHUB_ACTIONS_ISSUER, GITLAB_ISSUER
from app.provenance.levels import slsa_level
from app.provenance.slsa import Provenance, provenance_from_statement
from tests.provenance.statements import (
    ACME,
    GENERATOR,
    GENERIC_GENERATOR,
    GO_BUILDER,
    GOOGLE,
    MALLORY,
    MALLORY_WORKFLOW,
    RELEASE_WORKFLOW,
    github_claims,
    statement,
)

RUNNER_BUILDER = "https://github.com/actions/runner/github-hosted"
CHAINS = "https://ci.acme.example/tekton-chains"
ACME_OIDC = "https://ci.acme.example/oidc"
CHAINS_SIGNER = "https://ci.acme.example/chains"
REASON = re.compile(r"[a-z0-9-]+: \S.*")


def read(name: str) -> Provenance:
    provenance = provenance_from_statement(statement(name), {})
    assert provenance is not None
    return provenance


def slugs(reasons: tuple[str, ...]) -> list[str]:
    return [reason.split(":", 1)[0] for reason in reasons]


def entry(**fields: Any) -> dict[str, Any]:
    """A valid trust-map entry as JSON, with ``fields`` changed (None removes a field)."""
    document: dict[str, Any] = {
        "builder_id": CHAINS,
        "match": "exact",
        "signer": {"issuer": ACME_OIDC, "subject": CHAINS_SIGNER},
        "max_level": 3,
    }
    for name, value in fields.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    return document


# --- validation -------------------------------------------------------------------------------

GOOD_ENTRIES = {
    "exact": entry(),
    "prefix-slash": entry(builder_id="https://ci.acme.example/builders/", match="prefix"),
    "prefix-at": entry(builder_id=GENERATOR + "builder_go_slsa3.yml@", match="prefix"),
    "regex-signer": entry(
        signer={"issuer": ACME_OIDC, "subject_regex": r"https://ci\.acme\.example/.+"}
    ),
    "github-runner": entry(
        signer={
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject_regex": r"https://github\.com/acme/.+",
            "runner_environment": "self-hosted",
        },
        max_level=1,
    ),
    "described": entry(description="Tekton Chains of the platform team", builder_is_signer=False),
    "rebuilder": entry(max_level=1, rebuilder=True, trust_domain="rebuild.example.org"),
    "named-domain": entry(trust_domain="acme-platform_ci"),
}

# name: (entry, where the error is, what it says)
BAD_ENTRIES = {
    "both-subjects": (
        entry(
            signer={
                "issuer": ACME_OIDC,
                "subject": CHAINS_SIGNER,
                "subject_regex": r"https://ci\.acme\.example/.+",
            }
        ),
        "signer",
        "exactly one of subject and subject_regex",
    ),
    "no-subject": (entry(signer={"issuer": ACME_OIDC}), "signer", "exactly one of subject"),
    "catch-all": (
        entry(signer={"issuer": ACME_OIDC, "subject_regex": ".*"}),
        "signer.subject_regex",
        "matches ''",
    ),
    "any-github-owner": (
        entry(signer={"issuer": GITHUB_ACTIONS_ISSUER, "subject_regex": r"https://github\.com/.+"}),
        "signer.subject_regex",
        "attestd-probe",
    ),
    "runner-other-issuer": (
        entry(
            signer={
                "issuer": ACME_OIDC,
                "subject": CHAINS_SIGNER,
                "runner_environment": "github-hosted",
            }
        ),
        "signer",
        "runner_environment can only be required of GitHub Actions",
    ),
    "runner-unknown": (
        entry(
            signer={
                "issuer": GITHUB_ACTIONS_ISSUER,
                "subject": RELEASE_WORKFLOW,
                "runner_environment": "cloud",
            }
        ),
        "signer.runner_environment",
        "Input should be",
    ),
    "issuer-http": (
        entry(signer={"issuer": "http://ci.acme.example", "subject": CHAINS_SIGNER}),
        "signer.issuer",
        "https:// URL",
    ),
    "level-0": (entry(max_level=0), "max_level", "greater than or equal to 1"),
    "level-4": (entry(max_level=4), "max_level", "less than or equal to 3"),
    "level-string": (entry(max_level="3"), "max_level", "valid integer"),
    "level-true": (entry(max_level=True), "max_level", "valid integer"),
    "level-missing": (entry(max_level=None), "max_level", "Field required"),
    "match-regex": (entry(match="regex"), "match", "Input should be"),
    "signer-is-builder-string": (entry(builder_is_signer="yes"), "builder_is_signer", "boolean"),
    "prefix-no-boundary": (
        entry(builder_id="https://github.com/slsa-framework", match="prefix"),
        "",
        "must end with '/' or '@'",
    ),
    "prefix-host-only": (
        entry(builder_id="https://github.com/", match="prefix"),
        "",
        "must name a path below the host",
    ),
    "prefix-scheme-only": (entry(builder_id="https://", match="prefix"), "", "with a host"),
    "prefix-no-scheme": (
        entry(builder_id="github.com/acme/", match="prefix"),
        "",
        "with a host",
    ),
    "prefix-credentials": (
        entry(builder_id="https://user@github.com/acme/", match="prefix"),
        "",
        "no credentials",
    ),
    "builder-id-empty": (entry(builder_id=""), "builder_id", "at least 1 character"),
    "builder-id-space": (entry(builder_id="https://ci.acme.example/a b"), "builder_id", "pattern"),
    "builder-id-long": (entry(builder_id="b" * 2049), "builder_id", "at most 2048"),
    "unknown-field": (entry(level=3), "level", "Extra inputs are not permitted"),
    "description-control": (entry(description="a\x07b"), "description", "pattern"),
    "domain-upper-case": (entry(trust_domain="Acme"), "trust_domain", "pattern"),
    "domain-edge": (entry(trust_domain="acme-"), "trust_domain", "pattern"),
    "domain-empty": (entry(trust_domain=""), "trust_domain", "at least 1 character"),
    "rebuilder-string": (entry(rebuilder="yes"), "rebuilder", "boolean"),
}


@pytest.mark.parametrize("name", sorted(GOOD_ENTRIES))
def test_good_entries(name: str) -> None:
    document = GOOD_ENTRIES[name]
    builder = TrustedBuilder.model_validate(document)
    assert builder.builder_id == document["builder_id"]
    assert TrustedBuilder.model_validate_json(builder.model_dump_json()) == builder


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_bad_entries(name: str) -> None:
    document, where, says = BAD_ENTRIES[name]
    with pytest.raises(ValidationError) as refused:
        TrustedBuilder.model_validate_json(json.dumps(document))
    errors = refused.value.errors()
    assert len(errors) == 1, errors
    assert ".".join(str(part) for part in errors[0]["loc"]) == where
    assert says in errors[0]["msg"]


def test_a_trust_map_refuses_repeats_and_too_many_entries() -> None:
    with pytest.raises(ValidationError, match=r"builders\[1\] repeats builders\[0\]"):
        TrustMap.model_validate({"builders": [entry(), entry()]})
    most = MAX_BUILDERS + MAX_REUSABLE_WORKFLOWS
    many = [entry(builder_id=f"{CHAINS}/{index}") for index in range(most + 1)]
    with pytest.raises(ValidationError, match=f"at most {most}"):
        TrustMap.model_validate({"builders": many})
    with pytest.raises(ValidationError, match="Extra inputs"):
        TrustMap.model_validate({"builders": [], "default": True})
    assert TrustMap.model_validate({}).builders == ()


def test_the_default_trust_map_validates_as_input() -> None:
    document = DEFAULT_TRUST_MAP.model_dump(mode="json", exclude_none=True)
    assert TrustMap.model_validate_json(json.dumps(document)) == DEFAULT_TRUST_MAP
    first, second = DEFAULT_TRUST_MAP.builders
    assert (first.builder_id, first.match, first.max_level) == (RUNNER_BUILDER, "exact", 2)
    assert (second.builder_id, second.match, second.max_level) == (GENERATOR, "prefix", 3)
    assert second.builder_is_signer
    assert {first.signer.issuer, second.signer.issuer} == {GITHUB_ACTIONS_ISSUER}
    assert {first.signer.runner_environment, second.signer.runner_environment} == {"github-hosted"}


@pytest.mark.parametrize(
    ("subject", "matches"),
    [
        (GO_BUILDER, True),
        (GENERIC_GENERATOR, True),
        (GENERATOR + "generator_container_slsa3.yml@refs/tags/v1.10.0", True),
        (GENERATOR + "builder_container-based_slsa3.yml@refs/tags/v2.0.0", True),
        (GENERATOR + "builder_docker-based_slsa3.yml@refs/tags/v1.9.0", True),
        (GENERATOR + "builder_go_slsa3.yml@refs/heads/main", False),
        (GENERATOR + "builder_go_slsa3.yml@refs/tags/v2.1", False),
        (GENERATOR + "builder_go_slsa3.yml@refs/tags/v2.1.0-rc.1", False),
        (GENERATOR + "delegator_generic_slsa3.yml@refs/tags/v2.1.0", False),
        (
            "https://github.com/mallory/slsa-github-generator/.github/workflows/"
            "builder_go_slsa3.yml@refs/tags/v2.1.0",
            False,
        ),
    ],
)
def test_the_generator_signers_of_the_default(subject: str, matches: bool) -> None:
    signer = DEFAULT_TRUST_MAP.builders[1].signer
    claims = {"runner_environment": "github-hosted"}
    assert (signer.refusal(subject, GITHUB_ACTIONS_ISSUER, claims) is None) is matches


# --- digest ---------------------------------------------------------------------------------------


def test_the_digest_ignores_spelling_and_keeps_meaning() -> None:
    base = TrustMap.model_validate({"builders": [entry(), entry(builder_id=CHAINS + "/2")]})
    spelled = TrustMap.model_validate_json(
        '{"builders": [{"max_level": 3, "signer": {"subject": "https://ci.acme.example/chains",'
        ' "issuer": "https://ci.acme.example/oidc", "subject_regex": null}, "description": null,'
        ' "builder_id": "https://ci.acme.example/tekton-chains"},'
        ' {"builder_id": "https://ci.acme.example/tekton-chains/2", "match": "exact",'
        ' "builder_is_signer": false, "signer": {"issuer": "https://ci.acme.example/oidc",'
        ' "subject": "https://ci.acme.example/chains"}, "max_level": 3}]}'
    )
    assert trust_map_digest(spelled) == trust_map_digest(base)
    reordered = TrustMap(builders=tuple(reversed(base.builders)))
    lowered = TrustMap.model_validate(
        {"builders": [entry(max_level=2), entry(builder_id=CHAINS + "/2")]}
    )
    digests = {trust_map_digest(m) for m in (base, reordered, lowered, TrustMap())}
    assert len(digests) == 4
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in digests)


def test_policies_stored_before_trust_domains_keep_their_digest() -> None:
    """A stored version is validated again and refused unless it has its recorded digest."""
    rule = {"id": CHAINS, "signer": {"issuer": ACME_OIDC, "subject": CHAINS_SIGNER}}
    stored = {"identities": [], "trusted_builders": [{**rule, "builder_is_signer": False}]}
    stored["trusted_builders"][0]["max_level"] = 3
    policy = ServicePolicyDocument.model_validate(stored)
    assert policy.model_dump(mode="json", exclude_none=True) == stored
    assert policy_digest(policy) == content_digest(rfc8785.dumps(stored))
    spelled = {
        **stored,
        "trusted_builders": [{**stored["trusted_builders"][0], "rebuilder": False}],
    }
    assert policy_digest(ServicePolicyDocument.model_validate(spelled)) == policy_digest(policy)
    (added,) = policy.trust_map().builders[len(DEFAULT_TRUST_MAP.builders) :]
    assert (added.rebuilder, added.trust_domain) == (False, None)


def test_the_default_trust_map_digest_is_pinned() -> None:
    """Receipts record this digest: a change of the defaults must be a deliberate one."""
    assert trust_map_digest(DEFAULT_TRUST_MAP) == (
        "sha256:2b2ef0178472a97949ad7d44e342f2bb59dfe0b2154a9072b4c5b005d6847aec"
    )


# --- the level ----------------------------------------------------------------------------------

HOSTED = github_claims()
SELF_HOSTED = github_claims(runner="self-hosted")
NO_RUNNER = github_claims(runner=None)
CUSTOM = TrustMap.model_validate({"builders": [entry()]})

# name: (file, signer subject, issuer, claims, trust map, level, entry index, reason slugs)
LEVELS: dict[str, tuple[str, str, str, dict[str, str], TrustMap, int, int | None, list[str]]] = {
    "attest-build-provenance-hosted": (
        "good-attest-build-provenance.json",
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        DEFAULT_TRUST_MAP,
        2,
        None,
        ["provenance-present", "untrusted-builder", "hosted-builder", "build-level"],
    ),
    "attest-build-provenance-runner-builder": (
        "good-attest-build-provenance-runner.json",
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        DEFAULT_TRUST_MAP,
        2,
        0,
        ["provenance-present", "trusted-builder", "hosted-builder", "build-level"],
    ),
    "hosted-builder-id-on-a-self-hosted-runner": (
        "good-attest-build-provenance-runner.json",
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        SELF_HOSTED,
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
    "self-hosted-runner": (
        "good-self-hosted-runner.json",
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        SELF_HOSTED,
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "untrusted-builder", "self-hosted-runner", "build-level"],
    ),
    "github-certificate-without-runner-claim": (
        "good-attest-build-provenance.json",
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        NO_RUNNER,
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "untrusted-builder", "runner-unknown", "build-level"],
    ),
    "unknown-builder-signed-by-a-person": (
        "good-unknown-builder.json",
        "release@acme.example",
        GOOGLE,
        {},
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "untrusted-builder", "not-hosted", "build-level"],
    ),
    "slsa-generator-v1": (
        "good-slsa-generator-v1.json",
        GO_BUILDER,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        DEFAULT_TRUST_MAP,
        3,
        1,
        ["provenance-present", "trusted-builder", "hosted-builder", "build-level"],
    ),
    "slsa-generator-v0.2": (
        "good-slsa-generator-v0.2.json",
        GENERIC_GENERATOR,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        DEFAULT_TRUST_MAP,
        3,
        1,
        ["provenance-present", "trusted-builder", "hosted-builder", "build-level"],
    ),
    "generator-builder-id-signed-by-a-stranger": (
        "good-spoofed-builder.json",
        MALLORY_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        github_claims(repository=MALLORY),
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
    "generator-builder-id-signed-by-a-person": (
        "good-spoofed-builder.json",
        "mallory@example.com",
        GOOGLE,
        {},
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
    "generator-builder-id-signed-by-another-generator": (
        "good-slsa-generator-v0.2.json",
        GO_BUILDER,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
    "generator-on-a-self-hosted-runner": (
        "good-slsa-generator-v1.json",
        GO_BUILDER,
        GITHUB_ACTIONS_ISSUER,
        SELF_HOSTED,
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
    "private-builder-without-a-trust-map-entry": (
        "good-unknown-builder.json",
        CHAINS_SIGNER,
        ACME_OIDC,
        {},
        DEFAULT_TRUST_MAP,
        1,
        None,
        ["provenance-present", "untrusted-builder", "not-hosted", "build-level"],
    ),
    "private-builder-trusted-for-l3": (
        "good-unknown-builder.json",
        CHAINS_SIGNER,
        ACME_OIDC,
        {},
        CUSTOM,
        3,
        0,
        ["provenance-present", "trusted-builder", "not-hosted", "build-level"],
    ),
    "private-builder-signed-by-someone-else": (
        "good-unknown-builder.json",
        "https://ci.acme.example/someone-else",
        ACME_OIDC,
        {},
        CUSTOM,
        1,
        None,
        ["provenance-present", "builder-signer-mismatch", "spoofed-builder"],
    ),
}


@pytest.mark.parametrize("name", sorted(LEVELS))
def test_levels(name: str) -> None:
    file, subject, issuer, claims, trust_map, level, index, reasons = LEVELS[name]
    provenance = read(file)
    result = slsa_level(provenance, subject, issuer, claims, trust_map)
    assert result.level == level
    assert result.builder_id == provenance.builder_id
    assert result.entry == (None if index is None else trust_map.builders[index])
    assert slugs(result.reasons) == reasons
    assert all(REASON.fullmatch(reason) for reason in result.reasons)
    if "build-level" in reasons:
        assert result.reasons[-1] == f"build-level: Build L{level}"


def test_no_provenance_is_level_0() -> None:
    result = slsa_level(None, RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER, HOSTED)
    assert (result.level, result.builder_id, result.entry) == (0, None, None)
    assert slugs(result.reasons) == ["no-provenance"]


def test_the_spoof_reason_says_who_signed_and_who_should_have() -> None:
    result = slsa_level(
        read("good-spoofed-builder.json"),
        MALLORY_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        github_claims(repository=MALLORY),
    )
    mismatch = result.reasons[1]
    assert mismatch.startswith(
        f"builder-signer-mismatch: builder id '{GENERIC_GENERATOR}' is trusted (trust map "
        "entry 1) only when signed by a SAN matching https://github"
    )
    assert f"but the signer is '{MALLORY_WORKFLOW}'" in mismatch
    assert mismatch.endswith("no level from that builder (builder ids are self-declared)")


def test_the_hosted_runner_spoof_names_the_runner() -> None:
    result = slsa_level(
        read("good-attest-build-provenance-runner.json"),
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        SELF_HOSTED,
    )
    assert "the certificate's runner environment is 'self-hosted'" in result.reasons[1]


def test_a_generator_builder_id_that_is_not_the_signer() -> None:
    result = slsa_level(
        read("good-slsa-generator-v0.2.json"), GO_BUILDER, GITHUB_ACTIONS_ISSUER, HOSTED
    )
    assert f"the builder id is not the signer's identity '{GO_BUILDER}'" in result.reasons[1]


def test_an_entry_for_the_same_builder_that_does_match_is_no_spoof() -> None:
    trust_map = TrustMap.model_validate(
        {
            "builders": [
                entry(signer={"issuer": ACME_OIDC, "subject": "https://ci.acme.example/other"}),
                entry(max_level=2),
            ]
        }
    )
    result = slsa_level(read("good-unknown-builder.json"), CHAINS_SIGNER, ACME_OIDC, {}, trust_map)
    assert result.level == 2
    assert result.entry == trust_map.builders[1]


def test_the_highest_matching_entry_vouches() -> None:
    trust_map = TrustMap.model_validate(
        {
            "builders": [
                entry(max_level=1),
                entry(max_level=3, description="the platform team's Tekton Chains"),
                entry(max_level=2),
            ]
        }
    )
    result = slsa_level(read("good-unknown-builder.json"), CHAINS_SIGNER, ACME_OIDC, {}, trust_map)
    assert result.level == 3
    assert result.entry == trust_map.builders[1]
    assert result.reasons[1] == (
        "trusted-builder: builder id and signer match trust map entry 1 (the platform team's "
        "Tekton Chains), which vouches for up to Build L3"
    )


def test_among_entries_granting_as_much_a_rebuilder_vouches() -> None:
    """Its rebuilder flag and trust domain go with the check, for reproducibility."""
    rebuilder = entry(max_level=1, rebuilder=True, trust_domain="rebuilders", description="r")
    trust_map = TrustMap.model_validate({"builders": [entry(max_level=1), rebuilder]})
    result = slsa_level(read("good-unknown-builder.json"), CHAINS_SIGNER, ACME_OIDC, {}, trust_map)
    assert result.level == 1
    assert result.entry == trust_map.builders[1]
    higher = TrustMap.model_validate({"builders": [rebuilder, entry(max_level=2)]})
    result = slsa_level(read("good-unknown-builder.json"), CHAINS_SIGNER, ACME_OIDC, {}, higher)
    assert result.entry == higher.builders[1]


def test_an_entry_granting_less_than_the_hosted_rule() -> None:
    trust_map = TrustMap.model_validate(
        {
            "builders": [
                entry(
                    builder_id=RELEASE_WORKFLOW,
                    signer={"issuer": GITHUB_ACTIONS_ISSUER, "subject": RELEASE_WORKFLOW},
                    max_level=1,
                )
            ]
        }
    )
    result = slsa_level(
        read("good-attest-build-provenance.json"),
        RELEASE_WORKFLOW,
        GITHUB_ACTIONS_ISSUER,
        HOSTED,
        trust_map,
    )
    assert result.level == 2
    assert result.entry == trust_map.builders[0]


GITLAB_PIPELINE = "https://gitlab.com/acme/payments//.gitlab-ci.yml@refs/tags/v1.4.0"


@pytest.mark.parametrize(
    ("issuer", "runner", "level", "why"),
    [
        pytest.param(GITLAB_ISSUER, "gitlab-hosted", 2, "hosted-builder", id="gitlab-com-hosted"),
        pytest.param(GITLAB_ISSUER, "self-hosted", 1, "self-hosted-runner", id="gitlab-com-own"),
        pytest.param(GITLAB_ISSUER, None, 1, "runner-unknown", id="gitlab-com-unstated"),
        pytest.param(GITLAB_ISSUER, "github-hosted", 1, "self-hosted-runner", id="crossed"),
        pytest.param(
            "https://gitlab.acme.example", "gitlab-hosted", 1, "not-hosted", id="self-managed"
        ),
    ],
)
def test_gitlab_coms_own_runners_are_a_hosted_build_platform(
    issuer: str, runner: str | None, level: int, why: str
) -> None:
    claims = {} if runner is None else {"runner_environment": runner}
    result = slsa_level(read("good-unknown-builder.json"), GITLAB_PIPELINE, issuer, claims)
    assert result.level == level
    assert why in slugs(result.reasons)


def test_a_self_managed_gitlabs_runners_are_trusted_by_a_trust_map_entry() -> None:
    issuer = "https://gitlab.acme.example"
    trust_map = TrustMap.model_validate(
        {
            "builders": [
                entry(
                    signer={
                        "issuer": issuer,
                        "subject_regex": r"https://gitlab\.acme\.example/acme/payments//.+",
                        "runner_environment": "gitlab-hosted",
                    },
                    max_level=2,
                )
            ]
        }
    )
    provenance = read("good-unknown-builder.json")
    hosted = {"runner_environment": "gitlab-hosted"}
    pipeline = GITLAB_PIPELINE.replace("gitlab.com", "gitlab.acme.example")
    assert slsa_level(provenance, pipeline, issuer, hosted, trust_map).level == 2
    own = {"runner_environment": "self-hosted"}
    assert slsa_level(provenance, pipeline, issuer, own, trust_map).level == 1


def test_source_findings_do_not_change_the_level() -> None:
    provenance = read("bad-source-disagreement.json")
    assert provenance.source is None
    assert slsa_level(provenance, RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER, HOSTED).level == 2


# --- properties -----------------------------------------------------------------------------------

BUILDER_IDS = [
    RUNNER_BUILDER,
    "https://github.com/actions/runner/self-hosted",
    GO_BUILDER,
    GENERIC_GENERATOR,
    RELEASE_WORKFLOW,
    CHAINS,
    CHAINS + "/v2",
]
SIGNERS = [
    (RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER),
    (MALLORY_WORKFLOW, GITHUB_ACTIONS_ISSUER),
    (GO_BUILDER, GITHUB_ACTIONS_ISSUER),
    (GENERIC_GENERATOR, GITHUB_ACTIONS_ISSUER),
    (CHAINS_SIGNER, ACME_OIDC),
    ("release@acme.example", GOOGLE),
]
RUNNERS = [{"runner_environment": "github-hosted"}, {"runner_environment": "self-hosted"}, {}]
ENTRIES = [
    *DEFAULT_TRUST_MAP.builders,
    TrustedBuilder.model_validate(entry()),
    TrustedBuilder.model_validate(entry(max_level=1)),
    TrustedBuilder.model_validate(entry(builder_id=CHAINS + "/", match="prefix", max_level=2)),
    TrustedBuilder.model_validate(
        entry(
            builder_id=RELEASE_WORKFLOW,
            signer={"issuer": GITHUB_ACTIONS_ISSUER, "subject": RELEASE_WORKFLOW},
            max_level=3,
        )
    ),
    TrustedBuilder.model_validate(
        entry(
            builder_id=ACME + "/",
            match="prefix",
            signer={
                "issuer": GITHUB_ACTIONS_ISSUER,
                "subject_regex": r"https://github\.com/acme/.+",
            },
            builder_is_signer=True,
            max_level=3,
        )
    ),
]


def with_builder(builder_id: str) -> Provenance:
    document = statement("good-unknown-builder.json")
    document["predicate"]["runDetails"]["builder"]["id"] = builder_id
    provenance = provenance_from_statement(document, {})
    assert provenance is not None
    return provenance


@settings(max_examples=500)
@given(
    st.sampled_from(BUILDER_IDS),
    st.sampled_from(SIGNERS),
    st.sampled_from(RUNNERS),
    st.lists(st.sampled_from(ENTRIES), max_size=5, unique=True),
)
def test_level_invariants(
    builder_id: str,
    signer: tuple[str, str],
    claims: dict[str, str],
    entries: list[TrustedBuilder],
) -> None:
    subject, issuer = signer
    trust_map = TrustMap(builders=tuple(entries))
    result = slsa_level(with_builder(builder_id), subject, issuer, claims, trust_map)

    for_builder = [e for e in entries if e.matches_builder(builder_id)]
    vouching = [e for e in for_builder if e.refusal(builder_id, subject, issuer, claims) is None]
    hosted = issuer == GITHUB_ACTIONS_ISSUER and claims.get("runner_environment") == "github-hosted"

    assert 1 <= result.level <= 3
    assert all(REASON.fullmatch(reason) for reason in result.reasons)
    if for_builder and not vouching:
        # A trusted builder id signed by someone else: no level from it, nor from anything.
        assert (result.level, result.entry) == (1, None)
        assert "spoofed-builder" in slugs(result.reasons)
        return
    best = max((e.max_level for e in vouching), default=1)
    assert result.level == max(best, 2 if hosted else 1)
    if vouching:
        assert result.entry in vouching
        assert result.entry is not None
        assert result.entry.max_level == best
    else:
        assert result.entry is None
    if result.level == 3:
        assert result.entry is not None
        assert result.entry.matches_builder(builder_id)
        assert result.entry.refusal(builder_id, subject, issuer, claims) is None
    assert result.builder_id == builder_id
