"""Reading a service's facts for the maturity checks, and when they go stale by time alone.

Evidence counts as verified only when its latest receipt was made under the policy
and trust roots in force (``InForce``): anything judged under others is unverified
here, whatever it once concluded, and so are the VEX statements it carries. The use
cases check such evidence again before they ask for the facts
(``app.workflows.recheck``), so this is the floor that no path can fall below, not
the way evidence gets brought up to date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar

from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.policy.document import PolicyVersion
from app.policy.maturity import MaturityPolicy
from app.provenance.findings import artifact_findings
from app.provenance.repository import ProvenanceRepository
from app.provenance.reproducibility import reproducibility
from app.sboms.repository import SbomRepository
from app.scoring.facts import ArtifactFacts, ExceptionFact, ReleaseFacts, ServiceFacts
from app.scoring.models import PolicyException
from app.scoring.repository import BuildRow, BundleRow, MaturityRepository, SbomRow
from app.services.models import Service
from app.vulnerabilities.findings import Finding, decide
from app.vulnerabilities.openvex import VEX_PREDICATE_TYPES
from app.vulnerabilities.repository import VexRepository

# Coverage, reproducibility and anomalies judge at most the releases of the newest
# artifacts of the window, so that evaluating a busy service costs the same every time.
MAX_RECENT_RELEASES: Final = 50


@dataclass(frozen=True)
class InForce:
    """What evidence is judged under: the service's policy version and the trust roots loaded."""

    policy: PolicyVersion
    trust_roots_digest: str  # app.attestations.trust.roots_digest of the roots loaded


@dataclass(frozen=True)
class Judged:
    """The artifacts a judgement reads: the window's, and the target release's."""

    start: datetime  # the coverage window starts here
    target: Artifact | None
    in_target: Sequence[Artifact]
    artifacts: dict[int, Artifact]  # every artifact judged, by id


@dataclass(frozen=True)
class Gathered:
    """A service's facts, the rules to apply, what they were read from, and how long they hold."""

    facts: ServiceFacts
    rules: MaturityPolicy
    policy: PolicyVersion
    inputs: dict[str, Any]
    valid_until: datetime | None


def release_key(artifact: Artifact) -> str:
    """``name@version``; an artifact with no name or version is a release of its own."""
    if artifact.name is not None and artifact.version is not None:
        return f"{artifact.name}@{artifact.version}"
    return artifact.digest


def judged_artifacts(
    session: Session,
    service: Service,
    policy: PolicyVersion,
    now: datetime,
    *,
    target: Artifact | None = None,
) -> Judged:
    """The artifacts a judgement of ``service`` at ``now`` reads (``target``: the latest)."""
    repository = MaturityRepository(session)
    start = now - policy.policy.maturity().coverage_window
    window = repository.artifacts_since(service.id, start, limit=MAX_RECENT_RELEASES)
    if target is None:
        # The newest artifact is in the window unless nothing arrived within it.
        target = (
            max(window, key=lambda a: a.id) if window else repository.newest_artifact(service.id)
        )
    in_target = list(repository.release_of(target)) if target is not None else []
    artifacts = {a.id: a for a in [*window, *in_target]}
    return Judged(start, target, in_target, artifacts)


def gather(
    session: Session,
    service: Service,
    now: datetime,
    in_force: InForce,
    *,
    target: Artifact | None = None,
    environment: str | None = None,
    judged: Judged | None = None,
) -> Gathered:
    """The facts of ``service`` at ``now``, judging ``target``'s release (default: the latest).

    ``environment`` and ``target`` are a deploy gate's question: exceptions scoped to
    them waive their checks (for the service's own maturity, only unscoped ones and those
    of the latest release do). ``judged``: the artifacts, when the caller read them already
    (``judged_artifacts`` with the same arguments).
    """
    policy = in_force.policy
    rules = policy.policy.maturity()
    repository = MaturityRepository(session)
    asked = target is not None
    if judged is None:
        judged = judged_artifacts(session, service, policy, now, target=target)
    start, target, in_target, artifacts = (
        judged.start,
        judged.target,
        judged.in_target,
        judged.artifacts,
    )
    ids = sorted(artifacts)
    under = (policy.digest, in_force.trust_roots_digest)
    sboms = repository.sboms(ids)
    bundles = repository.bundles(ids, judged_under=under)
    builds = repository.builds(ids, judged_under=under)
    documented = {row.artifact_id for row in sboms} | {row.artifact_id for row in builds}
    findings = _findings(session, [a for a in in_target if a.id in documented])
    vulnerabilities = _vulnerabilities(session, in_target, sboms, bundles)
    facts_of = _artifact_facts(
        artifacts.values(), sboms, bundles, builds, findings, vulnerabilities=vulnerabilities
    )

    members: dict[str, list[Artifact]] = defaultdict(list)
    for artifact in sorted(artifacts.values(), key=lambda a: a.id):
        members[release_key(artifact)].append(artifact)
    builds_of: dict[int, list[BuildRow]] = defaultdict(list)
    for build in builds:
        builds_of[build.artifact_id].append(build)
    releases = {
        key: _release(key, group, facts_of, builds_of, rules.quorum)
        for key, group in members.items()
    }
    recent = sorted(
        (r for r in releases.values() if r.released_at >= start),
        key=lambda r: r.released_at,
        reverse=True,
    )[:MAX_RECENT_RELEASES]
    exceptions = repository.exceptions_of(service.id)
    before, after = repository.reference_snapshots(service.id, start)
    reference = before if before is not None else after
    facts = ServiceFacts(
        service=service.name,
        repository=service.repository,
        now=now,
        target=releases[release_key(target)] if target is not None else None,
        recent=tuple(recent),
        exceptions=tuple(exception_fact(row) for row in exceptions),
        reference_score=reference.base_score if reference is not None else None,
        environment=environment,
        digest=target.digest if asked and target is not None else None,
    )
    moments = [
        *(release.released_at + rules.coverage_window for release in recent),
        *(row.expires_at for row in exceptions if row.revoked_at is None and row.expires_at > now),
        *([after.computed_at + rules.coverage_window] if after is not None else []),
    ]
    return Gathered(
        facts=facts,
        rules=rules,
        policy=policy,
        inputs={
            "policy_version": policy.version,
            "releases": sorted(releases),
            "sboms": sorted(sbom.id for sbom in sboms),
            "attestations": sorted({row.attestation_id for row in bundles}),
            "exceptions": [row.id for row in exceptions],
            "reference_snapshot": reference.id if reference is not None else None,
        },
        valid_until=min(moments, default=None),
    )


