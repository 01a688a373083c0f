"""The time attestd acts at, injected where it is read.

Everything that stamps a row, judges an expiry or evaluates maturity asks a
``Clock``: the running application's (``SYSTEM_CLOCK``), or one a test moves.
Times are always timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Protocol


class Clock(Protocol):
    """Something that tells the time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


def utcnow() -> datetime:
    """The machine's current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return utcnow()


SYSTEM_CLOCK: Final = SystemClock()
