"""Audit events and their leaf bytes (RFC 8785 canonical JSON). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import rfc8785

from app.audit.actions import Action


class Caller(Protocol):
    """An authenticated caller as the log names it (``app.auth.credentials.Principal``)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a token (by name and role, never its secret), the CLI or attestd."""

    type: str
    name: str
    role: str | None = None

    @classmethod
    def of(cls, caller: Caller) -> Actor:
        return cls(type="token", name=caller.name, role=str(caller.role))

    def as_json(self) -> dict[str, str]:
        data = {"type": self.type, "name": self.name}
        if self.role is not None:
            data["role"] = self.role
        return data


ANONYMOUS = Actor(type="anonymous", name="anonymous")


@dataclass(frozen=True)
class Change:
    """What happened, before it has a place in the log."""

    action: Action
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
        "action": str(change.action),
        "object": {"kind": change.object_kind, "id": change.object_id},
        "document_sha256": change.document_sha256,
        "request_id": request_id,
        "result": change.result,
    }
    return rfc8785.dumps(event)