def _findings(session: Session, artifacts: Sequence[Artifact]) -> dict[int, tuple[str, ...]]:
    """Consistency findings of the judged release's artifacts that have SBOMs or provenance.

    An artifact with neither has nothing that could disagree (its release's findings
    name the digests of SBOMs and provenance, so they appear on the artifacts having them).
    """
    sboms = SbomRepository(session)
    provenances = ProvenanceRepository(session)
    return {
        artifact.id: tuple(
            artifact_findings(
                session,
                artifact,
                sboms.for_artifact(artifact.id),
                provenances.for_artifact(artifact.id),
            )
        )
        for artifact in artifacts
    }


def _vulnerabilities(
    session: Session,
    artifacts: Sequence[Artifact],
    sboms: Sequence[SbomRow],
    bundles: Sequence[BundleRow],
) -> dict[int, tuple[Finding, ...] | None]:
    """The vulnerabilities each artifact's newest SBOM lists, decided with the statements
    of the verified OpenVEX attestations naming it; None where they are not known."""
    newest = {row.artifact_id: row for row in sboms}  # rows come in id order
    vex: dict[int, list[int]] = defaultdict(list)
    for row in bundles:
        if row.verified and row.predicate_type in VEX_PREDICATE_TYPES:
            vex[row.artifact_id].append(row.attestation_id)
    statements = VexRepository(session).of_attestations(
        {attestation for artifact in artifacts for attestation in vex[artifact.id]}
    )
    decided: dict[int, tuple[Finding, ...] | None] = {}
    for artifact in artifacts:
        sbom = newest.get(artifact.id)
        if sbom is None:
            decided[artifact.id] = ()  # nothing listed (sbom-present judges the lack)
        elif not sbom.vulnerabilities_known:
            decided[artifact.id] = None
        else:
            counting = set(vex[artifact.id])
            decided[artifact.id] = decide(
                SbomRepository(session).vulnerabilities(sbom.id),
                [s for s in statements if s.attestation_id in counting],
                artifact.digest,
            )
    return decided


def _artifact_facts(
    artifacts: Iterable[Artifact],
    sboms: Sequence[SbomRow],
    bundles: Sequence[BundleRow],
    builds: Sequence[BuildRow],
    findings: dict[int, tuple[str, ...]],
    *,
    vulnerabilities: dict[int, tuple[Finding, ...] | None],
) -> dict[int, ArtifactFacts]:
    sboms_of, bundles_of, builds_of = (
        _by_artifact(sboms),
        _by_artifact(bundles),
        _by_artifact(builds),
    )
    return {
        artifact.id: ArtifactFacts(
            digest=artifact.digest,
            sboms=tuple(sboms_of[artifact.id]),
            bundles=tuple(bundles_of[artifact.id]),
            builds=tuple(builds_of[artifact.id]),
            findings=findings.get(artifact.id, ()),
            vulnerabilities=vulnerabilities.get(artifact.id, ()),
        )
        for artifact in artifacts
    }


F_co = TypeVar("F_co", covariant=True)


class _ArtifactRow(Protocol[F_co]):
    @property
    def artifact_id(self) -> int: ...

    def fact(self) -> F_co: ...


def _by_artifact(rows: Iterable[_ArtifactRow[F_co]]) -> dict[int, list[F_co]]:
    """The facts of ``rows`` grouped by the artifact each names."""
    grouped: dict[int, list[F_co]] = defaultdict(list)
    for row in rows:
        grouped[row.artifact_id].append(row.fact())
    return grouped


def _release(
    key: str,
    artifacts: Sequence[Artifact],
    facts_of: dict[int, ArtifactFacts],
    builds_of: dict[int, list[BuildRow]],
    quorum: int,
) -> ReleaseFacts:
    claims = [row.claim for artifact in artifacts for row in builds_of[artifact.id]]
    found = reproducibility(claims, quorum)
    return ReleaseFacts(
        key=key,
        released_at=max(a.created_at for a in artifacts),
        artifacts=tuple(facts_of[a.id] for a in artifacts),
        reproducibility=found.status,
        independent_builders=found.independent_builders,
    )


def exception_fact(row: PolicyException) -> ExceptionFact:
    return ExceptionFact(
        id=row.id,
        check=row.check_id,
        requested_by=row.requested_by,
        expires_at=row.expires_at,
        approved_by=row.approved_by,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
        environment=row.scope_environment,
        release=row.scope_release,
        digest=row.scope_digest,
    )
