"""The maturity checks catalogue, and a service's level and score from its facts. Pure.

Each check has a stable id, the level it belongs to (1 Build, 2 Operate,
3 Scale, 4 Improve, 5 Optimize), a title and a remediation. From a service's
``ServiceFacts`` it yields a status, a 0-10 score, a one-line detail naming the
evidence it used, and the ids of that evidence:

* ``pass`` (score 10, but for ``sbom-quality``, which scores the SBOM's own
  quality) or ``fail`` (a partial score where there is a measure: the share of
  artifacts or releases covered, the SBOM quality);
* ``waived``: it failed, and an exception approved by an admin other than its
  requester, neither revoked nor expired, waives it. The score stays the failing
  one: a waiver unblocks a level, it does not make the evidence better;
* ``not_applicable``: nothing to judge (no vulnerability listed by the judged
  SBOMs, no release in the coverage window). It neither blocks a level nor counts
  in the score.

The **level** is the highest level whose checks, and those of every lower
level, pass, are waived or do not apply (0 when a level 1 check fails); level 5,
Optimize, is reached on evidence alone: any waived check caps the level at 4. An
exception waives only where its scope (an environment, a release, an artifact)
covers the question: a deploy gate's, or for the service's own maturity the latest
release with no environment. The
**score** (0-100) is the weighted mean of the applicable checks' scores; the
weights come from the policy, by default 5 for level 1 checks down to 1 for
level 5 checks, so that missing basics cost more than missing refinements.

Per-release checks judge the *target* release (the latest, or the one a deploy
gate asks about), all of its artifacts. Coverage checks judge every release of
the coverage window. Three checks judge the others and run after them:
``exceptions-controlled``, ``few-exceptions`` and ``score-trend``; the first two
cannot be waived (an exception to the rules on exceptions would be circular).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from app.policy.maturity import CHECK_LEVELS, LEVEL_NAMES, MAX_LEVEL, MaturityPolicy
from app.sboms.profiles import judge
from app.scoring.facts import ArtifactFacts, BundleFact, SbomFact, ServiceFacts

Status = Literal["pass", "fail", "waived", "not_applicable"]
COVERAGE_THRESHOLD: Final = 0.9
MAX_ACTIVE_EXCEPTIONS: Final = 1
# A fall of the score by less than this (out of 100) is rounding, not a trend.
SCORE_TOLERANCE: Final = 0.5

_DETAIL_ITEMS = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rule concluded, before exceptions."""

    status: Literal["pass", "fail", "not_applicable"]
    score: float
    detail: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    level: int
    title: str
    status: Status
    score: float  # 0-10
    weight: float
    detail: str
    remediation: str
    evidence: tuple[str, ...]
    waived_by: int | None = None  # the exception

    @property
    def holds(self) -> bool:
        """Does not block its level."""
        return self.status != "fail"


Rule = Callable[[ServiceFacts, MaturityPolicy, Mapping[str, CheckResult]], Outcome]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    remediation: str
    rule: Rule
    waivable: bool = True

    @property
    def level(self) -> int:
        """The level of the maturity model the check belongs to."""
        return CHECK_LEVELS[self.id]


@dataclass(frozen=True, slots=True)
class Maturity:
    level: int
    score: float  # 0-100, one decimal
    base_score: float  # the score without score-trend, which the trend compares
    checks: tuple[CheckResult, ...]  # in catalogue order

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    def failing(self, up_to_level: int) -> tuple[CheckResult, ...]:
        """The checks at or below ``up_to_level`` that fail."""
        return tuple(c for c in self.checks if c.level <= up_to_level and c.status == "fail")


# --- rules -------------------------------------------------------------------------------------


def _pass(detail: str, evidence: Iterable[str] = ()) -> Outcome:
    return Outcome("pass", 10.0, detail, tuple(evidence))


def _fail(score: float, detail: str, evidence: Iterable[str] = ()) -> Outcome:
    return Outcome("fail", round(max(0.0, min(10.0, score)), 1), detail, tuple(evidence))


def _not_applicable(detail: str) -> Outcome:
    return Outcome("not_applicable", 0.0, detail)


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_DETAIL_ITEMS])
    more = len(items) - _DETAIL_ITEMS
    return f"{shown} and {more} more" if more > 0 else shown


def _no_release(facts: ServiceFacts) -> Outcome:
    return _fail(0, f"service {facts.service} has no artifact yet")


