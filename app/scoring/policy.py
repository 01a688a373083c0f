"""The maturity rules of a service policy: what each environment requires, thresholds, weights.

Every field is optional in a stored policy; absent means attestd's default,
so a policy stored before these fields existed keeps its digest:

* ``environments``: the maturity level a deploy to each environment needs
  (default: production 4, staging 2); the gate refuses environments not listed;
* ``min_sbom_quality``: the SBOM quality (0-10) level 2 asks for (default 6.0);
* ``coverage_window_days``: how far back coverage, reproducibility and the score
  trend look (default 30 days);
* ``check_weights``: the weight of a check in the score, by check id (default by
  level: 5 for level 1 checks down to 1 for level 5; 0 leaves a check out of the
  score, never out of the level).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Final

from pydantic import AfterValidator, Field, StringConstraints

from app.scoring.checks import CHECKS, MAX_LEVEL
from app.scoring.facts import MaturityPolicy

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


def _known_checks(weights: Mapping[str, float]) -> Mapping[str, float]:
    unknown = sorted(set(weights) - CHECKS.keys())
    if unknown:
        raise ValueError(f"no check is named {', '.join(unknown)}; known: {', '.join(CHECKS)}")
    return weights


def _some_environment(environments: Mapping[str, int]) -> Mapping[str, int]:
    if not environments:
        raise ValueError("list at least one environment, or send null for the defaults")
    return environments


Environments = Annotated[
    dict[EnvironmentName, RequiredLevel],
    Field(max_length=MAX_ENVIRONMENTS),
    AfterValidator(_some_environment),
]
MinSbomQuality = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
CoverageWindowDays = Annotated[int, Field(ge=1, le=MAX_COVERAGE_WINDOW_DAYS, strict=True)]
CheckWeights = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]],
    AfterValidator(_known_checks),
]


def maturity_policy(
    *,
    min_sbom_quality: float | None,
    coverage_window_days: int | None,
    check_weights: Mapping[str, float] | None,
    quorum: int,
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
    )
