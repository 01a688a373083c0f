"""Hardened JSON parsing with orjson, for every document attestd reads. Pure: no I/O.

``parse_strict_json`` refuses, with ``JsonRefused``: invalid UTF-8 (a byte order mark
included), syntax errors, ``NaN`` / ``Infinity`` and numbers that overflow a double,
integers that would be rounded (outside [-2**63, 2**64)) and floats of that magnitude,
duplicate object keys, a NUL character in a string (raw or as ``\\u0000``;
PostgreSQL text cannot hold it and no field of a supply-chain document needs it),
nesting deeper than ``MAX_DEPTH``. Each domain turns the refusal into its own problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from app.collector import collector_paused

# Deepest nesting accepted. The document (its root object, array or element) is level
# 1 and every value inside an array or object, or element inside an element, is one
# level deeper than its parent: {"a": [1]} has 3 levels. Real SBOMs stay far below it
# (a nested CycloneDX component costs two levels); it keeps every later recursive walk
# of a document far from Python's recursion limit. orjson stops at 1024 levels on its
# own and libxml2 (without huge_tree) at 256.
MAX_DEPTH = 128

# Reasons quote at most this much of a key or a parser message.
QUOTE_MAX = 200

# orjson keeps the last of duplicate keys silently, so duplicates are found another
# way. Measured here on a 10,000-component CycloneDX 1.6 document (5.3 MB):
#
#   orjson.loads                                     113 ms, 49-63 ms with the GC paused
#   json.loads + object_pairs_hook (exact check)     207 ms, 130 ms with the GC paused
#   Python walk of the parsed tree (keys + depth)     57-70 ms on top of orjson
#   regex tokenising of the raw bytes for keys       107 ms on top of orjson
#   chosen: one indented orjson.dumps + byte counts   ~40 ms on top of orjson
#
# The chosen check: every ':' outside a string is a key separator, and a ':' inside a
# string is written literally or as \u003a. orjson.dumps writes one ':' per key and
# every ':' of string content literally. So unless the raw text holds a \u003a escape,
# raw.count(':') == dumped.count(':') exactly when no key was dropped, and a dropped
# duplicate always makes the dump shorter by at least its own ':'. A mismatch (or a
# \u003a escape) sends the document to the exact but slower stdlib check, which also
# names the key. The same dump, indented two spaces per level, shows the depth: a
# value at level L starts a line indented 2 * (L - 1) spaces (newlines inside strings
# are escaped, so every newline is structural), so a line indented 2 * MAX_DEPTH spaces
# means a value deeper than MAX_DEPTH. A search for it runs at memchr speed.
_TOO_DEEP_LINE = b"\n" + b" " * (2 * MAX_DEPTH)
_ESCAPED_COLONS = (b"\\u003a", b"\\u003A")
# A float in orjson's output written with an exponent ("e+NN"; orjson uses one from
# 1e16 up). Exponent text is also common inside strings (base64 holds "e+"), so each
# "e+" is found with a plain search and only then read as a number, which must stand
# as a value: after a key's `": ` (a quote that closes a key, not an escaped one),
# first on its line (an array element), or the whole document.
_EXPONENT_FLOAT = re.compile(rb"-?\d+(?:\.\d+)?e\+(\d+)")
_NUMBER_BYTES = frozenset(b"0123456789.-")
_BACKSLASH = 0x5C
# orjson reads integers outside [-2**63, 2**64) as floats, rounding them silently.
_ROUNDED = float(2**63)
# A \u0000 escape in orjson's output that is not itself an escaped backslash + "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _large_floats(dumped: bytes) -> Iterator[bytes]:
    """The float values of 1e18 or more in orjson's indented output, as written."""
    at = dumped.find(b"e+")
    while at != -1:
        start = at
        while start > 0 and dumped[start - 1] in _NUMBER_BYTES:
            start -= 1
        match = _EXPONENT_FLOAT.match(dumped, start)
        if (
            match is not None
            and match.start(1) == at + 2
            and int(match.group(1)) >= 18
            and _starts_value(dumped, start)
        ):
            yield match.group(0)
        at = dumped.find(b"e+", at + 2)


def _starts_value(dumped: bytes, start: int) -> bool:
    """Whether the token at ``start`` is a value: after a key's ': ', or first on its line."""
    line_start = dumped.rfind(b"\n", 0, start) + 1
    if not dumped[line_start:start].strip(b" "):
        return True
    if dumped[start - 3 : start] != b'": ':
        return False
    # The quote closes a key unless an odd number of backslashes escapes it.
    position = start - 4
    backslashes = 0
    while position >= 0 and dumped[position] == _BACKSLASH:
        backslashes += 1
        position -= 1
    return backslashes % 2 == 0


def quote(value: str) -> str:
    """``value`` as a short JSON string, for a reason."""
    if len(value) > QUOTE_MAX:
        value = value[:QUOTE_MAX] + "…"
    return orjson.dumps(value).decode()


class JsonRefused(ValueError):
    """Why a document is not acceptable JSON: ``problem`` completes "The document …"."""

    def __init__(self, problem: str, reason: str) -> None:
        super().__init__(f"{problem}: {reason}")
        self.problem = problem
        self.reason = reason


def too_deep() -> JsonRefused:
    return JsonRefused("is nested too deeply", f"nesting is deeper than {MAX_DEPTH} levels")


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return document


def _find_duplicate_key(body: bytes) -> str | None:
    """The first duplicated key of a document orjson accepted (exact, slower)."""
    try:
        json.loads(body, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKeyError as duplicate:
        return duplicate.key
    return None


def parse_strict_json(body: bytes) -> Any:
    """The JSON value in ``body``, or ``JsonRefused`` saying why it is not acceptable."""
    # Pausing the collector while orjson builds hundreds of thousands of objects makes
    # big parses ~2x faster (measured above); nothing here creates reference cycles.
    try:
        with collector_paused():
            document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):
            raise too_deep() from None
        raise JsonRefused("is not well-formed JSON", str(error)[:QUOTE_MAX]) from None

    try:
        dumped = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        # orjson refuses to serialise nesting beyond its own recursion limit (254).
        raise too_deep() from None
    if _TOO_DEEP_LINE in dumped:
        raise too_deep()

    if body.count(b":") != dumped.count(b":") or any(e in body for e in _ESCAPED_COLONS):
        duplicate = _find_duplicate_key(body)
        if duplicate is not None:
            raise JsonRefused(
                "has an object with a duplicate key",
                f"duplicate key {quote(duplicate)} in an object",
            )

    for number in _large_floats(dumped):
        if abs(float(number)) >= _ROUNDED:
            raise JsonRefused(
                "has a number out of range",
                f"{number.decode()[:40]}: numbers of magnitude 2**63 or more must "
                "be integers below 2**64 (larger ones would be rounded)",
            )

    if b"\\u0000" in dumped and _NUL_ESCAPE.search(dumped):
        raise JsonRefused("contains a NUL character", "a string contains a NUL character (\\u0000)")
    return document
