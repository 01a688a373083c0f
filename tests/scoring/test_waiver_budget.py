"""The waiver budget (90 days in any 180) and exception scopes, as plain rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.scoring.exceptions import busiest_window
from app.scoring.facts import ExceptionFact

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=180)


def days(start: float, end: float) -> tuple[datetime, datetime]:
    return (T0 + timedelta(days=start), T0 + timedelta(days=end))


@pytest.mark.parametrize(
    ("spans", "start", "covered"),
    [
        pytest.param([days(0, 50)], 0, 50, id="one"),
        pytest.param([days(0, 50), days(10, 40)], 0, 50, id="overlap-counts-once"),
        pytest.param([days(0, 50), days(49, 99)], 0, 99, id="renewed-back-to-back"),
        pytest.param([days(0, 40), days(100, 140)], 0, 80, id="two-in-one-window"),
        pytest.param([days(0, 60), days(200, 260)], 0, 60, id="apart"),
        pytest.param([days(0, 30), days(170, 240)], 170, 70, id="the-later-span-whole"),
        pytest.param([days(0, 100), days(170, 200)], 0, 110, id="two-spans-partly"),
    ],
)
def test_the_busiest_window_is_found_however_the_spans_are_cut(spans, start, covered):
    found_start, found = busiest_window(spans, WINDOW)
    assert found == timedelta(days=covered)
    assert found_start == T0 + timedelta(days=start)


def test_no_span_has_no_busiest_window():
    with pytest.raises(ValueError, match="no span"):
        busiest_window([], WINDOW)


def waiver(**scope: str | None) -> ExceptionFact:
    return ExceptionFact(
        id=1,
        check="build-level-3",
        requested_by="alice",
        approved_by="bob",
        expires_at=T0 + timedelta(days=10),
        **scope,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("scope", "question", "covered"),
    [
        ({}, (None, "payments@1", None), True),
        ({}, ("production", "payments@1", "sha256:a"), True),
        ({"environment": "canary"}, ("canary", "payments@1", "sha256:a"), True),
        ({"environment": "canary"}, ("production", "payments@1", "sha256:a"), False),
        ({"environment": "canary"}, (None, "payments@1", None), False),
        ({"release": "payments@1"}, (None, "payments@1", None), True),
        ({"release": "payments@1"}, ("production", "payments@2", "sha256:a"), False),
        ({"digest": "sha256:a"}, ("production", "payments@1", "sha256:a"), True),
        ({"digest": "sha256:a"}, ("production", "payments@1", "sha256:b"), False),
        ({"digest": "sha256:a"}, (None, "payments@1", None), False),
    ],
)
def test_a_scope_covers_only_the_questions_that_name_it(scope, question, covered):
    assert waiver(**scope).covers(*question) is covered


def test_a_lapse_stays_a_lapse_once_revoked_and_a_revocation_before_it_is_none():
    later = T0 + timedelta(days=20)
    lapsed = ExceptionFact(
        id=1,
        check="build-level-3",
        requested_by="alice",
        approved_by="bob",
        expires_at=T0 + timedelta(days=10),
        revoked=True,
        revoked_at=T0 + timedelta(days=15),
    )
    assert lapsed.lapsed(later)
    early = ExceptionFact(
        id=2,
        check="build-level-3",
        requested_by="alice",
        approved_by="bob",
        expires_at=T0 + timedelta(days=10),
        revoked=True,
        revoked_at=T0 + timedelta(days=5),
    )
    assert not early.lapsed(later)
    never_approved = ExceptionFact(
        id=3, check="build-level-3", requested_by="alice", expires_at=T0 + timedelta(days=10)
    )
    assert not never_approved.lapsed(later)
