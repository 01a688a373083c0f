"""Cursor pagination (app/pagination.py): pure functions, no server."""

from __future__ import annotations

import base64
import re

import pytest

from app.errors import InvalidCursor
from app.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    clamp_limit,
    decode_cursor,
    decode_position,
    encode_cursor,
    encode_position,
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, DEFAULT_LIMIT),
        (1, 1),
        (7, 7),
        (MAX_LIMIT, MAX_LIMIT),
        (0, 1),
        (-1, 1),
        (-(10**12), 1),
        (MAX_LIMIT + 1, MAX_LIMIT),
        (10**12, MAX_LIMIT),
        (10**100, MAX_LIMIT),
    ],
)
def test_clamp_limit(limit, expected):
    assert clamp_limit(limit) == expected


def test_default_limit_is_inside_the_bounds():
    assert 1 <= DEFAULT_LIMIT <= MAX_LIMIT


@pytest.mark.parametrize(
    "after",
    [
        "a",
        "payments",
        "a" * 63,
        "zeta-10",
        'quote " and backslash \\',
        "caf\u00e9",
        "\U0001f600",
        "\ud800",
        "line\nbreak",
    ],
)
def test_encode_then_decode_round_trips(after):
    cursor = encode_cursor(after)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), "a cursor is URL-safe and unpadded"
    assert decode_cursor(cursor) == after


def test_cursors_differ_for_different_keys():
    assert encode_cursor("a") != encode_cursor("b")


def test_no_cursor_means_the_first_page():
    assert decode_cursor(None) is None


def test_longest_accepted_cursor_is_4096_characters():
    # {"after":"…"} is 12 bytes around the key; 3072 bytes encode to 4096 characters.
    cursor = encode_cursor("a" * (3072 - 12))
    assert len(cursor) == 4096
    assert decode_cursor(cursor) == "a" * 3060


@pytest.mark.parametrize(
    ("cursor", "why"),
    [
        ("", "empty"),
        ("a", "impossible base64 length"),
        ("not base64!", "not base64"),
        ("é", "non-ASCII"),
        ("====", "only padding"),
        (_b64(b"not json"), "not JSON"),
        (_b64(b"\xff\xfe"), "not UTF-8"),
        (_b64(b"[1]"), "JSON list"),
        (_b64(b'"a"'), "JSON string"),
        (_b64(b"{}"), "no after"),
        (_b64(b'{"after":""}'), "empty after"),
        (_b64(b'{"after":1}'), "after not a string"),
        (_b64(b'{"after":null}'), "after null"),
        (_b64(b'{"after":"a\\u0000"}'), "NUL in after"),
        (_b64(b'{"after": "a"}'), "spacing the server never writes"),
        (_b64(b'{"after":"a","more":1}'), "extra key"),
        (encode_cursor("a") + "==", "padding the server never writes"),
        (".".join(encode_cursor("payments")), "junk between the characters"),
        (encode_cursor("a" * 3061), "4098 characters"),
        ("A" * 10_000, "far too long"),
    ],
)
def test_decode_rejects_cursors_it_did_not_issue(cursor, why):
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 400, why
    assert raised.value.slug == "invalid-cursor", why


def test_decode_rejects_an_over_long_cursor_before_decoding_it():
    with pytest.raises(InvalidCursor, match="too long"):
        decode_cursor(encode_cursor("a" * 3061))


def test_page_serialises_items_and_a_null_next():
    page = Page[int](items=[1, 2], next=None)
    assert page.model_dump(mode="json") == {"items": [1, 2], "next": None}


def test_a_position_cursor_round_trips_its_composite_key():
    cursor = encode_position("1.0.0", "pkg:npm/a@1.0.0", 42)
    assert decode_position(cursor, (str, str, int)) == ("1.0.0", "pkg:npm/a@1.0.0", 42)
    assert decode_position(encode_position("", "x", 0), (str, str, int)) == ("", "x", 0)
    assert decode_position(None, (int,)) is None


@pytest.mark.parametrize(
    ("cursor", "why"),
    [
        (encode_position("a", "b"), "too few parts"),
        (encode_position("a", "b", 1, 2), "too many parts"),
        (encode_position(1, "b", 1), "int where a string belongs"),
        (encode_position("a", "b", "1"), "string where an int belongs"),
        (_b64(b'{"after":["a","b",true]}'), "a boolean is not an int"),
        (_b64(b'{"after":["a\\u0000","b",1]}'), "NUL in a part"),
        (_b64(b'{"after":["a","b",1.5]}'), "float"),
        (encode_position("a", "b", -1), "negative"),
        (encode_position("a", "b", 2**63), "beyond 64 bits"),
        (_b64(b'{"after": ["a","b",1]}'), "spacing the server never writes"),
        (encode_cursor("a"), "a single-key cursor"),
        ("A" * 5000, "far too long"),
    ],
)
def test_decode_position_rejects_cursors_it_did_not_issue(cursor, why):
    with pytest.raises(InvalidCursor):
        decode_position(cursor, (str, str, int))
