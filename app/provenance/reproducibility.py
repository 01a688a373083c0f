"""Whether builds from enough distinct trust domains agree on a release. Pure.

A release is a service's artifact name at a version. Each provenance of it says
which digest one builder produced. A build **counts** when, in this order:

* its attestation verified (else ``unverified``);
* it is bound to the service's source at a release ref (else ``not-source-bound``);
* its signer is not a person (else ``person-identity``, ``app.provenance.domains``);
* a trust-map entry marked ``rebuilder`` vouched for it, or it reached Build L2 or
  above (else ``not-a-rebuilder``): a workflow on the project's own self-hosted
  runner is no independent rebuild.

Each counted build is in a **trust domain**: the one its trust-map entry names,
joined with every other counted build whose signer shares a repository, an
owner or an owner-less issuer with it (``app.provenance.domains``). The first
build of a domain says ``counted``, every later one ``same-domain-as`` and what
joins them. The release is:

* ``mismatch`` when counted builds name different digests (every one is listed);
* ``reproducible`` when at least ``quorum`` trust domains attest the one digest;
* ``unverified`` otherwise.

Domains are the connected groups of builds that share a key, so the order in
which evidence arrived does not change how many there are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.policy.builders import quoted
from app.provenance.domains import is_person, shared_key, signer_domain

Status = Literal["reproducible", "mismatch", "unverified"]


@dataclass(frozen=True, slots=True)
class BuildClaim:
    """One provenance of a release as last checked: who built which digest, and who vouched."""

    digest: str
    builder_id: str
    attestation_id: int
    signer_subject: str
    signer_issuer: str
    verified: bool
    source_bound: bool
    slsa_level: int
    rebuilder: bool = False  # the trust-map entry that vouched is a rebuilder
    trust_domain: str | None = None  # the domain that entry names
    claims: Mapping[str, str] = field(default_factory=dict, hash=False)  # Fulcio claims

    @property
    def signer(self) -> str:
        return f"{self.signer_subject} ({self.signer_issuer})"


@dataclass(frozen=True, slots=True)
class Standing:
    """How one build took part: the trust domain it counted for, or why it did not count."""

    build: BuildClaim
    trust_domain: str | None  # None: not counted
    reason: str  # "slug: text"


@dataclass(frozen=True, slots=True)
class Reproducibility:
    status: Status
    quorum: int
    trust_domains: tuple[str, ...]  # the domains agreeing on the one digest
    builds: tuple[Standing, ...]  # counted, oldest first
    not_counted: tuple[Standing, ...]
    reasons: tuple[str, ...]

    @property
    def independent_builders(self) -> int:
        return len(self.trust_domains)


def refusal(build: BuildClaim) -> str | None:
    """Why ``build`` does not count towards reproducibility; None when it does."""
    if not build.verified:
        return "unverified: its attestation did not verify when last checked"
    if not build.source_bound:
        return "not-source-bound: not built from the service's repository at a release ref"
    if is_person(build.signer_subject, build.signer_issuer):
        return (
            f"person-identity: signed by {quoted(build.signer_subject)}, a person's account "
            f"at {quoted(build.signer_issuer)}; only workloads count"
        )
    if not build.rebuilder and build.slsa_level < 2:
        return (
            f"not-a-rebuilder: Build L{build.slsa_level} from {quoted(build.builder_id)}, and "
            "no trust-map entry marked rebuilder vouched for it"
        )
    return None


def trust_domains(counted: Sequence[BuildClaim]) -> list[Standing]:
    """Each counted build with its trust domain: the group of builds it shares keys with."""
    signers = [
        signer_domain(b.signer_subject, b.signer_issuer, b.claims, b.trust_domain) for b in counted
    ]
    group = list(range(len(counted)))  # union-find; a group's root is its oldest build

    def root(index: int) -> int:
        while group[index] != index:
            group[index] = group[group[index]]
            index = group[index]
        return index

    for later in range(len(counted)):
        for earlier in range(later):
            if shared_key(signers[earlier], signers[later]) is not None:
                first, second = sorted((root(earlier), root(later)))
                group[second] = first
    names: dict[int, str] = {}
    for index, build in enumerate(counted):  # the oldest domain a trust-map entry names
        if build.trust_domain is not None:
            names.setdefault(root(index), build.trust_domain)
    standings = []
    for index, build in enumerate(counted):
        oldest = root(index)
        name = names.setdefault(oldest, signers[oldest].name)
        if oldest == index:
            reason = f"counted: the first build of trust domain {quoted(name)}"
        else:
            other, key = next(
                (other, key)
                for other in range(len(counted))
                if other != index and (key := shared_key(signers[other], signers[index]))
            )
            reason = (
                f"same-domain-as: attestation {counted[oldest].attestation_id} (trust domain "
                f"{quoted(name)}): {key.describe()}, as attestation {counted[other].attestation_id}"
            )
        standings.append(Standing(build, name, reason))
    return standings


def reproducibility(builds: Sequence[BuildClaim], quorum: int) -> Reproducibility:
    """The status of a release from the last checks of its builds."""
    ordered = sorted(builds, key=lambda b: b.attestation_id)
    refused = [(build, refusal(build)) for build in ordered]
    not_counted = tuple(Standing(build, None, why) for build, why in refused if why is not None)
    counted = tuple(trust_domains([build for build, why in refused if why is None]))
    digests = sorted({standing.build.digest for standing in counted})
    if len(digests) > 1:
        reasons = tuple(
            f"digest-mismatch: {s.build.builder_id} signed by {s.build.signer} built "
            f"{s.build.digest} (attestation {s.build.attestation_id}, trust domain "
            f"{quoted(s.trust_domain or '')})"
            for s in counted
        )
        return Reproducibility("mismatch", quorum, (), counted, not_counted, reasons)
    domains = tuple(dict.fromkeys(s.trust_domain for s in counted if s.trust_domain))
    if not ordered:
        reason = "no-builds: no provenance of this release"
    elif not counted:
        reason = "quorum-not-met: no build counts towards reproducibility (see not_counted)"
    else:
        agreeing = (
            f"{len(domains)} trust domain{'s' if len(domains) != 1 else ''} "
            f"({', '.join(map(quoted, domains))})"
        )
        if len(domains) >= quorum:
            reason = f"quorum-met: {agreeing} attest {digests[0]}; the quorum is {quorum}"
        else:
            reason = f"quorum-not-met: {agreeing} of the {quorum} needed attest {digests[0]}"
    status: Status = "reproducible" if counted and len(domains) >= quorum else "unverified"
    return Reproducibility(status, quorum, domains, counted, not_counted, (reason,))
