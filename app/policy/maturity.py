"""The maturity model and the maturity rules of a service policy. Pure.

The model: five levels (1 Build, 2 Operate, 3 Scale, 4 Improve, 5 Optimize) and
the checks of each level, by id (``CHECK_LEVELS``; ``app.scoring.checks`` says
what each one judges). A service's level is the highest level whose checks, and
those of every lower level, hold.

The rules a policy sets, each optional in a stored policy (absent means
attestd's default, so a policy stored before these fields existed keeps its
digest):

* ``environments``: the maturity level a deploy to each environment needs
  (default: production 4, staging 2); the gate refuses environments not listed;
* ``min_sbom_quality``: the SBOM quality (0-10) level 2 asks for (default 6.0);
* ``sbom_profiles``: the SBOM profile (``SbomProfile``) each level requires, by level
  (default: ``ntia-2021`` at level 2, ``cisa-2025`` at level 4). Only the levels with an
  SBOM profile check take one (``SBOM_PROFILE_CHECKS``): a profile named for another
  level would be a requirement nothing enforces;
* ``sbom_component_share``: the share of an SBOM's components that must carry each
  component element of a profile (default 0.95);
* ``coverage_window_days``: how far back coverage, reproducibility and the score
  trend look (default 30 days);
* ``check_weights``: the weight of a check in the score, by check id (default by
  level: 5 for level 1 checks down to 1 for level 5; 0 leaves a check out of the
  score, never out of the level);
* ``deny_open_severity``: by environment, the lowest ``Severity`` of an open
  vulnerability that makes the gate deny whatever the level (default: ``critical`` for
  production, nothing for other environments); only environments the policy names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import AfterValidator, Field, StringConstraints

LEVEL_NAMES: Final = {
    0: "None",
    1: "Build",
    2: "Operate",
    3: "Scale",
    4: "Improve",
    5: "Optimize",
}
MAX_LEVEL: Final = 5

# Every check of the model by id, in catalogue order, with the level it belongs to.
CHECK_LEVELS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "service-repository": 1,
        "sbom-present": 1,
        "sbom-quality": 2,
        "artifact-signed": 2,
        "provenance-present": 2,
        "workload-identity": 3,
        "hosted-builder": 3,
        "release-coverage": 3,
        "build-level-3": 4,
        "subjects-consistent": 4,
        "exceptions-controlled": 4,
        "sbom-minimum-elements": 4,
        "vex-present": 4,
        "reproducible": 5,
        "few-exceptions": 5,
        "no-open-anomaly": 5,
        "full-coverage": 5,
        "score-trend": 5,
    }
)
DEFAULT_LEVEL_WEIGHTS: Final = {1: 5.0, 2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}


class SbomProfile(enum.StrEnum):
    """An SBOM profile: a named set of minimum elements an SBOM must carry (docs/sboms.md)."""

    NTIA_2021 = "ntia-2021"
    CISA_2025 = "cisa-2025"
    BSI_TR_03183_2 = "bsi-tr-03183-2"


# The checks that judge an SBOM profile, by the level they belong to.
SBOM_PROFILE_CHECKS: Final[Mapping[int, str]] = MappingProxyType(
    {CHECK_LEVELS[check]: check for check in ("sbom-quality", "sbom-minimum-elements")}
)
DEFAULT_SBOM_PROFILES: Final[Mapping[int, SbomProfile]] = MappingProxyType(
    {2: SbomProfile.NTIA_2021, 4: SbomProfile.CISA_2025}
)
DEFAULT_SBOM_COMPONENT_SHARE: Final = 0.95


class Severity(enum.StrEnum):
    """How severe a vulnerability is rated (CycloneDX's ratings), most severe first.

    ``unknown`` (no rating) ranks lowest, so a threshold of ``unknown`` takes every
    vulnerability.
    """

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    NONE = "none"
    UNKNOWN = "unknown"

    def at_least(self, threshold: Severity) -> bool:
        """Whether this severity is ``threshold`` or more severe."""
        return _SEVERITY_RANK[self] >= _SEVERITY_RANK[threshold]


_SEVERITY_RANK: Final = {severity: -index for index, severity in enumerate(Severity)}
DEFAULT_DENY_OPEN_SEVERITY: Final[Mapping[str, Severity]] = MappingProxyType(
    {"production": Severity.CRITICAL}
)

DEFAULT_ENVIRONMENTS: Final = {"production": 4, "staging": 2}
DEFAULT_ENVIRONMENT: Final = "production"
DEFAULT_MIN_SBOM_QUALITY: Final = 6.0
DEFAULT_COVERAGE_WINDOW_DAYS: Final = 30
MAX_COVERAGE_WINDOW_DAYS: Final = 365
MAX_ENVIRONMENTS: Final = 20
MAX_WEIGHT: Final = 100.0
ENVIRONMENT_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]{0,31}$"

EnvironmentName = Annotated[
    str,
    StringConstraints(pattern=ENVIRONMENT_PATTERN),
    Field(description="An environment name: lower-case letters, digits, '.', '_', '-'."),
]
RequiredLevel = Annotated[int, Field(ge=0, le=MAX_LEVEL, strict=True)]


def default_weight(check_id: str) -> float:
    """The weight of a check in the score when the policy names none: by its level."""
    return DEFAULT_LEVEL_WEIGHTS[CHECK_LEVELS[check_id]]


def _known_checks(weights: Mapping[str, float]) -> Mapping[str, float]:
    unknown = sorted(set(weights) - CHECK_LEVELS.keys())
    if unknown:
        known = ", ".join(CHECK_LEVELS)
        raise ValueError(f"no check is named {', '.join(unknown)}; known: {known}")
    return weights


def _some_environment(environments: Mapping[str, int]) -> Mapping[str, int]:
    if not environments:
        raise ValueError("list at least one environment, or send null for the defaults")
    return environments


def _profile_checked_levels(profiles: Mapping[int, SbomProfile]) -> Mapping[int, SbomProfile]:
    if not profiles:
        raise ValueError("name at least one level's SBOM profile, or send null for the defaults")
    unchecked = sorted(set(profiles) - SBOM_PROFILE_CHECKS.keys())
    if unchecked:
        checked = ", ".join(
            f"level {level} ({name})" for level, name in SBOM_PROFILE_CHECKS.items()
        )
        raise ValueError(
            f"no check judges an SBOM profile at level {', '.join(map(str, unchecked))}; "
            f"profiles apply at {checked}"
        )
    return profiles


Environments = Annotated[
    dict[EnvironmentName, RequiredLevel],
    Field(max_length=MAX_ENVIRONMENTS),
    AfterValidator(_some_environment),
]
MinSbomQuality = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
SbomProfiles = Annotated[
    dict[Annotated[int, Field(ge=1, le=MAX_LEVEL)], SbomProfile],
    AfterValidator(_profile_checked_levels),
]
SbomComponentShare = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
CoverageWindowDays = Annotated[int, Field(ge=1, le=MAX_COVERAGE_WINDOW_DAYS, strict=True)]
DenyOpenSeverity = Annotated[dict[EnvironmentName, Severity], Field(max_length=MAX_ENVIRONMENTS)]
CheckWeights = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]],
    AfterValidator(_known_checks),
]


@dataclass(frozen=True, slots=True)
class MaturityPolicy:
    """The policy's maturity rules, defaults filled in."""

    min_sbom_quality: float
    coverage_window: timedelta
    weights: Mapping[str, float]
    quorum: int
    release_refs: str  # git refs releases are built from: a signer elsewhere is no release's
    sbom_profiles: Mapping[int, SbomProfile] = field(
        default_factory=lambda: dict(DEFAULT_SBOM_PROFILES)
    )
    sbom_component_share: float = DEFAULT_SBOM_COMPONENT_SHARE
    # By environment: an open vulnerability this severe or more makes the gate deny.
    deny_open_severity: Mapping[str, Severity] = field(
        default_factory=lambda: dict(DEFAULT_DENY_OPEN_SEVERITY)
    )

    def weight(self, check_id: str) -> float:
        """The weight of a check in the score: the policy's, else its level's default."""
        return self.weights.get(check_id, default_weight(check_id))

    def sbom_profile(self, check_id: str) -> SbomProfile | None:
        """The SBOM profile the policy requires at the level of ``check_id``, if any."""
        return self.sbom_profiles.get(CHECK_LEVELS[check_id])


def maturity_policy(
    *,
    min_sbom_quality: float | None,
    coverage_window_days: int | None,
    check_weights: Mapping[str, float] | None,
    quorum: int,
    release_refs: str,
    sbom_profiles: Mapping[int, SbomProfile] | None = None,
    sbom_component_share: float | None = None,
    deny_open_severity: Mapping[str, Severity] | None = None,
) -> MaturityPolicy:
    """The rules the checks apply, defaults filled in."""
    return MaturityPolicy(
        min_sbom_quality=(
            DEFAULT_MIN_SBOM_QUALITY if min_sbom_quality is None else min_sbom_quality
        ),
        coverage_window=timedelta(
            days=(
                DEFAULT_COVERAGE_WINDOW_DAYS
                if coverage_window_days is None
                else coverage_window_days
            )
        ),
        weights=dict(check_weights or {}),
        quorum=quorum,
        release_refs=release_refs,
        sbom_profiles=dict(DEFAULT_SBOM_PROFILES if sbom_profiles is None else sbom_profiles),
        sbom_component_share=(
            DEFAULT_SBOM_COMPONENT_SHARE if sbom_component_share is None else sbom_component_share
        ),
        deny_open_severity=dict(
            DEFAULT_DENY_OPEN_SEVERITY if deny_open_severity is None else deny_open_severity
        ),
    )
