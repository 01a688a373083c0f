"""Whether a provenance was built from the service's own source, at an allowed ref. Pure.

The source a provenance names (read by ``app.provenance.slsa`` from its build
parameters, its resolved dependencies and the signing certificate, which must
agree) must be the service's repository, compared in canonical form, and its
ref must match the service's release refs: tags by default
(``DEFAULT_RELEASE_REFS``). A provenance that fails is still valid evidence of
something (a fork's build, a branch build) and is kept; the check fails with the
reasons.

**The run, checked against the certificate.** Whoever runs a job can write
anything into the provenance it signs; the Fulcio claims are what GitHub said
about the run. So, as slsa-verifier does for GitHub Actions, a provenance of a
GitHub build type (``Provenance.build_type_known``) is bound only when what it
says of its run agrees with the certificate that signed it
(``certificate_mismatches``):

===========================  =========================================================
provenance                   certificate claim
===========================  =========================================================
workflow path                the path in Build Config URI (1.18)
                             ``https://github.com/OWNER/REPO/PATH@REF``
invocation id                Run Invocation URI (1.21), or its ``RUN-ATTEMPT`` (v0.2)
trigger (``event_name``)     Build Trigger (1.20) and GitHub Workflow Trigger (1.2)
builder id, when it is a     Build Signer URI (1.9): the reusable workflow that
GitHub workflow              signed (slsa-github-generator, current
                             ``actions/attest-build-provenance``)
===========================  =========================================================

A value the provenance does not state is not checked. A value it states that
the certificate contradicts is a ``certificate-mismatch``; one the certificate
says nothing about is ``certificate-unconfirmed`` (a person's certificate
signing GitHub-shaped provenance, say). Either fails the binding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from app.policy.builders import quoted
from app.policy.document import DEFAULT_RELEASE_REFS
from app.provenance.slsa import Provenance, canonical_repository

_GITHUB = "https://github.com/"
_GITHUB_WORKFLOW: Final = re.compile(
    r"https://github\.com/[^/@]+/[^/@]+/\.github/workflows/[^@]+@.+"
)
_RUN_INVOCATION: Final = re.compile(r"https://[^\s]+/actions/runs/(\d+)/attempts/(\d+)")


@dataclass(frozen=True, slots=True)
class SourceBinding:
    bound: bool
    reasons: tuple[str, ...]  # "slug: text"


def source_binding(
    provenance: Provenance,
    service_repository: str,
    release_refs: str = DEFAULT_RELEASE_REFS,
    *,
    claims: Mapping[str, str],
) -> SourceBinding:
    """Does ``provenance`` name ``service_repository`` and a ref matching ``release_refs``,
    and does the certificate with ``claims`` confirm what it says of its run?"""
    mismatches = certificate_mismatches(provenance, claims)
    source = provenance.source
    if source is None or source.repository is None:
        disagreements = [f for f in provenance.findings if f.startswith("source-disagreement")]
        why = (
            "the places that name the source disagree"
            if disagreements
            else "the provenance names no source repository"
        )
        return SourceBinding(
            bound=False, reasons=(f"source-unknown: {why}", *disagreements, *mismatches)
        )

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
    reasons.extend(mismatches)
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


def certificate_mismatches(provenance: Provenance, claims: Mapping[str, str]) -> tuple[str, ...]:
    """What a GitHub-type provenance says of its run that the certificate does not confirm."""
    if not provenance.build_type_known:
        return ()
    builder = provenance.builder_id
    compared = (
        ("workflow path", provenance.entry_point, "Build Config URI (1.18)",
         _workflow_path(claims.get("build_config_uri"))),
        ("invocation id", provenance.invocation_id, "Run Invocation URI (1.21)",
         _invocation_ids(claims.get("run_invocation_uri"))),
        ("trigger", provenance.trigger, "Build Trigger (1.20)",
         _trigger(claims.get("build_trigger"), claims.get("github_workflow_trigger"))),
        ("builder id", builder if _GITHUB_WORKFLOW.fullmatch(builder) else None,
         "Build Signer URI (1.9)", _one(claims.get("build_signer_uri"))),
    )  # fmt: skip
    found: list[str] = []
    for what, stated, claim, confirmed in compared:
        if stated is None:
            continue
        if confirmed is None:
            found.append(
                f"certificate-unconfirmed: the provenance's {what} {quoted(stated)} is not "
                f"confirmed: the certificate has no {claim}"
            )
        elif stated not in confirmed:
            found.append(
                f"certificate-mismatch: the provenance's {what} {quoted(stated)} is not what "
                f"the certificate's {claim} says"
            )
    return tuple(found)


# Each helper gives the values a claim confirms: None when the certificate lacks the claim,
# an empty set when it has one that confirms nothing.


def _one(value: str | None) -> frozenset[str] | None:
    return None if value is None else frozenset({value})


def _workflow_path(build_config: str | None) -> frozenset[str] | None:
    """The workflow file of ``https://github.com/OWNER/REPO/PATH@REF``."""
    if build_config is None:
        return None
    location, _, _ = build_config.rpartition("@")
    parts = location.removeprefix(_GITHUB).split("/", 2)
    if not location.startswith(_GITHUB) or len(parts) < 3:
        return frozenset()
    return frozenset({parts[2]})


def _invocation_ids(run_invocation: str | None) -> frozenset[str] | None:
    """The Run Invocation URI, and its ``RUN-ATTEMPT`` as SLSA v0.2 generators write it."""
    if run_invocation is None:
        return None
    run = _RUN_INVOCATION.fullmatch(run_invocation)
    return frozenset({run_invocation, *([] if run is None else [f"{run[1]}-{run[2]}"])})


def _trigger(*claims: str | None) -> frozenset[str] | None:
    """The event every trigger claim of the certificate (1.20, the deprecated 1.2) names."""
    values = {value for value in claims if value is not None}
    if not values:
        return None
    return frozenset(values) if len(values) == 1 else frozenset()