def _per_artifact(
    facts: ServiceFacts,
    covered: Callable[[ArtifactFacts], bool],
    *,
    what: str,
    evidence: Callable[[ArtifactFacts], Iterable[str]],
) -> Outcome:
    """Pass when every artifact of the target release is ``covered``; scored by the share."""
    release = facts.target
    if release is None:
        return _no_release(facts)
    missing = [a.digest for a in release.artifacts if not covered(a)]
    used = [item for a in release.artifacts if covered(a) for item in evidence(a)]
    total = len(release.artifacts)
    if not missing:
        return _pass(f"release {release.key}: every artifact ({total}) {what}", used)
    share = (total - len(missing)) / total
    return _fail(
        10 * share,
        f"release {release.key}: {len(missing)} of {total} artifacts lack this: {_listed(missing)}",
        used,
    )


def _sbom_ids(artifact: ArtifactFacts) -> list[str]:
    return [f"sbom:{sbom.id}" for sbom in artifact.sboms]


def _bundle_ids(artifact: ArtifactFacts) -> list[str]:
    return [f"attestation:{b.attestation_id}" for b in artifact.verified_bundles]


def _build_ids(artifact: ArtifactFacts, min_level: int) -> list[str]:
    return [
        f"attestation:{b.attestation_id}"
        for b in artifact.verified_builds
        if b.source_bound and b.slsa_level >= min_level
    ]


def service_repository(facts: ServiceFacts, *_: object) -> Outcome:
    if not facts.repository:
        return _fail(0, f"service {facts.service} names no source repository")
    return _pass(f"registered with repository {facts.repository}", [f"service:{facts.service}"])


def sbom_present(facts: ServiceFacts, *_: object) -> Outcome:
    return _per_artifact(facts, lambda a: bool(a.sboms), what="has an SBOM", evidence=_sbom_ids)


