"""Audit events: the leaf bytes are RFC 8785 canonical JSON of exactly the event's fields."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785

from app.audit.events import ANONYMOUS, Actor, Change, leaf_bytes
from app.auth.credentials import Principal, Role, new_token, token_digest

TIME = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
ACTOR = Actor(type="token", name="ci-main", role="admin")
CHANGE = Change(
    action="service.created",
    object_kind="service",
    object_id="payments",
    result={"ok": True},
)
EVENT_KEYS = {
    "index",
    "time",
    "actor",
    "action",
    "object",
    "document_sha256",
    "request_id",
    "result",
}


def leaf(**overrides) -> bytes:
    arguments = {"index": 7, "time": TIME, "actor": ACTOR, "request_id": "req-1", "change": CHANGE}
    arguments.update(overrides)
    return leaf_bytes(**arguments)


def test_leaf_bytes_are_exactly_the_canonical_event():
    assert leaf() == (
        b'{"action":"service.created",'
        b'"actor":{"name":"ci-main","role":"admin","type":"token"},'
        b'"document_sha256":null,"index":7,'
        b'"object":{"id":"payments","kind":"service"},'
        b'"request_id":"req-1","result":{"ok":true},'
        b'"time":"2026-01-02T03:04:05.000006Z"}'
    )


def test_leaf_bytes_have_sorted_keys_and_no_whitespace():
    data = leaf()
    parsed = json.loads(data)

    assert data == json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    assert data == rfc8785.dumps(parsed)
    assert b" " not in data
    assert b"\n" not in data


def test_leaf_holds_the_event_fields_and_nothing_else():
    change = Change(
        action="evidence.accepted",
        object_kind="artifact",
        object_id="sha256:" + "ab" * 32,
        result={"verified": True},
        document_sha256="cd" * 32,
    )
    event = json.loads(leaf(index=12, request_id="req-42", change=change))

    assert set(event) == EVENT_KEYS
    assert event["index"] == 12
    assert event["actor"] == {"type": "token", "name": "ci-main", "role": "admin"}
    assert event["action"] == "evidence.accepted"
    assert event["object"] == {"kind": "artifact", "id": "sha256:" + "ab" * 32}
    assert event["document_sha256"] == "cd" * 32
    assert event["request_id"] == "req-42"
    assert event["result"] == {"verified": True}


def test_a_change_without_a_document_records_null():
    assert json.loads(leaf())["document_sha256"] is None


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        pytest.param(TIME, "2026-01-02T03:04:05.000006Z", id="utc"),
        pytest.param(
            datetime(2026, 1, 2, 5, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-02T03:04:05.000006Z",
            id="east of utc",
        ),
        pytest.param(
            datetime(2026, 1, 1, 22, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
            "2026-01-02T03:04:05.000000Z",
            id="west of utc, across midnight, whole seconds",
        ),
    ],
)
def test_time_is_written_in_utc_with_z_and_microseconds(time, expected):
    assert json.loads(leaf(time=time))["time"] == expected


def test_a_naive_time_is_refused():
    # Read as local time it would hash differently on servers in other time zones.
    with pytest.raises(ValueError, match="timezone-aware"):
        leaf(time=datetime(2026, 1, 2, 3, 4, 5))  # noqa: DTZ001 - the naive time under test


def test_result_is_canonicalised_too():
    first = Change("policy.updated", "service", "payments", {"b": 1.0, "a": {"z": "é", "y": 2}})
    second = Change("policy.updated", "service", "payments", {"a": {"y": 2, "z": "é"}, "b": 1})

    data = leaf(change=first)

    assert data == leaf(change=second)
    assert b'"result":{"a":{"y":2,"z":"\xc3\xa9"},"b":1}' in data


def test_actor_of_a_principal_carries_its_name_and_role_only():
    secret = new_token()
    principal = Principal(
        token_id=99, name="deploy-bot", role=Role.PIPELINE, services=("payments",)
    )

    actor = Actor.of(principal)
    data = leaf(actor=actor)

    assert actor == Actor(type="token", name="deploy-bot", role="pipeline")
    assert actor.as_json() == {"type": "token", "name": "deploy-bot", "role": "pipeline"}
    assert json.loads(data)["actor"] == actor.as_json()
    assert {field.name for field in dataclasses.fields(Actor)} == {"type", "name", "role"}
    assert secret.encode() not in data
    assert token_digest(secret).hex().encode() not in data
    assert b"atd_" not in data
    assert b"99" not in data  # the token's row id is not part of the event


@pytest.mark.parametrize("role", list(Role))
def test_actor_of_every_role(role):
    principal = Principal(token_id=1, name="someone", role=role, services=None)

    assert Actor.of(principal).as_json() == {"type": "token", "name": "someone", "role": role.value}


def test_an_actor_without_a_role_has_no_role_key():
    assert ANONYMOUS.as_json() == {"type": "anonymous", "name": "anonymous"}
    assert Actor(type="cli", name="attestd").as_json() == {"type": "cli", "name": "attestd"}
    assert json.loads(leaf(actor=ANONYMOUS))["actor"] == {"type": "anonymous", "name": "anonymous"}
