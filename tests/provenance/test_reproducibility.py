"""Reproducibility from builds, pure: which builds count, their trust domains, the quorum."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.policy.identities import GITHUB_ACTIONS_ISSUER
from app.provenance.reproducibility import BuildClaim, refusal, reproducibility
from tests.provenance.statements import GO_BUILDER, GOOGLE, RELEASE_WORKFLOW, github_claims

DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
HOSTED = "https://github.com/actions/runner/github-hosted"
REBUILDER = "https://rebuild.example/reproducer"
ACME = "https://github.com/acme"


def github(workflow: str = "release.yml", *, n: int = 1, level: int = 2, **fields) -> BuildClaim:
    """A build of acme/payments by one of its workflows."""
    subject = f"{ACME}/payments/.github/workflows/{workflow}@refs/tags/v1.4.0"
    return build(subject, GITHUB_ACTIONS_ISSUER, n=n, level=level, claims=github_claims(), **fields)


def rebuild(worker: str = "1", *, n: int = 2, domain: str = "rebuild-service", **fields):
    """A build by a rebuild service with its own OIDC issuer, trusted as a rebuilder."""
    return build(
        f"https://rebuild.example/workers/{worker}",
        "https://oidc.rebuild.example",
        n=n,
        level=1,
        builder_id=REBUILDER,
        rebuilder=True,
        trust_domain=domain,
        **fields,
    )


def build(subject: str, issuer: str, *, n: int, level: int, **fields) -> BuildClaim:
    claim = BuildClaim(
        digest=DIGEST,
        builder_id=HOSTED,
        attestation_id=n,
        signer_subject=subject,
        signer_issuer=issuer,
        verified=True,
        source_bound=True,
        slsa_level=level,
    )
    return dataclasses.replace(claim, **fields)


def slug(reason: str) -> str:
    return reason.split(":", 1)[0]


# --- which builds count -----------------------------------------------------------------------

NOT_COUNTED = {
    "unverified": github(verified=False),
    "not-source-bound": github(source_bound=False),
    "person-identity": build(
        "alice@acme.example", GOOGLE, n=1, level=2, rebuilder=True, trust_domain="alice"
    ),
    "not-a-rebuilder": github("rebuild.yml", level=1, builder_id=HOSTED + "-self"),
}


@pytest.mark.parametrize("expected", sorted(NOT_COUNTED))
def test_a_build_that_does_not_count_says_why(expected: str) -> None:
    refused = NOT_COUNTED[expected]
    assert slug(refusal(refused) or "") == expected
    found = reproducibility([refused, rebuild()], quorum=1)
    assert [s.build for s in found.not_counted] == [refused]
    assert [slug(s.reason) for s in found.not_counted] == [expected]
    assert found.not_counted[0].trust_domain is None
    assert found.trust_domains == ("rebuild-service",)


@pytest.mark.parametrize(
    "counted",
    [github(level=2), github(level=3), rebuild()],
    ids=["build-l2", "build-l3", "rebuilder-l1"],
)
def test_a_rebuilder_or_a_builder_of_l2_or_above_counts(counted: BuildClaim) -> None:
    assert refusal(counted) is None


# --- trust domains and the quorum -------------------------------------------------------------


def test_two_workflows_of_one_repository_are_one_domain() -> None:
    found = reproducibility(
        [github(n=1), github("rebuild.yml", n=2), github(n=3, builder_id=GO_BUILDER, level=3)],
        quorum=2,
    )
    assert (found.status, found.independent_builders, found.trust_domains) == (
        "unverified",
        1,
        (ACME,),
    )
    assert [slug(s.reason) for s in found.builds] == ["counted", "same-domain-as", "same-domain-as"]
    assert found.builds[1].reason.startswith(
        f"same-domain-as: attestation 1 (trust domain '{ACME}'): repository owner '{ACME}'"
    )
    assert found.reasons == (
        f"quorum-not-met: 1 trust domain ('{ACME}') of the 2 needed attest {DIGEST}",
    )


def test_a_rebuilder_of_another_domain_meets_the_quorum() -> None:
    found = reproducibility([github(n=1), rebuild(n=2)], quorum=2)
    assert (found.status, found.trust_domains) == ("reproducible", (ACME, "rebuild-service"))
    assert [s.trust_domain for s in found.builds] == [ACME, "rebuild-service"]
    assert found.reasons[0].startswith("quorum-met: 2 trust domains")


def test_a_domain_named_by_the_trust_map_cannot_split_an_owner() -> None:
    """acme's own self-hosted workflow, trusted as a rebuilder 'of another domain', is acme's."""
    own = github("rebuild.yml", n=2, level=1, rebuilder=True, trust_domain="independent")
    found = reproducibility([github(n=1), own], quorum=2)
    assert found.status == "unverified"
    assert [s.trust_domain for s in found.builds] == ["independent", "independent"]
    assert slug(found.builds[1].reason) == "same-domain-as"


def test_one_domain_named_twice_is_one_domain() -> None:
    found = reproducibility(
        [github(n=1), rebuild("1", n=2), rebuild("2", n=3, signer_issuer="https://other.example")],
        quorum=3,
    )
    assert found.trust_domains == (ACME, "rebuild-service")
    assert "trust domain 'rebuild-service' named by the trust map" in found.builds[2].reason


def test_a_mismatch_is_only_between_counted_builds() -> None:
    untrusted = github("rebuild.yml", n=3, level=1, digest=OTHER)
    found = reproducibility([github(n=1), rebuild(n=2), untrusted], quorum=2)
    assert found.status == "reproducible"

    disagreeing = reproducibility([github(n=1), rebuild(n=2, digest=OTHER)], quorum=2)
    assert (disagreeing.status, disagreeing.trust_domains) == ("mismatch", ())
    assert [slug(reason) for reason in disagreeing.reasons] == ["digest-mismatch"] * 2
    assert "trust domain 'rebuild-service'" in disagreeing.reasons[1]


def test_no_builds_and_no_counted_builds_are_unverified() -> None:
    assert reproducibility([], quorum=1).reasons == ("no-builds: no provenance of this release",)
    found = reproducibility([github(verified=False)], quorum=1)
    assert (found.status, found.builds) == ("unverified", ())
    assert slug(found.reasons[0]) == "quorum-not-met"


def test_domains_are_joined_through_a_later_build() -> None:
    """Builds 1 and 2 share nothing; build 3 shares a key with each, so all three are one."""
    first = rebuild("1", n=1, domain="alpha")
    second = build(RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER, n=2, level=2, claims=github_claims())
    bridge = dataclasses.replace(second, attestation_id=3, trust_domain="alpha")
    assert reproducibility([first, second], quorum=2).status == "reproducible"
    found = reproducibility([first, second, bridge], quorum=2)
    assert (found.status, found.trust_domains) == ("unverified", ("alpha",))
    assert "as attestation 3" in found.builds[1].reason


# Signers: (subject, issuer, owner claim or None, declared domain or None)
SIGNERS = [
    (RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER, ACME, None),
    (RELEASE_WORKFLOW.replace("release", "rebuild"), GITHUB_ACTIONS_ISSUER, ACME, "d1"),
    (
        "https://github.com/other/x/.github/workflows/a.yml@refs/tags/v1",
        GITHUB_ACTIONS_ISSUER,
        "https://github.com/other",
        None,
    ),
    ("https://rebuild.example/w/1", "https://oidc.rebuild.example", None, "d1"),
    ("https://rebuild.example/w/2", "https://oidc.rebuild.example", None, "d2"),
    ("https://third.example/w", "https://third.example", None, "d3"),
]


def _claim(n: int, signer: int) -> BuildClaim:
    subject, issuer, owner, declared = SIGNERS[signer]
    claims = {} if owner is None else {"source_repository_owner_uri": owner}
    return build(subject, issuer, n=n, level=2, claims=claims, trust_domain=declared)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(SIGNERS) - 1), min_size=1, max_size=6))
def test_the_domains_do_not_depend_on_arrival_order(signers: list[int]) -> None:
    builds = [_claim(n, signer) for n, signer in enumerate(signers)]
    counts = set()
    for order in itertools.islice(itertools.permutations(range(len(builds))), 24):
        renumbered = [
            dataclasses.replace(builds[index], attestation_id=n) for n, index in enumerate(order)
        ]
        counts.add(reproducibility(renumbered, quorum=1).independent_builders)
    assert len(counts) == 1
