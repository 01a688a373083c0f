"""Whether independent builders agree on a release. Pure.

A release is a service's artifact name at a version. Each verified provenance
bound to the service's source says which digest one builder produced for it.
Builders are independent when they differ in builder id **and** in signer: one
builder signing twice, or two builder ids under one signing identity, is one
voice. The release is:

* ``mismatch`` when verified provenances name different digests for it (every
  builder and digest is listed);
* ``reproducible`` when at least ``quorum`` independent builders attest the one
  digest;
* ``unverified`` otherwise.

The number of independent builders is a maximum matching between builder ids
and signers (a builder id and a signer each count once), so the order in which
evidence arrived does not change it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["reproducible", "mismatch", "unverified"]


@dataclass(frozen=True, slots=True)
class BuildClaim:
    """One verified, source-bound provenance of a release: who built which digest."""

    digest: str
    builder_id: str
    signer: str  # "subject (issuer)"
    attestation_id: int


@dataclass(frozen=True, slots=True)
class Reproducibility:
    status: Status
    quorum: int
    independent_builders: int
    builds: tuple[BuildClaim, ...]
    reasons: tuple[str, ...]


def independent_builders(builds: Iterable[BuildClaim]) -> int:
    """The most builds no two of which share a builder id or a signer."""
    signers_of: dict[str, set[str]] = {}
    for build in builds:
        signers_of.setdefault(build.builder_id, set()).add(build.signer)
    matched_to: dict[str, str] = {}  # signer -> builder id

    def assign(builder_id: str, seen: set[str]) -> bool:
        for signer in sorted(signers_of[builder_id]):
            if signer in seen:
                continue
            seen.add(signer)
            holder = matched_to.get(signer)
            if holder is None or assign(holder, seen):
                matched_to[signer] = builder_id
                return True
        return False

    return sum(1 for builder_id in sorted(signers_of) if assign(builder_id, set()))


def reproducibility(builds: Sequence[BuildClaim], quorum: int) -> Reproducibility:
    """The status of a release from its verified, source-bound builds."""
    ordered = tuple(sorted(builds, key=lambda b: b.attestation_id))
    digests = sorted({build.digest for build in ordered})
    if len(digests) > 1:
        reasons = tuple(
            f"digest-mismatch: {build.builder_id} signed by {build.signer} built "
            f"{build.digest} (attestation {build.attestation_id})"
            for build in ordered
        )
        return Reproducibility("mismatch", quorum, 0, ordered, reasons)
    count = independent_builders(ordered)
    if not ordered:
        return Reproducibility(
            "unverified", quorum, 0, (), ("no-builds: no verified provenance bound to the source",)
        )
    if count >= quorum:
        reason = (
            f"quorum-met: {count} independent builders (different builder id and signer) "
            f"attest {digests[0]}; the quorum is {quorum}"
        )
        return Reproducibility("reproducible", quorum, count, ordered, (reason,))
    reason = (
        f"quorum-not-met: {count} independent builder{'s' if count != 1 else ''} of the "
        f"{quorum} needed attest {digests[0]}"
    )
    return Reproducibility("unverified", quorum, count, ordered, (reason,))
