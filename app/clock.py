"""The time attestd acts at, injected where it is read; the times documents state.

Everything that stamps a row, judges an expiry or evaluates maturity asks a
``Clock``: the running application's (``SYSTEM_CLOCK``), or one a test moves.
Times are always timezone-aware UTC; ``parse_rfc3339`` reads a document's time into one.
"""

from __future__ import annotations

import re
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


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_rfc3339(text: str) -> datetime | None:
    """An RFC 3339 date-time (with its offset) as an aware UTC datetime; None when it is not one."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        # 3.11's fromisoformat takes any number of fractional digits and "Z"; it refuses
        # impossible dates and leap seconds (:60), which Python cannot represent, and
        # moving a time at the edge of year 1 or 9999 to UTC can overflow.
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
