"""Whether a provenance was built from the service's own source, at an allowed ref. Pure.

The source a provenance names (read by ``app.provenance.slsa`` from its build
parameters, its resolved dependencies and the signing certificate, which must
agree) must be the service's repository, compared in canonical form, and its
ref must match the service's release refs: tags by default
(``DEFAULT_RELEASE_REFS``). A provenance that fails is still valid evidence of
something (a fork's build, a branch build) and is kept; the check fails with the
reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.policy.document import DEFAULT_RELEASE_REFS
from app.provenance.slsa import Provenance, canonical_repository


@dataclass(frozen=True, slots=True)
class SourceBinding:
    bound: bool
    reasons: tuple[str, ...]  # "slug: text"


def source_binding(
    provenance: Provenance, service_repository: str, release_refs: str = DEFAULT_RELEASE_REFS
) -> SourceBinding:
    """Does ``provenance`` name ``service_repository`` and a ref matching ``release_refs``?"""
    source = provenance.source
    if source is None or source.repository is None:
        disagreements = [f for f in provenance.findings if f.startswith("source-disagreement")]
        why = (
            "the places that name the source disagree"
            if disagreements
            else "the provenance names no source repository"
        )
        return SourceBinding(bound=False, reasons=(f"source-unknown: {why}", *disagreements))

    reasons: list[str] = []
    expected = _canonical(service_repository)
    if source.repository != expected:
        reasons.append(
            f"source-repository-mismatch: built from {source.repository}, not the service's "
            f"repository {expected}"
        )
    if source.ref is None:
        reasons.append("source-ref-unknown: the provenance names no source ref")
    elif re.fullmatch(release_refs, source.ref) is None:
        reasons.append(
            f"source-ref-not-allowed: built from {source.ref}, which does not match the "
            f"service's release refs {release_refs!r}"
        )
    if reasons:
        return SourceBinding(bound=False, reasons=tuple(reasons))
    commit = f" ({source.commit})" if source.commit else ""
    return SourceBinding(
        bound=True,
        reasons=(f"source-bound: built from {source.repository} at {source.ref}{commit}",),
    )


def _canonical(repository: str) -> str:
    try:
        return canonical_repository(repository)
    except ValueError:
        # Stored service repositories are normalised already; compare as stored.
        return repository