def sbom_quality(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    release = facts.target
    if release is None:
        return _no_release(facts)
    judged = [(a.digest, a.newest_sbom) for a in release.artifacts]
    quality = {digest: sbom.quality_score if sbom else 0.0 for digest, sbom in judged}
    lowest_digest = min(quality, key=lambda digest: quality[digest])
    lowest = quality[lowest_digest]
    used = [f"sbom:{sbom.id}" for _, sbom in judged if sbom]
    threshold = policy.min_sbom_quality
    problems = _profile_problems(judged, policy, "sbom-quality")
    # Scored by the quality, and by the share of artifacts meeting the profile.
    score = min(lowest, 10 * (1 - len(problems) / len(judged)))
    if lowest < threshold:
        problems.insert(
            0,
            f"the newest SBOM of {lowest_digest} scores {lowest:.1f}/10 (the policy asks "
            f"for {threshold:.1f})",
        )
    if problems:
        return _fail(score, f"release {release.key}: {_listed(problems)}", used)
    profile = policy.sbom_profile("sbom-quality")
    meets = f"meets {profile} and " if profile else ""
    return Outcome(
        "pass",
        round(min(10.0, lowest), 1),
        f"release {release.key}: the newest SBOM of each artifact {meets}scores "
        f"{lowest:.1f}/10 at least (the policy asks for {threshold:.1f})",
        tuple(used),
    )


def _profile_problems(
    judged: Sequence[tuple[str, SbomFact | None]], policy: MaturityPolicy, check_id: str
) -> list[str]:
    """Why the judged SBOMs do not meet the profile the policy asks for at the check's level.

    One problem an artifact that fails: it has no SBOM, or its newest does not meet it.
    """
    profile = policy.sbom_profile(check_id)
    if profile is None:
        return []
    problems = []
    for digest, sbom in judged:
        if sbom is None:
            problems.append(f"{digest} has no SBOM")
            continue
        result = judge(sbom.elements, profile, policy.sbom_component_share)
        if not result.passed:
            problems.append(
                f"the newest SBOM of {digest} (sbom {sbom.id}) does not meet {profile}: "
                + "; ".join(result.reasons)
            )
    return problems


def sbom_minimum_elements(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    profile = policy.sbom_profile("sbom-minimum-elements")
    if profile is None:
        return _not_applicable("the policy requires no SBOM profile at level 4")
    release = facts.target
    if release is None:
        return _no_release(facts)
    judged = [(a.digest, a.newest_sbom) for a in release.artifacts]
    used = [f"sbom:{sbom.id}" for _, sbom in judged if sbom]
    problems = _profile_problems(judged, policy, "sbom-minimum-elements")
    if problems:
        share = 1 - len(problems) / len(judged)
        return _fail(10 * share, f"release {release.key}: {_listed(problems)}", used)
    return _pass(
        f"release {release.key}: the newest SBOM of every artifact ({len(judged)}) meets {profile}",
        used,
    )


def artifact_signed(facts: ServiceFacts, *_: object) -> Outcome:
    outcome = _per_artifact(
        facts,
        lambda a: bool(a.verified_bundles),
        what="is signed by a verified Sigstore bundle",
        evidence=_bundle_ids,
    )
    failed = _failed_bundles(facts)
    if outcome.status == "fail" and failed:
        detail = f"{outcome.detail}; {len(failed)} bundles failed verification"
        return replace(outcome, detail=detail)
    return outcome


def _failed_bundles(facts: ServiceFacts) -> list[BundleFact]:
    release = facts.target
    if release is None:
        return []
    return [b for a in release.artifacts for b in a.bundles if not b.verified]


def provenance_present(facts: ServiceFacts, *_: object) -> Outcome:
    return _per_artifact(
        facts,
        lambda a: bool(a.verified_builds),
        what="has verified SLSA provenance",
        evidence=lambda a: [f"attestation:{b.attestation_id}" for b in a.verified_builds],
    )


def _from_release_ref(bundle: BundleFact, release_refs: str) -> bool:
    """The signer's run was for a release ref, or its certificate names no ref at all."""
    return bundle.signer_ref is None or re.fullmatch(release_refs, bundle.signer_ref) is not None


def workload_identity(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    """Signed by workloads (the receipt's kind, from the policy), at least one at a release ref.

    A person's signature fails the check. A workload's from another ref (a branch,
    a pull request) counts neither way: it cannot lift the level by itself.
    """
    release = facts.target
    if release is None:
        return _no_release(facts)
    bundles = [b for a in release.artifacts for b in a.verified_bundles]
    if not bundles:
        return _fail(0, f"release {release.key}: no verified signature or attestation")
    people = sorted(
        {f"{b.signer_subject} ({b.signer_issuer})" for b in bundles if b.signer_kind != "workload"}
    )
    released = [
        b
        for b in bundles
        if b.signer_kind == "workload" and _from_release_ref(b, policy.release_refs)
    ]
    used = [f"attestation:{b.attestation_id}" for b in bundles]
    if people:
        share = len(released) / len(bundles)
        return _fail(10 * share, f"release {release.key}: signed by {_listed(people)}", used)
    if not released:
        refs = sorted({b.signer_ref or "" for b in bundles})
        return _fail(
            0,
            f"release {release.key}: signed by CI workloads only for {_listed(refs)}, none of "
            f"the release refs {policy.release_refs!r}",
            used,
        )
    signers = sorted({b.signer_subject for b in released})
    return _pass(f"release {release.key}: signed by CI workloads {_listed(signers)}", used)


def hosted_builder(facts: ServiceFacts, *_: object) -> Outcome:
    return _per_artifact(
        facts,
        lambda a: a.best_build_level >= 2,
        what="was built by a hosted builder (SLSA Build L2) from the service's repository",
        evidence=lambda a: _build_ids(a, 2),
    )


def _coverage(facts: ServiceFacts, policy: MaturityPolicy, threshold: float) -> Outcome:
    days = policy.coverage_window.days
    releases = facts.recent
    if not releases:
        return _not_applicable(f"no release in the last {days} days")
    complete = [r for r in releases if r.complete]
    share = len(complete) / len(releases)
    incomplete = [r.key for r in releases if not r.complete]
    detail = (
        f"{len(complete)} of {len(releases)} releases in the last {days} days have an SBOM, "
        "a verified signature and verified provenance"
    )
    evidence = [f"release:{r.key}" for r in complete]
    if share >= threshold:
        return _pass(detail, evidence)
    return _fail(10 * share, f"{detail}; missing for {_listed(incomplete)}", evidence)


def release_coverage(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    return _coverage(facts, policy, COVERAGE_THRESHOLD)


def build_level_3(facts: ServiceFacts, *_: object) -> Outcome:
    return _per_artifact(
        facts,
        lambda a: a.best_build_level >= 3,
        what="has provenance from a SLSA Build L3 builder, bound to the service's repository",
        evidence=lambda a: _build_ids(a, 3),
    )


def subjects_consistent(facts: ServiceFacts, *_: object) -> Outcome:
    release = facts.target
    if release is None:
        return _no_release(facts)
    lacking = [a.digest for a in release.artifacts if not a.complete]
    if lacking:
        return _fail(
            0,
            f"release {release.key}: nothing to compare for {_listed(lacking)} "
            "(an SBOM, a verified signature and verified provenance are all needed)",
        )
    findings = list(
        dict.fromkeys([*release.findings, *(f for a in release.artifacts for f in a.findings)])
    )
    evidence = [
        *(item for a in release.artifacts for item in _sbom_ids(a)),
        *(item for a in release.artifacts for item in _bundle_ids(a)),
    ]
    if findings:
        return _fail(0, f"release {release.key}: {_listed(findings)}", evidence)
    return _pass(
        f"release {release.key}: SBOM, signature and provenance all name the same digests",
        evidence,
    )


def vex_present(facts: ServiceFacts, *_: object) -> Outcome:
    """Every vulnerability the newest SBOMs of the release list is closed: by the SBOM's own
    analysis or the latest VEX statement in force (``app.vulnerabilities.findings``)."""
    release = facts.target
    if release is None:
        return _no_release(facts)
    unknown = [a.digest for a in release.artifacts if a.vulnerabilities is None]
    if unknown:
        return _fail(
            0,
            f"release {release.key}: the vulnerabilities listed by the newest SBOMs of "
            f"{_listed(unknown)} are not known",
        )
    listed = [(a, finding) for a in release.artifacts for finding in a.vulnerabilities or ()]
    if not listed:
        return _not_applicable(f"release {release.key}: no SBOM lists a vulnerability")
    judged = [a for a in release.artifacts if a.vulnerabilities]
    evidence = [
        *(f"sbom:{a.newest_sbom.id}" for a in judged if a.newest_sbom),
        *dict.fromkeys(
            f"attestation:{finding.decided_by.attestation_id}"
            for _, finding in listed
            if finding.decided_by is not None
        ),
    ]
    still_open = [finding.describe(a.digest) for a, finding in listed if finding.open]
    if still_open:
        return _fail(
            10 * (1 - len(still_open) / len(listed)),
            f"release {release.key}: {len(still_open)} of {len(listed)} listed vulnerabilities "
            f"are open: {_listed(still_open)}",
            evidence,
        )
    return _pass(
        f"release {release.key}: every listed vulnerability ({len(listed)}) is closed by the "
        "SBOM's analysis or a VEX statement",
        evidence,
    )


def exceptions_controlled(
    facts: ServiceFacts, _: MaturityPolicy, earlier: Mapping[str, CheckResult]
) -> Outcome:
    now = facts.now
    self_approved = [
        e
        for e in facts.exceptions
        if e.approved_by is not None and e.approved_by == e.requested_by and not e.revoked
    ]
    lapsed = [
        e
        for e in facts.exceptions
        if e.lapsed(now)
        and (result := earlier.get(e.check)) is not None
        and result.status == "fail"
    ]
    problems = [
        *(f"exception {e.id} on {e.check} approved by its requester" for e in self_approved),
        *(f"exception {e.id} on {e.check} expired and the check still fails" for e in lapsed),
    ]
    used = [f"exception:{e.id}" for e in facts.exceptions]
    if problems:
        return _fail(0, _listed(problems), used)
    count = len(facts.exceptions)
    return _pass(f"{count} exceptions on record, none lapsed or self-approved", used)


def reproducible(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    release = facts.target
    if release is None:
        return _no_release(facts)
    releases = {r.key: r for r in (release, *facts.recent)}
    judged = list(releases.values())
    failing = [
        f"{r.key} ({r.reproducibility})" for r in judged if r.reproducibility != "reproducible"
    ]
    evidence = [f"release:{r.key}" for r in judged if r.reproducibility == "reproducible"]
    if failing:
        share = 1 - len(failing) / len(judged)
        return _fail(
            10 * share,
            f"{len(failing)} of {len(judged)} releases lack builds from {policy.quorum} trust "
            f"domains agreeing on one digest: {_listed(failing)}",
            evidence,
        )
    return _pass(
        f"{len(judged)} releases each built in at least {policy.quorum} trust domains",
        evidence,
    )


def few_exceptions(facts: ServiceFacts, *_: object) -> Outcome:
    active = [e for e in facts.exceptions if e.applies(facts.now)]
    used = [f"exception:{e.id}" for e in active]
    if len(active) <= MAX_ACTIVE_EXCEPTIONS:
        return _pass(f"{len(active)} active exceptions (at most {MAX_ACTIVE_EXCEPTIONS})", used)
    return _fail(
        10 - 2 * (len(active) - MAX_ACTIVE_EXCEPTIONS),
        f"{len(active)} active exceptions, at most {MAX_ACTIVE_EXCEPTIONS} allowed: "
        f"{_listed([e.check for e in active])}",
        used,
    )


def anomalies(facts: ServiceFacts) -> list[str]:
    """What looks wrong in the target and recent releases."""
    releases = {r.key: r for r in (*((facts.target,) if facts.target else ()), *facts.recent)}
    found: list[str] = []
    for release in releases.values():
        if release.reproducibility == "mismatch":
            found.append(f"release {release.key}: builds disagree on the digest")
        for artifact in release.artifacts:
            found += [
                f"{artifact.digest}: attestation {b.attestation_id} no longer verifies"
                for b in artifact.bundles
                if not b.verified
            ]
            found += [f"{artifact.digest}: {finding}" for finding in artifact.findings]
        found += [f"release {release.key}: {finding}" for finding in release.findings]
    return list(dict.fromkeys(found))


def no_open_anomaly(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    found = anomalies(facts)
    if found:
        return _fail(0, _listed(found))
    days = policy.coverage_window.days
    return _pass(f"no mismatch, failed verification or inconsistency in the last {days} days")


def full_coverage(facts: ServiceFacts, policy: MaturityPolicy, *_: object) -> Outcome:
    return _coverage(facts, policy, 1.0)


def score_trend(
    facts: ServiceFacts, policy: MaturityPolicy, earlier: Mapping[str, CheckResult]
) -> Outcome:
    if facts.reference_score is None:
        return _not_applicable("no earlier maturity snapshot to compare with")
    current = weighted_score(result for key, result in earlier.items() if key != "score-trend")
    reference = facts.reference_score
    days = policy.coverage_window.days
    if current + SCORE_TOLERANCE >= reference:
        return _pass(f"score {current:.1f}, {reference:.1f} {days} days ago")
    return _fail(
        10 * current / reference if reference else 0,
        f"score fell from {reference:.1f} to {current:.1f} within {days} days",
    )


CATALOGUE: Final[tuple[Check, ...]] = (
    Check(
        "service-repository",
        "Service registered with its source repository",
        "Register the service with the URL of the repository it is built from.",
        service_repository,
        waivable=False,
    ),
    Check(
        "sbom-present",
        "An SBOM for the latest release",
        "Generate an SBOM in the release job and send it with `attestd-client submit --sbom`.",
        sbom_present,
    ),
    Check(
        "sbom-quality",
        "SBOM meets the policy's profile (default NTIA 2021) and quality",
        "Have the SBOM generator describe the artifact (its primary component) and record "
        "suppliers, versions, purls, hashes, licenses and dependencies for every component; "
        "the reasons name what the newest SBOM lacks.",
        sbom_quality,
    ),
    Check(
        "artifact-signed",
        "Artifact signed and verified",
        "Sign the artifact with Sigstore in the release job (`sigstore sign` or "
        "actions/attest-build-provenance) and submit the bundle.",
        artifact_signed,
    ),
    Check(
        "provenance-present",
        "SLSA provenance present (Build L1)",
        "Record SLSA provenance for the build (actions/attest-build-provenance or the SLSA "
        "GitHub generator) and submit it.",
        provenance_present,
    ),
    Check(
        "workload-identity",
        "Signed by a CI workload identity",
        "Sign from CI with its workload identity (keyless OIDC), not with a person's account, "
        "and list that identity in the service policy.",
        workload_identity,
    ),
    Check(
        "hosted-builder",
        "Hosted builder bound to the repository (Build L2)",
        "Build on a hosted runner from the service's repository at a release ref, and trust "
        "the builder in the policy if it is not a default one.",
        hosted_builder,
    ),
    Check(
        "release-coverage",
        "Evidence for 90 % of recent releases",
        "Submit an SBOM, a signature and provenance for every release, from the release job.",
        release_coverage,
    ),
    Check(
        "build-level-3",
        "SLSA Build L3 builder",
        "Build with an isolated builder that signs its own provenance, such as the SLSA "
        "GitHub generator's reusable workflows.",
        build_level_3,
    ),
    Check(
        "subjects-consistent",
        "SBOM, provenance and signature name the same digest",
        "Generate the SBOM and the provenance from the artifact that is signed, in one job.",
        subjects_consistent,
    ),
    Check(
        "exceptions-controlled",
        "No lapsed or self-approved exceptions",
        "Fix the checks whose exceptions expired, or request new exceptions approved by "
        "another admin.",
        exceptions_controlled,
        waivable=False,
    ),
    Check(
        "sbom-minimum-elements",
        "SBOM meets the policy's level 4 profile (default CISA 2025)",
        "Send an SBOM whose primary component and components carry every element of the "
        "profile (docs/sboms.md); the reasons name what the newest SBOM lacks.",
        sbom_minimum_elements,
    ),
    Check(
        "vex-present",
        "Every listed vulnerability closed by an analysis or a VEX statement",
        "Fix the open vulnerabilities, or state why they do not matter: a signed OpenVEX "
        "attestation (not_affected with a justification label, or fixed) or a CycloneDX "
        "analysis (not_affected with a justification, resolved, false_positive).",
        vex_present,
    ),
    Check(
        "reproducible",
        "Reproducible builds (quorum met)",
        "Have each release rebuilt by a rebuilder of another trust domain (trusted in the "
        "policy as rebuilder, with its trust_domain) and submit its provenance.",
        reproducible,
    ),
    Check(
        "few-exceptions",
        "At most one active exception",
        "Fix the waived checks and revoke their exceptions.",
        few_exceptions,
        waivable=False,
    ),
    Check(
        "no-open-anomaly",
        "No open anomaly",
        "Investigate the mismatching builds, failed verifications or inconsistencies listed.",
        no_open_anomaly,
    ),
    Check(
        "full-coverage",
        "Evidence for every recent release",
        "Submit an SBOM, a signature and provenance for every release.",
        full_coverage,
    ),
    Check(
        "score-trend",
        "Score not falling",
        "Find the checks whose scores fell since the start of the window and restore them.",
        score_trend,
    ),
)
CHECKS: Final = {check.id: check for check in CATALOGUE}
# Checks that read the results of the others, evaluated last in this order.
_AFTER: Final = ("exceptions-controlled", "few-exceptions", "score-trend")


def weighted_score(results: Iterable[CheckResult]) -> float:
    """0-100: the weighted mean of the applicable results' scores, one decimal."""
    total = weight = 0.0
    for result in results:
        if result.status == "not_applicable" or result.weight <= 0:
            continue
        total += result.weight * result.score
        weight += result.weight
    return round(10 * total / weight, 1) if weight else 0.0


def evaluate(facts: ServiceFacts, policy: MaturityPolicy) -> Maturity:
    """Every check of the catalogue on ``facts``, then the level and score."""
    results: dict[str, CheckResult] = {}
    ordered = [c for c in CATALOGUE if c.id not in _AFTER] + [CHECKS[i] for i in _AFTER]
    for check in ordered:
        outcome = check.rule(facts, policy, results)
        results[check.id] = _waived(check, outcome, facts, policy)
    # exceptions-controlled ran before score-trend existed: judge it again now that
    # score-trend is known, then score-trend on the score that follows (a lower score
    # never turns its fail into a pass, so one more round settles both).
    for check_id in ("exceptions-controlled", "score-trend"):
        again = CHECKS[check_id]
        results[check_id] = _waived(again, again.rule(facts, policy, results), facts, policy)
    checks = tuple(results[check.id] for check in CATALOGUE)
    level = 0
    for candidate in range(1, MAX_LEVEL + 1):
        if not all(c.holds for c in checks if c.level <= candidate):
            break
        if candidate == MAX_LEVEL and any(c.status == "waived" for c in checks):
            break  # Optimize is reached on evidence, never on waivers
        level = candidate
    return Maturity(
        level=level,
        score=weighted_score(checks),
        base_score=weighted_score(c for c in checks if c.id != "score-trend"),
        checks=checks,
    )


def _waived(
    check: Check, outcome: Outcome, facts: ServiceFacts, policy: MaturityPolicy
) -> CheckResult:
    result = CheckResult(
        id=check.id,
        level=check.level,
        title=check.title,
        status=outcome.status,
        score=outcome.score,
        weight=policy.weight(check.id),
        detail=outcome.detail,
        remediation=check.remediation if outcome.status == "fail" else "",
        evidence=outcome.evidence,
    )
    if outcome.status != "fail" or not check.waivable:
        return result
    waivers = facts.waivers(check.id)
    if not waivers:
        return result
    waiver = waivers[0]
    return replace(
        result,
        status="waived",
        waived_by=waiver.id,
        detail=f"waived by exception {waiver.id} (approved by {waiver.approved_by}, until "
        f"{waiver.expires_at.isoformat()}): {outcome.detail}",
        evidence=(*outcome.evidence, f"exception:{waiver.id}"),
    )
