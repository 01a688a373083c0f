"""Text taken from a server or a user, made safe for one line of a CI log.

Server text can carry what a signer put in a certificate; escaping line breaks
and other control characters keeps it from starting a line a CI runner would
read as a workflow command (``::set-output``, ``::add-mask::``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

__all__ = ["MAX_TEXT", "printable", "quoted", "reason_lines", "shown"]

# Longest text taken from the server into one line of output.
MAX_TEXT = 2000


def printable(text: str) -> str:
    """``text`` on one line, control characters escaped, at most ``MAX_TEXT`` characters."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "…"
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def quoted(text: str) -> str:
    """``text`` (its first 200 characters) printable and in double quotes."""
    return json.dumps(printable(text[:200]))


def shown(value: object) -> str:
    """A JSON value as a message quotes it: strings quoted, anything else as short JSON."""
    return quoted(value) if isinstance(value, str) else printable(json.dumps(value)[:200])


def reason_lines(reasons: Iterable[str], *, already_said: Iterable[str] = ()) -> list[str]:
    """``  - reason`` for each reason once, leaving out what the lines before already say.

    A server may repeat a reason, or give one that is its problem's detail word
    for word; a log that says each thing once is easier to act on.
    """
    said = {printable(text) for text in already_said}
    lines = []
    for reason in reasons:
        text = printable(reason)
        if text not in said:
            said.add(text)
            lines.append(f"  - {text}")
    return lines
