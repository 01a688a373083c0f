"""The rules of the deploy gate: the level an environment needs, and what a verdict says.

The artifact's own release is judged with the whole checks catalogue (the
service-wide checks, coverage and exceptions, read as they stand now), so an
old, unsigned build of a service that is level 4 today is still refused. The
decision is ``allow`` when that level reaches the level the service policy
requires for the environment; the reasons of a ``deny`` are the rule and every
failing check at or below the required level. ``app.workflows.ask_gate``
asks these questions and signs the answer (``app.scoring.vsa``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from app.errors import InvalidRequest
from app.policy.document import PolicyVersion
from app.policy.maturity import LEVEL_NAMES
from app.scoring.checks import Maturity
from app.scoring.facts import ReleaseFacts

MATURITY_LEVEL_PREFIX = "ATTESTD_MATURITY_LEVEL_"


class UnknownEnvironment(InvalidRequest):
    slug = "unknown-environment"
    title = "The service policy names no such environment"


def required_level(policy: PolicyVersion, service: str, environment: str) -> int:
    environments = policy.policy.effective_environments
    if environment not in environments:
        known = ", ".join(sorted(environments))
        raise UnknownEnvironment(
            f"The policy of {service} names no environment {environment!r}; it names {known}.",
            reasons=[f"unknown-environment: {environment}"],
        )
    return environments[environment]


def deny_reasons(maturity: Maturity, environment: str, required: int, digest: str) -> list[str]:
    rule = (
        f"required-level: {environment} needs level {required} ({LEVEL_NAMES[required]}); "
        f"{digest} reaches level {maturity.level} ({maturity.level_name})"
    )
    return [rule, *(f"{check.id}: {check.detail}" for check in maturity.failing(required))]


def verified_levels(
    target: ReleaseFacts | None, maturity: Maturity, digest: str
) -> tuple[str, ...]:
    """The SLSA Build level of the artifact's own provenance, and its maturity level."""
    build_level = 0
    if target is not None:
        build_level = max(
            (a.best_build_level for a in target.artifacts if a.digest == digest), default=0
        )
    return (f"SLSA_BUILD_LEVEL_{min(build_level, 3)}", f"{MATURITY_LEVEL_PREFIX}{maturity.level}")


def resource_uri(name: str | None, digest: str) -> str:
    """The artifact's name when it is a URI (``pkg:…``, ``oci://…``), else its digest."""
    if (
        name is not None
        and urlsplit(name).scheme
        and name.isprintable()
        and not any(c.isspace() for c in name)
    ):
        return name
    return digest
