"""The gate's pure rules: why it denies, and for the summary the levels it lists, the
resource it names, and until when it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.policy.document import ServicePolicyDocument
from app.policy.maturity import Severity
from app.scoring.checks import Maturity
from app.scoring.facts import ArtifactFacts, ReleaseFacts
from app.scoring.verdicts import deny_reasons, resource_uri, summary_expiry, verified_levels
from app.vulnerabilities.findings import Finding
from tests.builders.vex import CVE, URLLIB3, finding, listed

DIGEST = "sha256:" + "ab" * 32
PUBLIC_URL = "https://attestd.example.com"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def maturity(level: int) -> Maturity:
    return Maturity(level=level, score=0.0, base_score=0.0, checks=())


def test_every_maturity_level_reached_is_listed():
    """Before, only the level reached was: a consumer asking for _4 refused a level-5 artifact."""
    levels = verified_levels(None, maturity(5), DIGEST)
    assert levels == (
        "SLSA_BUILD_LEVEL_0",
        "ATTESTD_MATURITY_LEVEL_1",
        "ATTESTD_MATURITY_LEVEL_2",
        "ATTESTD_MATURITY_LEVEL_3",
        "ATTESTD_MATURITY_LEVEL_4",
        "ATTESTD_MATURITY_LEVEL_5",
    )
    assert "ATTESTD_MATURITY_LEVEL_4" in levels


def test_no_maturity_level_above_the_one_reached_is_listed():
    assert "ATTESTD_MATURITY_LEVEL_4" not in verified_levels(None, maturity(3), DIGEST)
    assert verified_levels(None, maturity(0), DIGEST) == ("SLSA_BUILD_LEVEL_0",)


@pytest.mark.parametrize(
    "name",
    [
        "pkg:npm/left-pad@1.3.0",
        f"oci://registry.example/acme/payments@{DIGEST}",
        "https://downloads.example/payments-1.4.2.tar.gz",
    ],
)
def test_a_name_that_identifies_the_artifact_is_its_resource_uri(name):
    assert resource_uri(name, DIGEST, PUBLIC_URL) == name


@pytest.mark.parametrize(
    "name",
    [
        None,
        "payments-1.4.2.tar.gz",
        "ghcr.io/acme/payments:1.4.2",
        "payments:1.4.2",  # parses as a URI with the scheme "payments", names nothing
        DIGEST,
        "pkg:npm/a b@1",
        "oci://registry.example/x\n",
    ],
)
def test_otherwise_attestd_names_the_artifact_by_its_digest(name):
    """Before, the fallback was the bare digest, which is no URI of anything."""
    assert resource_uri(name, DIGEST, PUBLIC_URL) == f"{PUBLIC_URL}/v1/artifacts/{DIGEST}"


def test_a_summary_holds_for_the_validity_period():
    assert summary_expiry(NOW, DAY, None) == NOW + DAY
    assert summary_expiry(NOW, DAY, NOW + 3 * DAY) == NOW + DAY


def test_a_summary_ends_when_what_it_was_decided_on_changes():
    """An allow that rests on an exception expiring in an hour holds for that hour only."""
    assert summary_expiry(NOW, DAY, NOW + timedelta(hours=1)) == NOW + timedelta(hours=1)


@pytest.mark.parametrize("moment", [NOW, NOW - DAY])
def test_a_change_that_is_not_ahead_does_not_shorten_it(moment):
    assert summary_expiry(NOW, DAY, moment) == NOW + DAY


# --- why the gate denies -------------------------------------------------------------------------


def release_listing(*vulnerabilities: Finding, known: bool = True) -> ReleaseFacts:
    """A release of one artifact whose newest SBOM lists ``vulnerabilities``."""
    artifact = ArtifactFacts(DIGEST, vulnerabilities=vulnerabilities if known else None)
    return ReleaseFacts(key="payments@1.0.0", released_at=NOW, artifacts=(artifact,))


def reasons(target: ReleaseFacts, environment: str = "production", level: int = 4, **policy):
    return deny_reasons(
        maturity(level),
        target,
        ServicePolicyDocument.model_validate(policy).maturity(),
        environment=environment,
        required=4,
        digest=DIGEST,
    )


OPEN_CRITICAL = finding()
OPEN_HIGH = finding(vulnerability=listed("CVE-2024-0002", severity=Severity.HIGH))
CLOSED_CRITICAL = finding("not_affected", vulnerability=listed("CVE-2024-0003"))


def test_the_level_reached_with_no_open_critical_vulnerability_allows():
    assert reasons(release_listing(OPEN_HIGH, CLOSED_CRITICAL)) == []


def test_an_open_critical_vulnerability_denies_production_whatever_the_level():
    denied = reasons(release_listing(OPEN_CRITICAL, OPEN_HIGH, CLOSED_CRITICAL))

    assert denied == [
        f"open-vulnerability: {CVE} (critical) in {URLLIB3}: no closing analysis or VEX statement"
    ]
    assert reasons(release_listing(OPEN_CRITICAL), "staging") == []


def test_the_policy_sets_the_severity_each_environment_denies():
    target = release_listing(OPEN_CRITICAL, OPEN_HIGH)

    assert len(reasons(target, deny_open_severity={"production": "high"})) == 2
    assert len(reasons(target, "staging", deny_open_severity={"staging": "critical"})) == 1
    assert reasons(target, deny_open_severity={}) == []
    unknown = finding(vulnerability=listed(severity=Severity.UNKNOWN))
    assert reasons(release_listing(unknown), deny_open_severity={"production": "low"}) == []
    assert len(reasons(release_listing(unknown), deny_open_severity={"production": "unknown"})) == 1


def test_vulnerabilities_that_are_not_known_deny_where_a_severity_is_set():
    target = release_listing(known=False)

    assert reasons(target) == [
        f"open-vulnerability: the vulnerabilities listed by the newest SBOM of {DIGEST} are "
        "not known"
    ]
    assert reasons(target, "staging") == []


def test_a_level_too_low_comes_first_then_the_vulnerabilities():
    denied = reasons(release_listing(OPEN_CRITICAL), level=3)

    assert denied[0].startswith("required-level: production needs level 4 (Improve)")
    assert denied[-1].startswith(f"open-vulnerability: {CVE} (critical)")
