"""Fixtures of the maturity tests: a clock the scoring code reads, and a second admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from app.auth.credentials import Role
from app.db.base import utcnow
from app.scoring import exceptions, snapshots, verdicts
from tests.conftest import bearer


@dataclass
class Clock:
    """The time maturity is evaluated at: the real time plus ``offset``."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Moves the time that snapshots, exceptions and verdicts are evaluated at."""
    moved = Clock()
    for module in (snapshots, exceptions, verdicts):
        monkeypatch.setattr(module, "utcnow", moved.now)
    return moved


@pytest.fixture
def second_admin_headers(make_token) -> dict[str, str]:
    """An admin other than ``admin_headers``'s: the one who approves exceptions."""
    return bearer(make_token(Role.ADMIN, name="second-admin"))
