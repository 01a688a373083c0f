"""The gate's pure rules for the summary: the levels it lists, the resource it names, and
until when it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.scoring.checks import Maturity
from app.scoring.verdicts import resource_uri, summary_expiry, verified_levels

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
