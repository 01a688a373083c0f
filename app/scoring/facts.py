"""What the maturity checks are computed from: a service's verified facts. Pure.

``app.scoring.gathering`` reads these from the database; ``app.scoring.checks``
turns them into check results. Only verified evidence counts: a bundle whose
latest receipt failed is kept here (``verified=False``) so that checks can
report it, never so that it can pass one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.sboms.profiles import Measures
from app.vulnerabilities.findings import Finding

ExceptionStatus = Literal["pending", "approved", "expired", "revoked"]


@dataclass(frozen=True, slots=True)
class SbomFact:
    """One SBOM stored for an artifact."""

    id: int
    quality_score: float  # 0-10, app.sboms.quality
    signed: bool  # arrived inside a verified DSSE attestation
    elements: Measures | None  # its minimum elements; None: not measured, meets no profile


@dataclass(frozen=True, slots=True)
class BundleFact:
    """One Sigstore bundle naming the artifact, as its latest receipt judged it."""

    attestation_id: int
    kind: Literal["signature", "attestation"]
    predicate_type: str | None
    verified: bool
    signer_subject: str
    signer_issuer: str
    signer_kind: str | None = None  # "workload" or "person", per the receipt's policy
    signer_ref: str | None = None  # the git ref the certificate says the run was for


@dataclass(frozen=True, slots=True)
class BuildFact:
    """One SLSA provenance of the artifact with its latest check."""

    attestation_id: int
    builder_id: str
    slsa_level: int
    source_bound: bool
    verified: bool


@dataclass(frozen=True, slots=True)
class ArtifactFacts:
    digest: str
    sboms: tuple[SbomFact, ...] = ()
    bundles: tuple[BundleFact, ...] = ()
    builds: tuple[BuildFact, ...] = ()
    findings: tuple[str, ...] = ()  # consistency findings, app.provenance.consistency
    # The vulnerabilities its newest SBOM lists, each decided with the VEX statements that
    # count (app.vulnerabilities.findings); None: that SBOM's are not known. Read for the
    # judged release's artifacts only.
    vulnerabilities: tuple[Finding, ...] | None = ()

    @property
    def newest_sbom(self) -> SbomFact | None:
        """The SBOM accepted last: the one the SBOM's quality and profiles are judged on.

        Not the best one: a good SBOM uploaded once must not vouch for every poorer one
        uploaded after it.
        """
        return max(self.sboms, key=lambda sbom: sbom.id, default=None)

    @property
    def verified_bundles(self) -> tuple[BundleFact, ...]:
        return tuple(bundle for bundle in self.bundles if bundle.verified)

    @property
    def verified_builds(self) -> tuple[BuildFact, ...]:
        return tuple(build for build in self.builds if build.verified)

    @property
    def best_build_level(self) -> int:
        """The highest SLSA Build level a verified provenance bound to the source vouches for."""
        levels = [build.slsa_level for build in self.verified_builds if build.source_bound]
        return max(levels, default=0)

    @property
    def complete(self) -> bool:
        """An SBOM, a verified signature or attestation, and verified provenance."""
        return bool(self.sboms) and bool(self.verified_bundles) and bool(self.verified_builds)


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """A release (name and version) or, for an artifact with neither, the artifact alone."""

    key: str  # "name@version", or the digest of an unnamed artifact
    released_at: datetime  # when its newest artifact was first recorded
    artifacts: tuple[ArtifactFacts, ...]
    reproducibility: Literal["reproducible", "mismatch", "unverified"] = "unverified"
    independent_builders: int = 0
    findings: tuple[str, ...] = ()  # release-level consistency findings

    @property
    def complete(self) -> bool:
        return bool(self.artifacts) and all(artifact.complete for artifact in self.artifacts)


@dataclass(frozen=True, slots=True)
class ExceptionFact:
    """A requested waiver of one check, for the whole service or a narrower scope."""

    id: int
    check: str
    requested_by: str
    expires_at: datetime
    approved_by: str | None = None
    revoked: bool = False
    revoked_at: datetime | None = None  # when known
    # Its scope: None waives for every environment, every release, every artifact.
    environment: str | None = None
    release: str | None = None  # NAME@VERSION
    digest: str | None = None  # one artifact

    def status(self, now: datetime) -> ExceptionStatus:
        if self.revoked:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "approved" if self.approved_by is not None else "pending"

    def applies(self, now: datetime) -> bool:
        """Approved by someone other than the requester, not revoked, not expired."""
        return self.status(now) == "approved" and self.approved_by != self.requested_by

    def covers(self, environment: str | None, release: str | None, digest: str | None) -> bool:
        """Whether its scope covers a question about this environment, release and artifact.

        A scoped exception covers only questions that name what it is scoped to: one
        scoped to production waives nothing for the service's overall maturity.
        """
        return (
            (self.environment is None or self.environment == environment)
            and (self.release is None or self.release == release)
            and (self.digest is None or self.digest == digest)
        )

    def lapsed(self, now: datetime) -> bool:
        """Approved, then ran out: expired before any revocation (revoking it later hides
        nothing)."""
        if self.approved_by is None or now < self.expires_at:
            return False
        return not self.revoked or (
            self.revoked_at is not None and self.revoked_at >= self.expires_at
        )


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """Everything the checks read about one service at one moment."""

    service: str
    repository: str | None
    now: datetime
    target: ReleaseFacts | None  # the release judged: the latest, or the one a gate asks about
    recent: tuple[ReleaseFacts, ...]  # releases within the coverage window, newest first
    exceptions: tuple[ExceptionFact, ...] = ()
    reference_score: float | None = None  # base score at the start of the window
    # The question the facts answer: a deploy gate's environment and artifact; None for the
    # service's own maturity. Exceptions apply only where their scope covers it.
    environment: str | None = None
    digest: str | None = None

    def waivers(self, check_id: str) -> list[ExceptionFact]:
        """The exceptions that waive ``check_id`` here and now, latest expiry first."""
        release = self.target.key if self.target is not None else None
        return sorted(
            (
                e
                for e in self.exceptions
                if e.check == check_id
                and e.applies(self.now)
                and e.covers(self.environment, release, self.digest)
            ),
            key=lambda e: e.expires_at,
            reverse=True,
        )
