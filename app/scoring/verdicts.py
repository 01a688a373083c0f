"""The rules of the deploy gate: the level an environment needs, and what a verdict says.

The artifact's own release is judged with the whole checks catalogue (the
service-wide checks, coverage and exceptions, read as they stand now), so an
old, unsigned build of a service that is level 4 today is still refused. The
decision is ``allow`` when that level reaches the level the service policy
requires for the environment; the reasons of a ``deny`` are the rule and every
failing check at or below the required level. ``app.workflows.ask_gate``
asks these questions and signs the answer (``app.scoring.vsa``).

The summary lists every maturity level reached, names the artifact by a URI
that identifies it, and stops being valid once its validity period ends or,
sooner, once time alone would change the judgement (an exception expiring).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.errors import InvalidRequest
from app.policy.document import PolicyVersion
from app.policy.maturity import LEVEL_NAMES
from app.scoring.checks import Maturity
from app.scoring.facts import ReleaseFacts

MATURITY_LEVEL_PREFIX = "ATTESTD_MATURITY_LEVEL_"
# Artifact names that identify the artifact wherever they are read; other names
# (``payments-1.4.2.tar.gz``, ``image:tag``) may parse as URIs but name nothing.
_RESOURCE_NAME_PREFIXES = ("pkg:", "oci://", "https://")


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
    """The SLSA Build level of the artifact's own provenance, and every maturity level reached.

    ``ATTESTD_MATURITY_LEVEL_1`` up to the level reached, each listed: a level
    implies those below it, and a consumer that looks for the one level it
    needs must find it in a summary of an artifact that reaches more.
    """
    build_level = 0
    if target is not None:
        build_level = max(
            (a.best_build_level for a in target.artifacts if a.digest == digest), default=0
        )
    return (
        f"SLSA_BUILD_LEVEL_{min(build_level, 3)}",
        *(f"{MATURITY_LEVEL_PREFIX}{level}" for level in range(1, maturity.level + 1)),
    )


def resource_uri(name: str | None, digest: str, public_url: str) -> str:
    """The artifact's name when it is a purl, an OCI or https URI, else attestd's URI of it."""
    if (
        name is not None
        and name.startswith(_RESOURCE_NAME_PREFIXES)
        and name.isprintable()
        and not any(c.isspace() for c in name)
    ):
        return name
    return f"{public_url}/v1/artifacts/{digest}"


def summary_expiry(
    now: datetime, validity: timedelta, judgement_changes: datetime | None
) -> datetime:
    """When a summary made at ``now`` stops being valid.

    After ``validity``, or sooner when time alone changes the judgement at
    ``judgement_changes`` (an exception it relied on expires, a release leaves
    the coverage window): a summary must not outlive what it was decided on.
    """
    expiry = now + validity
    if judgement_changes is not None and now < judgement_changes < expiry:
        return judgement_changes
    return expiry
