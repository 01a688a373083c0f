"""Exceptions that are formally controlled, attacked over HTTP.

Before scopes and the waiver budget, an exception granted for one environment lifted
every deploy gate and the service's maturity; a check could be waived forever by
renewing 90-day exceptions back to back; and revoking an exception after it lapsed
cleared the finding that it had lapsed while its check still failed. Each attack sits
next to the legitimate case that still passes.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.builders.bundles import DIGEST
from tests.builders.services import SERVICE
from tests.problems import assert_problem
from tests.scoring.reads import check_of
from tests.scoring.release_pipeline import Pipeline, up_to

JUSTIFICATION = "The hosted builder is being set up for this service; tracked in SEC-1234."
OTHER_DIGEST = "sha256:" + "e" * 64


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def request(payments: Pipeline, clock, *, days: float, **scope: Any) -> Any:
    return payments.client.post(
        "/v1/exceptions",
        json={
            "service": SERVICE,
            "check": "build-level-3",
            "justification": JUSTIFICATION,
            "expires_at": (clock.now() + timedelta(days=days)).isoformat(),
            **scope,
        },
        headers=payments.admin,
    )


def granted(payments: Pipeline, clock, *, days: float = 30, **scope: Any) -> dict[str, Any]:
    requested = request(payments, clock, days=days, **scope)
    assert requested.status_code == 201, requested.text
    approved = payments.client.post(
        f"/v1/exceptions/{requested.json()['id']}/approve", headers=payments.approver
    )
    assert approved.status_code == 200, approved.text
    body: dict[str, Any] = approved.json()
    return body


@pytest.fixture
def level_3(payments: Pipeline) -> Pipeline:
    """payments at level 3, with a canary environment that needs level 4 like production."""
    assert up_to(payments, 3)["level"] == 3
    payments.policy(environments={"production": 4, "staging": 2, "canary": 4})
    return payments


def test_an_exception_scoped_to_one_environment_does_not_open_another(level_3, clock):
    """Before: a waiver granted for canary also let the artifact ship to production."""
    exception = granted(level_3, clock, environment="canary")
    assert (exception["environment"], exception["release"], exception["digest"]) == (
        "canary",
        None,
        None,
    )

    assert level_3.verdict("canary")["decision"] == "allow"
    production = level_3.verdict("production")
    assert production["decision"] == "deny"
    assert production["waived"] == []
    # The service's own maturity is no environment's: the scoped waiver does not lift it.
    maturity = level_3.maturity()
    assert maturity["level"] == 3
    assert check_of(maturity, "build-level-3")["status"] == "fail"


def gate_of(verdict: dict[str, Any]) -> dict[str, Any]:
    """The gate field of the verdict's signed summary (its signature is checked elsewhere)."""
    statement = json.loads(base64.b64decode(verdict["vsa"]["payload"]))
    gate: dict[str, Any] = statement["predicate"]["urn:attestd:gate:v1"]
    return gate


def test_an_unscoped_exception_still_waives_everywhere_and_the_summary_says_so(level_3, clock):
    """Before: a PASS that rested on a waiver read like one on evidence alone."""
    exception = granted(level_3, clock)
    for environment in ("canary", "production"):
        verdict = level_3.verdict(environment)
        assert verdict["decision"] == "allow"
        assert verdict["waived"] == [f"build-level-3: exception {exception['id']}"]
        (waiver,) = gate_of(verdict)["waivers"]
        assert (waiver["check"], waiver["exception"], waiver["approvedBy"]) == (
            "build-level-3",
            exception["id"],
            exception["approved_by"],
        )
        expires = datetime.fromisoformat(exception["expires_at"]).replace(microsecond=0)
        assert datetime.fromisoformat(waiver["expires"]) == expires
    assert level_3.maturity()["level"] == 4
    assert gate_of(level_3.verdict("staging"))["waivers"] == []


def test_an_exception_scoped_to_another_artifact_does_not_waive_this_one(level_3, clock):
    """Before: a waiver meant for one artifact waived the check for every artifact."""
    granted(level_3, clock, digest=OTHER_DIGEST)
    assert level_3.verdict("production")["decision"] == "deny"

    granted(level_3, clock, digest=DIGEST)
    assert level_3.verdict("production")["decision"] == "allow"


def test_a_scope_must_name_what_the_policy_and_the_service_know(level_3, clock):
    unknown = request(level_3, clock, days=10, environment="moon")
    assert_problem(unknown, 422, "invalid-exception")
    assert any(r.startswith("unknown-environment: ") for r in unknown.json()["reasons"])

    both = request(level_3, clock, days=10, release="payments@1.4.0", digest=DIGEST)
    assert both.status_code == 422
    assert "not both" in both.text


def test_renewing_back_to_back_cannot_waive_a_check_past_90_days_in_180(level_3, clock):
    """Before: a new 90-day exception, requested as the last one ran out, waived the
    check indefinitely."""
    first = granted(level_3, clock, days=50)
    clock.advance(timedelta(days=49))

    renewed = request(level_3, clock, days=50)

    assert_problem(renewed, 422, "invalid-exception")
    (reason,) = renewed.json()["reasons"]
    assert reason.startswith("waiver-budget: build-level-3 would be waived for 99 days between ")
    assert "at most 90 days in any 180" in reason
    # What stays within the budget is granted: 49 days of the first, then 40 more.
    within = request(level_3, clock, days=40)
    assert within.status_code == 201, within.text
    assert first["id"] != within.json()["id"]


def test_splitting_a_waiver_across_environments_spends_one_budget(level_3, clock):
    """Before: several exceptions scoped to different environments each had 90 days."""
    granted(level_3, clock, days=60, environment="canary")
    clock.advance(timedelta(days=59))

    other = request(level_3, clock, days=40, environment="production")

    assert_problem(other, 422, "invalid-exception")
    assert other.json()["reasons"][0].startswith("waiver-budget: ")


def test_revoking_a_lapsed_exception_does_not_clear_that_it_lapsed(level_3, clock):
    """Before: revoking an exception after it expired made exceptions-controlled pass
    again while the waived check still failed."""
    exception = granted(level_3, clock, days=1)
    clock.advance(timedelta(days=2))
    assert check_of(level_3.maturity(), "exceptions-controlled")["status"] == "fail"

    revoked = level_3.client.delete(f"/v1/exceptions/{exception['id']}", headers=level_3.admin)

    assert revoked.status_code == 200, revoked.text
    still = check_of(level_3.maturity(), "exceptions-controlled")
    assert still["status"] == "fail"
    assert f"exception {exception['id']} on build-level-3 expired" in still["detail"]


def test_an_exception_revoked_before_it_lapsed_is_controlled(level_3, clock):
    exception = granted(level_3, clock, days=10)
    revoked = level_3.client.delete(f"/v1/exceptions/{exception['id']}", headers=level_3.admin)
    assert revoked.status_code == 200, revoked.text
    clock.advance(timedelta(days=11))
    assert check_of(level_3.maturity(), "exceptions-controlled")["status"] == "pass"
