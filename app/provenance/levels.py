"""The SLSA Build level of a provenance, graded with the trust map. Pure.

The trust map (``app.policy.builders``) names each trusted builder by its
builder id **and** by the identity that must have signed its provenance, since a
builder id is self-declared. A provenance that names a trusted builder id but was
signed by anyone else gets no level from that builder.

``slsa_level`` grades one verified provenance:

* **L0**: no provenance.
* **L1**: provenance is present (and its signature verified).
* **L2**: provenance signed by a hosted build platform: the GitHub Actions issuer
  with the certificate's Runner Environment claim (1.3.6.1.4.1.57264.1.11)
  ``github-hosted``, or GitLab.com's issuer with ``gitlab-hosted``; or a
  trust-map entry granting 2 or more matches the builder id and the signer (a
  self-managed GitLab's hosted runners, for instance).
* **L3**: a trust-map entry granting 3 matches both the builder id and the signer.

The entry that vouches is the matching one granting the highest level, a
rebuilder before another granting as much (its ``rebuilder`` flag and
``trust_domain`` go with the check, for reproducibility), the first of equals.

A provenance whose builder id matches an entry but whose signer matches none of
the entries for that builder id is held to **L1**, whatever else is true of it:
it names a builder that did not sign it. Findings of the provenance record
(a source disagreement, say) do not change the level; the source binding
checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from app.policy.builders import (
    DEFAULT_TRUST_MAP,
    HOSTED_RUNNER,
    TrustedBuilder,
    TrustMap,
    quoted,
)
from app.policy.identities import GITHUB_ACTIONS_ISSUER, GITLAB_ISSUER
from app.provenance.slsa import Provenance

# Hosted build platforms: issuer -> (the runner environment of their own runners, name).
HOSTED_PLATFORMS: Final = {
    GITHUB_ACTIONS_ISSUER: (HOSTED_RUNNER, "GitHub Actions"),
    GITLAB_ISSUER: ("gitlab-hosted", "GitLab.com"),
}


@dataclass(frozen=True, slots=True)
class LevelResult:
    """The SLSA Build level of one provenance, the builder and entry it rests on, and why."""

    level: int  # 0..3
    builder_id: str | None
    entry: TrustedBuilder | None  # the trust-map entry that vouched, if any
    reasons: tuple[str, ...]


def _hosted(issuer: str, claims: Mapping[str, str]) -> tuple[bool, str]:
    """Whether the signer is a hosted build platform, and the reason saying so."""
    platform = HOSTED_PLATFORMS.get(issuer)
    if platform is None:
        return False, (
            f"not-hosted: the signer's issuer {quoted(issuer)} is not a hosted build platform "
            "attestd recognises (GitHub Actions, GitLab.com)"
        )
    hosted, name = platform
    runner = claims.get("runner_environment")
    if runner == hosted:
        return True, f"hosted-builder: signed by {name} on a {hosted} runner"
    if runner is None:
        return False, (
            "runner-unknown: the certificate has no runner environment claim, so the build "
            f"is not shown to have run on a {hosted} runner"
        )
    return False, (
        f"self-hosted-runner: the certificate says the job ran on a {quoted(runner)} runner, "
        f"not a {hosted} one"
    )


def slsa_level(
    provenance: Provenance | None,
    signer_subject: str,
    signer_issuer: str,
    claims: Mapping[str, str],
    trust_map: TrustMap = DEFAULT_TRUST_MAP,
) -> LevelResult:
    """The SLSA Build level (0-3) of ``provenance``, verified as signed by the given signer."""
    if provenance is None:
        return LevelResult(0, None, None, ("no-provenance: no SLSA provenance: Build L0",))
    builder_id = provenance.builder_id
    reasons = [
        f"provenance-present: SLSA provenance {provenance.slsa_version} from builder "
        f"{quoted(builder_id)}: at least Build L1"
    ]
    vouching: tuple[int, TrustedBuilder] | None = None
    refused: list[tuple[int, TrustedBuilder, str]] = []
    for index, entry in enumerate(trust_map.builders):
        if not entry.matches_builder(builder_id):
            continue
        refusal = entry.refusal(builder_id, signer_subject, signer_issuer, claims)
        if refusal is not None:
            refused.append((index, entry, refusal))
        elif vouching is None or (entry.max_level, entry.rebuilder) > (
            vouching[1].max_level,
            vouching[1].rebuilder,
        ):
            vouching = (index, entry)

    if vouching is None and refused:
        reasons.extend(
            f"builder-signer-mismatch: builder id {quoted(builder_id)} is trusted (trust map "
            f"entry {index}) only when signed by {entry.signer.describe()}"
            f"{', as itself' if entry.builder_is_signer else ''}, but {refusal}: no level "
            "from that builder (builder ids are self-declared)"
            for index, entry, refusal in refused
        )
        reasons.append(
            "spoofed-builder: a provenance naming a builder that did not sign it is held to "
            "Build L1"
        )
        return LevelResult(1, builder_id, None, tuple(reasons))

    level = 1
    if vouching is None:
        reasons.append(
            f"untrusted-builder: builder id {quoted(builder_id)} is in no trust map entry"
        )
    else:
        index, entry = vouching
        level = entry.max_level
        named = f" ({entry.description})" if entry.description else ""
        reasons.append(
            f"trusted-builder: builder id and signer match trust map entry {index}{named}, "
            f"which vouches for up to Build L{entry.max_level}"
        )
    hosted, why = _hosted(signer_issuer, claims)
    reasons.append(why)
    if hosted and level < 2:
        level = 2
    reasons.append(f"build-level: Build L{level}")
    return LevelResult(level, builder_id, None if vouching is None else vouching[1], tuple(reasons))
