"""Every write is exactly one audit leaf, written in the write's own transaction.

A write that happens adds one leaf naming what changed, who changed it (a
token by name and role, never its secret) and the request id the client saw.
A request that is refused or fails adds nothing, unless its error is marked
with ``app.audit.log.reject``: then the rejection, and only it, is recorded.
Indices stay dense whatever is rolled back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter
from sqlalchemy import func, select

from app.api.deps import Admin, GuardedRoute, TrailDep
from app.audit import merkle
from app.audit.checkpoint import open_signed_note
from app.audit.events import Change
from app.audit.log import reject
from app.audit.models import AuditEntry
from app.auth.credentials import Role, token_digest
from app.auth.tokens import create_token, revoke_token
from app.errors import Conflict
from app.services import registry
from app.services.models import Service
from app.services.schemas import ServiceCreate
from app.signing import PublicKey
from tests.builders.credentials import bearer

SERVICES = "/v1/services"
REPOSITORY = "https://git.example.com/acme/payments"
CRASH = "/test/create-then-crash"
REFUSE = "/test/create-then-refuse"


class RefusedForTest(Conflict):
    slug = "refused-for-test"
    title = "Refused by a test route"


@pytest.fixture
def app(app):
    """The test app plus two routes that write and then fail."""
    router = APIRouter(route_class=GuardedRoute)

    @router.post(CRASH)
    def create_then_crash(trail: TrailDep, _: Admin) -> None:
        registry.create_service(trail, ServiceCreate(name="ghost", repository=REPOSITORY))
        raise RuntimeError("a bug after the write")

    @router.post(REFUSE)
    def create_then_refuse(trail: TrailDep, _: Admin) -> None:
        registry.create_service(trail, ServiceCreate(name="refused", repository=REPOSITORY))
        raise reject(
            RefusedForTest("The test refuses this after writing."),
            Change(
                action="service.refused",
                object_kind="service",
                object_id="refused",
                result={"reason": "test"},
            ),
        )

    app.include_router(router)
    return app


def leaves(run_in_session) -> list[dict[str, Any]]:
    """Every event in the log, in index order, checked to sit at its own index."""

    def read(session) -> list[str]:
        return list(session.scalars(select(AuditEntry.leaf).order_by(AuditEntry.idx)))

    events = [json.loads(text) for text in run_in_session(read)]
    assert [event["index"] for event in events] == list(range(len(events)))
    return events


def raw_leaves(run_in_session) -> str:
    return "\n".join(run_in_session(lambda s: list(s.scalars(select(AuditEntry.leaf)))))


def service_count(run_in_session) -> int:
    return run_in_session(lambda session: session.scalar(select(func.count(Service.id))))


def assert_secret_absent(run_in_session, secret: str) -> None:
    text = raw_leaves(run_in_session)
    assert secret not in text
    assert secret.removeprefix("atd_") not in text
    assert token_digest(secret).hex() not in text


def only_new(run_in_session, before: int) -> dict[str, Any]:
    events = leaves(run_in_session)
    assert len(events) == before + 1, events[before:]
    return events[before]


def create_payments(client, headers: dict[str, str]):
    """Register the service payments (owner team-a), checking that it was created."""
    created = client.post(
        SERVICES,
        json={"name": "payments", "repository": REPOSITORY, "owner": "team-a"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created


ADMIN_ACTOR = {"type": "token", "name": "alice", "role": "admin"}


@pytest.fixture
def admin(make_token) -> str:
    return make_token(Role.ADMIN, name="alice")


def test_creating_a_service_adds_one_leaf(client, run_in_session, admin):
    before = len(leaves(run_in_session))
    response = client.post(
        SERVICES,
        json={"name": "payments", "repository": REPOSITORY, "owner": "team-a"},
        headers={**bearer(admin), "X-Request-ID": "create-payments-1"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == "create-payments-1"
    event = only_new(run_in_session, before)
    assert event["index"] == before
    assert event["action"] == "service.created"
    assert event["object"] == {"kind": "service", "id": "payments"}
    assert event["actor"] == ADMIN_ACTOR
    assert event["request_id"] == "create-payments-1"
    assert event["result"] == {"repository": REPOSITORY, "owner": "team-a"}
    assert_secret_absent(run_in_session, admin)


def test_the_leaf_carries_the_generated_request_id(client, run_in_session, admin):
    before = len(leaves(run_in_session))
    response = client.post(
        SERVICES, json={"name": "payments", "repository": REPOSITORY}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    event = only_new(run_in_session, before)
    assert event["request_id"] == response.headers["X-Request-ID"]
    assert len(event["request_id"]) == 32


def test_an_unusable_request_id_is_replaced_in_the_leaf_too(client, run_in_session, admin):
    before = len(leaves(run_in_session))
    response = client.post(
        SERVICES,
        json={"name": "payments", "repository": REPOSITORY},
        headers={**bearer(admin), "X-Request-ID": "has spaces/and slashes"},
    )
    assert response.status_code == 201, response.text
    event = only_new(run_in_session, before)
    assert event["request_id"] == response.headers["X-Request-ID"] != "has spaces/and slashes"


def test_changing_a_service_adds_one_leaf_with_the_changed_fields(client, run_in_session, admin):
    headers = bearer(admin)
    create_payments(client, headers)
    before = len(leaves(run_in_session))
    response = client.patch(
        f"{SERVICES}/payments",
        json={"owner": "team-b", "repository": REPOSITORY},
        headers={**headers, "X-Request-ID": "patch-1"},
    )
    assert response.status_code == 200, response.text
    event = only_new(run_in_session, before)
    assert event["action"] == "service.updated"
    assert event["object"] == {"kind": "service", "id": "payments"}
    assert event["actor"] == ADMIN_ACTOR
    assert event["request_id"] == "patch-1"
    # Only what changed: the repository was sent unchanged.
    assert event["result"] == {"changed": {"owner": "team-b"}}


UNCHANGING_PATCHES = [
    {},
    {"owner": "team-a"},
    {"repository": REPOSITORY},
    {"repository": REPOSITORY + ".git"},  # the same repository, spelled differently
    {"repository": REPOSITORY, "owner": "team-a"},
]


def test_a_change_that_changes_nothing_adds_no_leaf(client, run_in_session, admin, subtests):
    headers = bearer(admin)
    created = create_payments(client, headers)
    for body in UNCHANGING_PATCHES:
        with subtests.test(body=body):
            before = len(leaves(run_in_session))
            response = client.patch(f"{SERVICES}/payments", json=body, headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["updated_at"] == created.json()["updated_at"]
            assert len(leaves(run_in_session)) == before


def test_creating_and_revoking_a_token_adds_one_leaf_each(run_with_trail, run_in_session):
    before = len(leaves(run_in_session))
    secret = run_with_trail(
        lambda trail: create_token(
            trail, name="deployer", role=Role.PIPELINE, services=("payments",)
        )[0]
    )
    created = only_new(run_in_session, before)
    assert created["action"] == "token.created"
    assert created["object"] == {"kind": "token", "id": "deployer"}
    assert created["actor"] == {"type": "cli", "name": "tests"}
    assert created["request_id"] == "tests"
    assert created["result"] == {"role": "pipeline", "services": ["payments"]}

    run_with_trail(lambda trail: revoke_token(trail, "deployer"))
    revoked = only_new(run_in_session, before + 1)
    assert revoked["action"] == "token.revoked"
    assert revoked["object"] == {"kind": "token", "id": "deployer"}
    assert revoked["result"] == {"role": "pipeline"}

    # Revoking again changes nothing, so it records nothing.
    run_with_trail(lambda trail: revoke_token(trail, "deployer"))
    assert len(leaves(run_in_session)) == before + 2
    assert isinstance(secret, str)
    assert_secret_absent(run_in_session, secret)


def test_the_token_commands_add_one_leaf_per_change(cli, run_in_session):
    before = len(leaves(run_in_session))
    result = cli("token", "create", "--role", "auditor", "--name", "reviewer")
    assert result.code == 0
    secret = result.out.strip()
    created = only_new(run_in_session, before)
    assert created["action"] == "token.created"
    assert created["object"] == {"kind": "token", "id": "reviewer"}
    assert created["actor"]["type"] == "cli"
    assert created["result"] == {"role": "auditor", "services": None}

    assert cli("token", "revoke", "reviewer").code == 0
    assert cli("token", "revoke", "reviewer").code == 0
    events = leaves(run_in_session)
    assert [event["action"] for event in events[before:]] == ["token.created", "token.revoked"]
    # Each command is its own request: the two leaves do not share a request id.
    assert events[before]["request_id"] != events[before + 1]["request_id"]
    assert_secret_absent(run_in_session, secret)


# Refused requests


def test_a_refused_request_adds_no_leaf_and_no_row(
    client, run_in_session, run_with_trail, make_token, admin, subtests
):
    headers = bearer(admin)
    valid = {"name": "payments", "repository": REPOSITORY}
    first = client.post(SERVICES, json=valid, headers=headers)
    assert first.status_code == 201, first.text
    stale = bearer(make_token(Role.ADMIN, name="stale"))
    run_with_trail(lambda trail: revoke_token(trail, "stale"))
    pipeline = bearer(make_token(Role.PIPELINE, name="pipeline"))
    auditor = bearer(make_token(Role.AUDITOR, name="auditor"))
    other = {"name": "other", "repository": REPOSITORY}
    refusals = [
        (
            "duplicate",
            409,
            "service-exists",
            lambda: client.post(SERVICES, json=valid, headers=headers),
        ),
        (
            "invalid body",
            422,
            "invalid-request",
            lambda: client.post(
                SERVICES, json={"name": "Not A Slug", "repository": REPOSITORY}, headers=headers
            ),
        ),
        (
            "unknown field",
            422,
            "invalid-request",
            lambda: client.post(SERVICES, json={**other, "admin": True}, headers=headers),
        ),
        (
            "malformed body",
            400,
            "malformed-body",
            lambda: client.post(
                SERVICES,
                content=b'{"name": "other",',
                headers={**headers, "Content-Type": "application/json"},
            ),
        ),
        ("no token", 401, "unauthenticated", lambda: client.post(SERVICES, json=other)),
        (
            "revoked token",
            401,
            "unauthenticated",
            lambda: client.post(SERVICES, json=other, headers=stale),
        ),
        (
            "pipeline token",
            403,
            "forbidden",
            lambda: client.post(SERVICES, json=other, headers=pipeline),
        ),
        (
            "auditor token",
            403,
            "forbidden",
            lambda: client.post(SERVICES, json=other, headers=auditor),
        ),
        (
            "auditor patch",
            403,
            "forbidden",
            lambda: client.patch(f"{SERVICES}/payments", json={"owner": "x"}, headers=auditor),
        ),
        (
            "unknown service",
            404,
            "service-not-found",
            lambda: client.patch(f"{SERVICES}/nowhere", json={"owner": "x"}, headers=headers),
        ),
        (
            "invalid patch",
            422,
            "invalid-request",
            lambda: client.patch(
                f"{SERVICES}/payments", json={"repository": None}, headers=headers
            ),
        ),
    ]
    for case, status, slug, send in refusals:
        with subtests.test(case=case):
            before_leaves = leaves(run_in_session)
            before_rows = service_count(run_in_session)
            response = send()
            assert response.status_code == status, response.text
            assert response.json()["slug"] == slug
            assert leaves(run_in_session) == before_leaves
            assert service_count(run_in_session) == before_rows


# Requests that fail after writing


def test_a_request_that_fails_after_writing_leaves_neither_row_nor_leaf(
    client, run_in_session, admin
):
    before = leaves(run_in_session)
    response = client.post(CRASH, headers={**bearer(admin), "X-Request-ID": "crash-1"})
    assert response.status_code == 500
    problem = response.json()
    assert problem["slug"] == "internal-error"
    assert problem["request_id"] == "crash-1"
    assert "a bug after the write" not in response.text
    assert client.get(f"{SERVICES}/ghost", headers=bearer(admin)).status_code == 404
    assert service_count(run_in_session) == 0
    assert leaves(run_in_session) == before


def test_a_rejected_request_records_only_its_rejection(client, run_in_session, admin):
    before = len(leaves(run_in_session))
    response = client.post(REFUSE, headers={**bearer(admin), "X-Request-ID": "refuse-1"})
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["slug"] == "refused-for-test"
    assert problem["detail"] == "The test refuses this after writing."
    assert problem["request_id"] == "refuse-1"
    # The service and its service.created leaf were rolled back...
    assert service_count(run_in_session) == 0
    # ...and the rejection alone was recorded, at the next index.
    event = only_new(run_in_session, before)
    assert event["index"] == before
    assert event["action"] == "service.refused"
    assert event["object"] == {"kind": "service", "id": "refused"}
    assert event["result"] == {"reason": "test"}
    assert event["actor"] == ADMIN_ACTOR
    assert event["request_id"] == "refuse-1"
    assert_secret_absent(run_in_session, admin)


def test_an_anonymous_request_to_a_rejecting_route_records_nothing(client, run_in_session):
    before = len(leaves(run_in_session))
    response = client.post(REFUSE)
    assert response.status_code == 401
    assert response.json()["slug"] == "unauthenticated"
    assert len(leaves(run_in_session)) == before


def test_failed_requests_leave_no_gap_in_the_indices(client, run_in_session, admin):
    headers = bearer(admin)
    before = len(leaves(run_in_session))
    assert client.post(CRASH, headers=headers).status_code == 500
    first = client.post(SERVICES, json={"name": "first", "repository": REPOSITORY}, headers=headers)
    assert first.status_code == 201, first.text
    assert client.post(REFUSE, headers=headers).status_code == 409
    assert client.post(CRASH, headers=headers).status_code == 500
    second = client.post(
        SERVICES, json={"name": "second", "repository": REPOSITORY}, headers=headers
    )
    assert second.status_code == 201, second.text
    events = leaves(run_in_session)  # also checks index == position for every leaf
    assert [(event["index"], event["action"]) for event in events[before:]] == [
        (before, "service.created"),
        (before + 1, "service.refused"),
        (before + 2, "service.created"),
    ]
    assert [event["object"]["id"] for event in events[before:]] == ["first", "refused", "second"]


def test_the_tree_stays_verifiable_after_failed_requests(client, run_in_session, admin):
    headers = bearer(admin)
    assert client.post(CRASH, headers=headers).status_code == 500
    assert client.post(REFUSE, headers=headers).status_code == 409
    assert (
        client.post(
            SERVICES, json={"name": "after", "repository": REPOSITORY}, headers=headers
        ).status_code
        == 201
    )
    texts = run_in_session(
        lambda s: list(s.scalars(select(AuditEntry.leaf).order_by(AuditEntry.idx)))
    )
    public = PublicKey.from_pem(client.get("/v1/keys").json()["keys"][0]["public_key_pem"].encode())
    checkpoint = open_signed_note(client.get("/v1/audit/checkpoint").json()["signed_note"], public)
    assert checkpoint.size == len(texts)
    levels = merkle.all_nodes([merkle.leaf_hash(text.encode()) for text in texts])
    assert checkpoint.root == merkle.root_of_prefix(levels, len(texts))
