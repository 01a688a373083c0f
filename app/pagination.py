"""Cursor pagination: clamped limits and opaque, validated cursors. Pure."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.errors import InvalidCursor

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_CURSOR_LENGTH = 4096

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="Cursor for the next page; null on the last page.")


class PageQuery(BaseModel):
    """The query parameters of a listing; any other parameter is an error."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(
        default=DEFAULT_LIMIT,
        description=f"Page size; values outside 1..{MAX_LIMIT} are clamped.",
    )
    cursor: str | None = Field(
        default=None,
        description=f"The `next` of the previous page (at most {_MAX_CURSOR_LENGTH} characters).",
    )


def clamp_limit(limit: int | None) -> int:
    """``limit`` brought into 1..MAX_LIMIT; None means the default."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


def encode_cursor(after: str) -> str:
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_position(*values: str | int) -> str:
    """A cursor continuing after a composite sort key (keyset pagination)."""
    raw = json.dumps({"after": list(values)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str | None, shape: tuple[type, ...]) -> tuple[str | int, ...] | None:
    """The composite key a cursor of ``encode_position`` continues after.

    ``shape`` gives the type of each part (str or int); anything else, or a
    cursor this server did not make, is InvalidCursor.
    """
    if cursor is None:
        return None
    data = _cursor_data(cursor)
    after = data.get("after") if isinstance(data, dict) else None
    if (
        not isinstance(after, list)
        or len(after) != len(shape)
        or not all(_is_part(value, kind) for value, kind in zip(after, shape, strict=True))
        or encode_position(*after) != cursor
    ):
        raise InvalidCursor("The cursor is not one this server issued.")
    return tuple(after)


def _is_part(value: object, kind: type) -> bool:
    if kind is int:
        # Keys are non-negative 64-bit ids: a larger number is no row's and would
        # overflow the database's integer types.
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
    return isinstance(value, str) and "\x00" not in value


def _cursor_data(cursor: str) -> object:
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor("The cursor is too long.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not one this server issued.") from None


def decode_cursor(cursor: str | None) -> str | None:
    """The sort key a cursor continues after; InvalidCursor when it is not one of ours."""
    if cursor is None:
        return None
    data = _cursor_data(cursor)
    after = data.get("after") if isinstance(data, dict) else None
    if not isinstance(after, str) or not after or "\x00" in after:
        raise InvalidCursor("The cursor is not one this server issued.")
    # The base64 decoder skips characters outside its alphabet and json accepts
    # any spacing and extra keys: only the exact text encode_cursor makes is ours.
    if encode_cursor(after) != cursor:
        raise InvalidCursor("The cursor is not one this server issued.")
    return after
