"""Audit events and their leaf bytes (RFC 8785 canonical JSON). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

from app.auth.credentials import Principal


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a token (by name and role, never its secret), the CLI or attestd."""

    type: str
    name: str
    role: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(type="token", name=principal.name, role=principal.role.value)

    def as_json(self) -> dict[str, str]:
        data = {"type": self.type, "name": self.name}
        if self.role is not None:
            data["role"] = self.role
        return data


ANONYMOUS = Actor(type="anonymous", name="anonymous")


@dataclass(frozen=True)
class Change:
    """What happened, before it has a place in the log."""

    action: str
    object_kind: str
    object_id: str
    result: dict[str, Any] = field(default_factory=dict)
    document_sha256: str | None = None


def leaf_bytes(
    *, index: int, time: datetime, actor: Actor, request_id: str, change: Change
) -> bytes:
    """The canonical JSON of one event: exactly the bytes that are hashed into the log."""
    if time.utcoffset() is None:
        # astimezone() would read a naive time as the machine's local time, so the
        # same event would hash differently on servers in different time zones.
        raise ValueError("an audit event time must be timezone-aware")
    event: dict[str, Any] = {
        "index": index,
        "time": time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "actor": actor.as_json(),
        "action": change.action,
        "object": {"kind": change.object_kind, "id": change.object_id},
        "document_sha256": change.document_sha256,
        "request_id": request_id,
        "result": change.result,
    }
    return rfc8785.dumps(event)
