"""A clock tests can move: the real time plus an offset, injected into the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.clock import utcnow


@dataclass
class MovableClock:
    """The time attestd acts at: the real time plus ``offset``."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
