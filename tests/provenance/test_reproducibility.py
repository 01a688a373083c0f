"""Reproducibility from builds, pure: independence is a matching, any disagreement a mismatch."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.provenance.reproducibility import BuildClaim, independent_builders, reproducibility

DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def build(builder: str, signer: str, digest: str = DIGEST, n: int = 1) -> BuildClaim:
    return BuildClaim(digest=digest, builder_id=builder, signer=signer, attestation_id=n)


def test_one_builder_signing_twice_is_one_voice() -> None:
    found = reproducibility([build("A", "x", n=1), build("A", "x", n=2)], quorum=2)
    assert (found.status, found.independent_builders) == ("unverified", 1)


@pytest.mark.parametrize(
    "builds",
    [
        [build("A", "x"), build("B", "x")],  # two builder ids under one signer
        [build("A", "x"), build("A", "y")],  # one builder id, two signers
    ],
    ids=["shared-signer", "shared-builder"],
)
def test_sharing_a_builder_id_or_a_signer_is_not_independent(builds) -> None:
    assert reproducibility(builds, quorum=2).status == "unverified"


def test_two_independent_builders_meet_a_quorum_of_two() -> None:
    found = reproducibility([build("A", "x", n=1), build("B", "y", n=2)], quorum=2)
    assert (found.status, found.independent_builders) == ("reproducible", 2)
    assert found.reasons[0].startswith("quorum-met: 2 independent builders")


def test_the_count_does_not_depend_on_arrival_order() -> None:
    """A greedy count would take (A, x) first and then find neither (A, y) nor (B, x) free."""
    builds = [build("A", "x"), build("A", "y"), build("B", "x")]
    for order in itertools.permutations(builds):
        assert independent_builders(order) == 2


def test_different_digests_are_a_mismatch_naming_every_build() -> None:
    found = reproducibility(
        [build("A", "x", DIGEST, 1), build("B", "y", OTHER, 2), build("C", "z", DIGEST, 3)],
        quorum=2,
    )
    assert found.status == "mismatch"
    assert [b.attestation_id for b in found.builds] == [1, 2, 3]
    assert all(reason.startswith("digest-mismatch: ") for reason in found.reasons)
    assert any(OTHER in reason for reason in found.reasons)


def test_no_builds_are_unverified() -> None:
    found = reproducibility([], quorum=2)
    assert (found.status, found.independent_builders, found.builds) == ("unverified", 0, ())


def _exact(builds: list[BuildClaim]) -> int:
    """Brute force: the largest subset with distinct builder ids and distinct signers."""
    pairs = sorted({(b.builder_id, b.signer) for b in builds})
    for size in range(len(pairs), 0, -1):
        for subset in itertools.combinations(pairs, size):
            if len({p[0] for p in subset}) == size and len({p[1] for p in subset}) == size:
                return size
    return 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from("wxyz")), min_size=0, max_size=7)
)
def test_the_matching_is_maximum(pairs: list[tuple[str, str]]) -> None:
    builds = [build(builder, signer, n=n) for n, (builder, signer) in enumerate(pairs)]
    assert independent_builders(builds) == _exact(builds)
