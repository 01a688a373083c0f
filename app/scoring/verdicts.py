"""The rules of the deploy gate: the level an environment needs, and what a verdict says.

The artifact's own release is judged with the whole checks catalogue (the
service-wide checks, coverage and exceptions, read as they stand now), so an
old, unsigned build of a service that is level 4 today is still refused. The
decision is ``allow`` when that level reaches the level the service policy
requires for the environment and the artifact's newest SBOM lists no open
vulnerability at or above the severity the policy's ``deny_open_severity`` sets
for the environment, whatever the level (an exception can waive ``vex-present``,
never this rule). The reasons of a ``deny`` are the level rule with every failing
check at or below the required level, then one ``open-vulnerability`` reason per
such vulnerability. ``app.workflows.ask_gate`` asks these questions and signs the
answer (``app.scoring.vsa``).

The summary lists every maturity level reached, names the artifact by a URI
that identifies it, and stops being valid once its validity period ends or,
sooner, once time alone would change the judgement (an exception expiring).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.errors import InvalidRequest
from app.policy.document import PolicyVersion
from app.policy.maturity import LEVEL_NAMES, MaturityPolicy, Severity
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


def deny_reasons(
    maturity: Maturity,
    target: ReleaseFacts | None,
    rules: MaturityPolicy,
    *,
    environment: str,
    required: int,
    digest: str,
) -> list[str]:
    """Why the gate refuses ``digest`` for ``environment``; none: it allows."""
    reasons = []
    if maturity.level < required:
        reasons.append(
            f"required-level: {environment} needs level {required} ({LEVEL_NAMES[required]}); "
            f"{digest} reaches level {maturity.level} ({maturity.level_name})"
        )
        reasons += [f"{check.id}: {check.detail}" for check in maturity.failing(required)]
    threshold = rules.deny_open_severity.get(environment)
    if threshold is not None:
        reasons += open_vulnerabilities(target, digest, threshold)
    return reasons


def open_vulnerabilities(
    target: ReleaseFacts | None, digest: str, threshold: Severity
) -> list[str]:
    """One reason per open vulnerability at or above ``threshold`` that the newest SBOM of
    ``digest`` lists; one reason too when they are not known (fail closed)."""
    artifacts = target.artifacts if target is not None else ()
    artifact = next((a for a in artifacts if a.digest == digest), None)
    findings = artifact.vulnerabilities if artifact is not None else None
    if findings is None:
        return [
            f"open-vulnerability: the vulnerabilities listed by the newest SBOM of {digest} "
            "are not known"
        ]
    return [
        f"open-vulnerability: {finding.describe(digest)}: {finding.why_open()}"
        for finding in findings
        if finding.open and finding.vulnerability.severity.at_least(threshold)
    ]


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
