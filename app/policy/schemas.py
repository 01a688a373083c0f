"""Wire schemas of service policies: the update an admin sends, the policy in force."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from app.policy.builders import (
    MAX_BUILDERS,
    MAX_REUSABLE_WORKFLOWS,
    NamedBuilder,
    ReusableWorkflow,
    TrustedBuilderRule,
)
from app.policy.document import (
    DEFAULT_RELEASE_REFS,
    DEFAULT_REPRODUCIBILITY_QUORUM,
    MAX_PREDICATE_TYPES,
    MAX_REPRODUCIBILITY_QUORUM,
    PredicateTypes,
)
from app.policy.identities import (
    MAX_IDENTITIES,
    AllowedIdentity,
    RefRegex,
    require_listed_once,
)
from app.policy.keys import MAX_KEYS, TrustedKey, keys_named_once
from app.policy.maturity import (
    DEFAULT_ENVIRONMENTS,
    DEFAULT_SBOM_COMPONENT_SHARE,
    CheckWeights,
    CoverageWindowDays,
    DenyOpenSeverity,
    Environments,
    MinSbomQuality,
    SbomComponentShare,
    SbomProfile,
    SbomProfiles,
    Severity,
)
from app.wire import InputModel, OutputModel


class PolicyUpdate(InputModel):
    """Fields to change; absent fields keep their current value."""

    identities: list[AllowedIdentity] | None = Field(
        default=None,
        max_length=MAX_IDENTITIES,
        description=(
            "Replaces the allowed identities. A signer is accepted when it matches any one "
            "of them; an empty list accepts nobody. Absent: the identities are kept."
        ),
    )

    trusted_builders: list[TrustedBuilderRule] | None = Field(
        default=None,
        max_length=MAX_BUILDERS,
        description=(
            "Replaces the builders trusted besides attestd's defaults; null or []: the "
            "defaults alone. Absent: kept."
        ),
    )
    builders: list[NamedBuilder] | None = Field(
        default=None,
        description=(
            "Replaces the builders attestd knows by name that may sign for the repositories "
            "the identities name: slsa-github-generator (Build L3). null or []: none. "
            "Absent: kept."
        ),
    )
    reusable_workflows: list[ReusableWorkflow] | None = Field(
        default=None,
        max_length=MAX_REUSABLE_WORKFLOWS,
        description=(
            "Replaces the reusable workflows of other repositories (repository, workflow, "
            "optionally build_signer_digest) that may sign for the repositories the "
            "identities name, on GitHub-hosted runners, for release refs; provenance they "
            "sign as themselves is Build L3. null or []: none. Absent: kept."
        ),
    )
    release_refs: RefRegex | None = Field(
        default=None,
        description=(
            f"Git refs releases are built from, in full; null: the default "
            f"{DEFAULT_RELEASE_REFS!r}. Absent: kept."
        ),
    )
    reproducibility_quorum: int | None = Field(
        default=None,
        ge=1,
        le=MAX_REPRODUCIBILITY_QUORUM,
        strict=True,
        description=(
            f"Distinct trust domains whose builds must agree on a release's digest; null: the "
            f"default {DEFAULT_REPRODUCIBILITY_QUORUM}. Absent: kept."
        ),
    )

    environments: Environments | None = Field(
        default=None,
        description=(
            "Maturity level (0-5) a deploy to each environment needs, by environment name; "
            f"null: the default {DEFAULT_ENVIRONMENTS}. Absent: kept."
        ),
    )
    min_sbom_quality: MinSbomQuality | None = Field(
        default=None,
        description="SBOM quality (0-10) level 2 asks for; null: the default 6.0. Absent: kept.",
    )
    sbom_profiles: SbomProfiles | None = Field(
        default=None,
        description=(
            "The SBOM profile (ntia-2021, cisa-2025, bsi-tr-03183-2) an SBOM must meet at "
            "each level, by level; levels 2 (sbom-quality) and 4 (sbom-minimum-elements) take "
            "one, and a level left out requires none. Replaces the mapping; null: the default, "
            "ntia-2021 at level 2 and cisa-2025 at level 4. Absent: kept."
        ),
    )
    sbom_component_share: SbomComponentShare | None = Field(
        default=None,
        description=(
            "Share (0-1] of an SBOM's components that must carry each component element of "
            f"a profile; null: the default {DEFAULT_SBOM_COMPONENT_SHARE}. Absent: kept."
        ),
    )
    coverage_window_days: CoverageWindowDays | None = Field(
        default=None,
        description=(
            "Days back that release coverage, reproducibility and the score trend look; "
            "null: the default 30. Absent: kept."
        ),
    )
    check_weights: CheckWeights | None = Field(
        default=None,
        description=(
            "Weight (0-100) of checks in the maturity score, by check id; checks not named "
            "keep their default (5 for level 1 down to 1 for level 5); null: all defaults. "
            "Absent: kept."
        ),
    )
    deny_open_severity: DenyOpenSeverity | None = Field(
        default=None,
        description=(
            "By environment, the severity (critical, high, medium, low, info, none, unknown) "
            "at or above which an open vulnerability of the asked artifact's newest SBOM makes "
            "the gate deny, whatever the level; only environments the policy names. Replaces "
            "the mapping; {}: no environment; null: the default, critical for production "
            "and nothing elsewhere. Absent: kept."
        ),
    )
    predicate_types: PredicateTypes | None = Field(
        default=None,
        description=(
            "In-toto predicate types (absolute https:// or http:// URIs, each once, at most "
            f"{MAX_PREDICATE_TYPES}) accepted besides attestd's default allow-list "
            "(docs/verification.md). Replaces the list; null or []: the default list alone. "
            "Absent: kept. Evidence whose type is removed stops counting when it is judged "
            "again under the new version."
        ),
    )

    keys: list[TrustedKey] | None = Field(
        default=None,
        max_length=MAX_KEYS,
        description=(
            "Replaces the public keys whose keyed bundles (no certificate: cosign --key, KMS "
            "keys, Tekton Chains, the npm registry) the service accepts, each with a unique "
            "name and a PEM SubjectPublicKeyInfo (ECDSA P-256/P-384, Ed25519, RSA 2048+); "
            "null or []: none. Absent: kept."
        ),
    )
    allow_v01_inclusion_promise: bool | None = Field(
        default=None,
        strict=True,
        description=(
            "Accept v0.1 bundles whose log entry has an inclusion promise (SET) and no "
            "inclusion proof, as npm published before 2023; the SET must verify. null: the "
            "default, false. Absent: kept."
        ),
    )

    @field_validator("trusted_builders")
    @classmethod
    def _domains_named(
        cls, value: list[TrustedBuilderRule] | None
    ) -> list[TrustedBuilderRule] | None:
        # Stored versions from before trust domains stay valid: only a new list must name them.
        for index, rule in enumerate(value or ()):
            if rule.counts_towards_reproducibility and rule.trust_domain is None:
                why = "is a rebuilder" if rule.rebuilder else f"vouches for Build L{rule.max_level}"
                raise ValueError(
                    f"trusted_builders[{index}] {why}, so its builds count towards "
                    "reproducibility: give its trust_domain, the organisation or service "
                    "that operates it"
                )
        return value

    @field_validator("keys")
    @classmethod
    def _keys_named_once(cls, value: list[TrustedKey] | None) -> list[TrustedKey] | None:
        keys_named_once(value)
        return value

    @field_validator("identities")
    @classmethod
    def _identities_listed_once(cls, value: list[AllowedIdentity] | None) -> list[AllowedIdentity]:
        # Runs only when the field is given, so the error is located at body.identities.
        if value is None:
            raise ValueError("identities cannot be null: send [] to accept no signer")
        require_listed_once(value, "identities")
        return value


class PolicyOut(OutputModel):
    """The policy in force for a service."""

    service: str
    version: int = Field(
        ge=0,
        description=(
            "1, 2, … for stored versions, one more on every change. 0: no version is stored "
            "and the default for the service's repository applies: a GitHub repository's "
            "own Actions workflows, on any other host no signer at all."
        ),
    )
    digest: str = Field(
        description=(
            "sha256 of the RFC 8785 canonical JSON of the policy (absent constraints left "
            "out); receipts name the policy they were verified against by this digest."
        ),
        examples=["sha256:" + "0" * 64],
    )
    identities: list[AllowedIdentity] = Field(
        description="A signer is accepted when it matches any one of these; none: nobody."
    )
    trusted_builders: list[TrustedBuilderRule] = Field(
        description="Builders trusted besides attestd's defaults (docs/verification.md)."
    )
    builders: list[NamedBuilder] = Field(
        description="Builders known by name that may sign for the identities' repositories."
    )
    reusable_workflows: list[ReusableWorkflow] = Field(
        description="Reusable workflows of other repositories that may sign for the "
        "identities' repositories, their provenance Build L3 (docs/policies.md)."
    )
    release_refs: str = Field(description="Git refs releases are built from (in force).")
    reproducibility_quorum: int = Field(
        description="Distinct trust domains whose builds must agree on a release's digest "
        "(in force)."
    )
    environments: dict[str, int] = Field(
        description="Maturity level a deploy to each environment needs (in force)."
    )
    min_sbom_quality: float = Field(description="SBOM quality level 2 asks for (in force).")
    sbom_profiles: dict[int, SbomProfile] = Field(
        description="SBOM profile required at each level (in force)."
    )
    sbom_component_share: float = Field(
        description="Share of an SBOM's components that must carry each component element "
        "of a profile (in force)."
    )
    coverage_window_days: int = Field(description="The coverage window in days (in force).")
    check_weights: dict[str, float] = Field(
        description="Weight of every check in the maturity score (in force)."
    )
    deny_open_severity: dict[str, Severity] = Field(
        description="By environment, the severity at or above which an open vulnerability "
        "makes the gate deny (in force)."
    )
    predicate_types: list[str] = Field(
        description="In-toto predicate types accepted besides attestd's default allow-list "
        "(in force)."
    )
    keys: list[TrustedKey] = Field(
        description="Public keys whose keyed bundles the service accepts."
    )
    allow_v01_inclusion_promise: bool = Field(
        description="Whether v0.1 bundles resting on their inclusion promise are accepted."
    )
    created_at: datetime | None = Field(
        description="When this version was stored; null for version 0."
    )
    created_by: str | None = Field(
        description="Name of the token (or operator) that stored it; null for version 0."
    )
