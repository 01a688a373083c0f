"""/v1/exceptions over HTTP: requesting, approving, revoking, expiring and listing waivers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.auth.credentials import Role
from app.auth.models import ApiToken
from app.pagination import encode_position
from app.scoring.models import JUSTIFICATION_MAX, MaturitySnapshot, PolicyException
from app.scoring.schemas import JUSTIFICATION_MIN, MAX_EXCEPTION_DAYS
from tests.attestations.submissions import register
from tests.builders.credentials import bearer
from tests.problems import assert_problem
from tests.sboms.uploads import audit_events
from tests.scoring.reads import check_of, maturity_of

EXCEPTIONS = "/v1/exceptions"
SERVICE = "payments"
OTHER_SERVICE = "ledger"
JUSTIFICATION = "The SBOM generator is being replaced; the new release job ships next sprint."
NOT_WAIVABLE = ("service-repository", "exceptions-controlled", "few-exceptions")


@pytest.fixture
def service(client, admin_headers) -> str:
    """A registered service with no evidence: sbom-present fails, the level is 0."""
    register(client, admin_headers, SERVICE)
    return SERVICE


def _expiry(clock, delta: timedelta) -> str:
    return (clock.now() + delta).isoformat()


def _request(
    client,
    headers: dict[str, str],
    clock,
    *,
    service: str = SERVICE,
    check: str = "sbom-present",
    justification: str = JUSTIFICATION,
    lasts: timedelta = timedelta(days=30),
) -> Any:
    body = {
        "service": service,
        "check": check,
        "justification": justification,
        "expires_at": _expiry(clock, lasts),
    }
    return client.post(EXCEPTIONS, json=body, headers=headers)


def _requested(client, headers: dict[str, str], clock, **fields: Any) -> dict[str, Any]:
    response = _request(client, headers, clock, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "pending"
    return body


def _approved(client, requester, approver, clock, **fields: Any) -> dict[str, Any]:
    exception = _requested(client, requester, clock, **fields)
    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=approver)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "approved"
    return body


def _exception_events(run_in_session) -> list[dict[str, Any]]:
    return [e for e in audit_events(run_in_session) if e["action"].startswith("exception.")]


def _counts(run_in_session) -> dict[str, int]:
    """Exception rows, snapshots and audit leaves: what a refused request must not add."""

    def count(session: Session) -> dict[str, int]:
        return {
            "exceptions": session.scalar(select(func.count()).select_from(PolicyException)) or 0,
            "snapshots": session.scalar(select(func.count()).select_from(MaturitySnapshot)) or 0,
        }

    counts: dict[str, int] = run_in_session(count)
    return {**counts, "audit_leaves": len(audit_events(run_in_session))}


def _triggers(client, headers: dict[str, str], service: str = SERVICE) -> list[str]:
    response = client.get(f"/v1/services/{service}/maturity/history", headers=headers)
    assert response.status_code == 200, response.text
    return [item["trigger"] for item in response.json()["items"]]


def _listing(client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /v1/exceptions with ``params``, following ``next`` to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(EXCEPTIONS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        if "limit" in params:
            assert len(page["items"]) <= params["limit"]
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items
    raise AssertionError("the listing never ended")


# --- the lifecycle ----------------------------------------------------------------------------


def _assert_leaf(
    leaf: dict[str, Any], action: str, actor: str, exception: dict[str, Any], **result: Any
) -> None:
    """``leaf`` records ``action`` on ``exception`` by the admin token ``actor``."""
    assert leaf["action"] == action
    assert leaf["actor"] == {"type": "token", "name": actor, "role": "admin"}
    assert leaf["object"] == {"kind": "exception", "id": str(exception["id"])}
    expected = {
        "service": exception["service"],
        "check": exception["check"],
        "justification": exception["justification"],
        "requested_by": exception["requested_by"],
        **result,
    }
    assert {key: leaf["result"][key] for key in expected} == expected
    expires = datetime.fromisoformat(leaf["result"]["expires_at"])
    assert expires == datetime.fromisoformat(exception["expires_at"])


def test_request_approve_revoke_record_who_did_it_in_the_audit_log(
    client, service, clock, admin_headers, second_admin_headers, auditor_headers, run_in_session
):
    requested = _requested(client, admin_headers, clock)
    exception_id = requested["id"]
    assert requested["service"] == SERVICE
    assert requested["check"] == "sbom-present"
    assert requested["justification"] == JUSTIFICATION
    assert requested["requested_by"] == "admin-token"
    assert (requested["approved_by"], requested["revoked_by"]) == (None, None)
    (leaf,) = _exception_events(run_in_session)
    assert leaf["index"] == requested["audit_index"]
    _assert_leaf(leaf, "exception.requested", "admin-token", requested, approved_by=None)

    approval = client.post(f"{EXCEPTIONS}/{exception_id}/approve", headers=second_admin_headers)
    assert approval.status_code == 200, approval.text
    approved = approval.json()
    assert approved["status"] == "approved"
    assert approved["approved_by"] == "second-admin"
    assert approved["approved_at"] is not None
    leaf = _exception_events(run_in_session)[-1]
    _assert_leaf(leaf, "exception.approved", "second-admin", requested, approved_by="second-admin")
    read = client.get(f"{EXCEPTIONS}/{exception_id}", headers=auditor_headers)
    assert read.status_code == 200, read.text
    assert read.json() == approved

    revocation = client.delete(f"{EXCEPTIONS}/{exception_id}", headers=admin_headers)
    assert revocation.status_code == 200, revocation.text
    revoked = revocation.json()
    assert revoked["status"] == "revoked"
    assert revoked["revoked_by"] == "admin-token"
    assert revoked["revoked_at"] is not None
    leaf = _exception_events(run_in_session)[-1]
    _assert_leaf(leaf, "exception.revoked", "admin-token", requested, revoked_by="admin-token")
    assert [e["action"] for e in _exception_events(run_in_session)] == [
        "exception.requested",
        "exception.approved",
        "exception.revoked",
    ]


def test_an_approved_exception_waives_its_check_until_it_is_revoked(
    client, service, clock, admin_headers, second_admin_headers, auditor_headers
):
    before = maturity_of(client, auditor_headers)
    assert before["level"] == 0
    assert check_of(before, "sbom-present")["status"] == "fail"
    exception_id = _requested(client, admin_headers, clock)["id"]

    # A pending exception waives nothing.
    pending = maturity_of(client, auditor_headers)
    assert pending["level"] == 0
    assert check_of(pending, "sbom-present")["status"] == "fail"
    assert check_of(pending, "sbom-present")["waived_by"] is None

    approval = client.post(f"{EXCEPTIONS}/{exception_id}/approve", headers=second_admin_headers)
    assert approval.status_code == 200, approval.text

    waived = maturity_of(client, auditor_headers)
    sbom_present = check_of(waived, "sbom-present")
    assert sbom_present["status"] == "waived"
    assert sbom_present["waived_by"] == exception_id
    assert f"exception {exception_id}" in sbom_present["detail"]
    assert "second-admin" in sbom_present["detail"]
    assert f"exception:{exception_id}" in sbom_present["evidence"]
    assert sbom_present["remediation"]
    assert waived["level"] == 1
    assert waived["level_name"] == "Build"
    # A waiver unblocks the level; it does not make the evidence better.
    assert sbom_present["score"] == 0
    assert check_of(waived, "few-exceptions")["status"] == "pass"
    assert check_of(waived, "exceptions-controlled")["status"] == "pass"

    revocation = client.delete(f"{EXCEPTIONS}/{exception_id}", headers=admin_headers)
    assert revocation.status_code == 200, revocation.text

    after = maturity_of(client, auditor_headers)
    assert check_of(after, "sbom-present")["status"] == "fail"
    assert check_of(after, "sbom-present")["waived_by"] is None
    assert after["level"] == 0
    assert _triggers(client, auditor_headers)[:3] == [
        "exception.revoked",
        "exception.approved",
        "exception.requested",
    ]


def test_revoking_again_answers_the_same_and_records_nothing(
    client, service, clock, admin_headers, second_admin_headers, run_in_session
):
    exception = _approved(client, admin_headers, second_admin_headers, clock)
    first = client.delete(f"{EXCEPTIONS}/{exception['id']}", headers=admin_headers)
    assert first.status_code == 200, first.text
    stored = _counts(run_in_session)

    again = client.delete(f"{EXCEPTIONS}/{exception['id']}", headers=second_admin_headers)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["revoked_by"] == "admin-token"
    assert _counts(run_in_session) == stored


def test_a_pending_exception_can_be_revoked_and_then_not_approved(
    client, service, clock, admin_headers, second_admin_headers, auditor_headers
):
    exception = _requested(client, admin_headers, clock)
    revoked = client.delete(f"{EXCEPTIONS}/{exception['id']}", headers=second_admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["approved_by"] is None

    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=second_admin_headers)

    body = assert_problem(response, 409, "exception-not-pending")
    assert body["reasons"] == ["status: revoked"]
    assert check_of(maturity_of(client, auditor_headers), "sbom-present")["status"] == "fail"


# --- expiry: time alone, no job -----------------------------------------------------------------


def test_an_expired_exception_stops_applying_on_the_next_read(
    client, service, clock, admin_headers, second_admin_headers, auditor_headers
):
    exception = _approved(
        client, admin_headers, second_admin_headers, clock, lasts=timedelta(days=1)
    )
    exception_id = exception["id"]
    waived = maturity_of(client, auditor_headers)
    assert waived["level"] == 1
    assert datetime.fromisoformat(waived["valid_until"]) == datetime.fromisoformat(
        exception["expires_at"]
    )

    clock.advance(timedelta(days=1, minutes=1))

    read = client.get(f"{EXCEPTIONS}/{exception_id}", headers=auditor_headers)
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "expired"
    expired = maturity_of(client, auditor_headers)
    assert expired["trigger"] == "time"
    assert expired["snapshot_id"] > waived["snapshot_id"]
    assert expired["level"] == 0
    sbom_present = check_of(expired, "sbom-present")
    assert sbom_present["status"] == "fail"
    assert sbom_present["waived_by"] is None
    controlled = check_of(expired, "exceptions-controlled")
    assert controlled["status"] == "fail"
    assert controlled["score"] == 0
    assert f"exception {exception_id} on sbom-present" in controlled["detail"]
    assert "expired and the check still fails" in controlled["detail"]
    assert f"exception:{exception_id}" in controlled["evidence"]
    assert controlled["remediation"]
    assert _triggers(client, auditor_headers)[0] == "time"

    # Nothing is left for time to change: the next read answers the same snapshot.
    assert maturity_of(client, auditor_headers)["snapshot_id"] == expired["snapshot_id"]


def test_an_expired_exception_cannot_be_approved(
    client, service, clock, admin_headers, second_admin_headers
):
    exception = _requested(client, admin_headers, clock, lasts=timedelta(hours=1))
    clock.advance(timedelta(hours=2))

    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=second_admin_headers)

    body = assert_problem(response, 409, "exception-not-pending")
    assert body["reasons"] == ["status: expired"]


def test_an_approved_exception_cannot_be_approved_again(
    client, service, clock, admin_headers, second_admin_headers, make_token, run_in_session
):
    exception = _approved(client, admin_headers, second_admin_headers, clock)
    third_admin = bearer(make_token(Role.ADMIN, name="third-admin"))
    stored = _counts(run_in_session)

    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=third_admin)

    body = assert_problem(response, 409, "exception-not-pending")
    assert body["reasons"] == ["status: approved"]
    assert _counts(run_in_session) == stored


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "lasts", "reason"),
    [
        pytest.param("sbom-presence", timedelta(days=30), "unknown-check", id="unknown-check"),
        *(
            pytest.param(check, timedelta(days=30), "not-waivable", id=f"not-waivable-{check}")
            for check in NOT_WAIVABLE
        ),
        pytest.param("sbom-present", -timedelta(minutes=1), "expiry-in-past", id="past"),
        pytest.param(
            "sbom-present",
            timedelta(days=MAX_EXCEPTION_DAYS, minutes=5),
            "expiry-too-far",
            id="over-90-days",
        ),
        pytest.param("sbom-present", timedelta(days=365), "expiry-too-far", id="a-year"),
    ],
)
def test_a_refused_request_stores_nothing(
    client, service, clock, admin_headers, run_in_session, check, lasts, reason
):
    stored = _counts(run_in_session)

    response = _request(client, admin_headers, clock, check=check, lasts=lasts)

    body = assert_problem(response, 422, "invalid-exception")
    assert len(body["reasons"]) == 1
    assert body["reasons"][0].startswith(f"{reason}: ")
    assert check in body["detail"]
    assert _counts(run_in_session) == stored


def test_every_reason_of_a_refusal_is_given(client, service, clock, admin_headers, run_in_session):
    stored = _counts(run_in_session)

    response = _request(
        client, admin_headers, clock, check="few-exceptions", lasts=-timedelta(days=1)
    )

    body = assert_problem(response, 422, "invalid-exception")
    assert [reason.split(":")[0] for reason in body["reasons"]] == [
        "not-waivable",
        "expiry-in-past",
    ]
    assert _counts(run_in_session) == stored


def test_an_expiry_in_another_time_zone_is_the_same_moment(
    client, service, clock, admin_headers, run_in_session
):
    moment = (clock.now() + timedelta(days=89, hours=23)).astimezone(
        timezone(timedelta(hours=5, minutes=30))
    )
    body = {
        "service": SERVICE,
        "check": "sbom-present",
        "justification": JUSTIFICATION,
        "expires_at": moment.isoformat(),
    }

    response = client.post(EXCEPTIONS, json=body, headers=admin_headers)

    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["expires_at"]) == moment
    # 90 days and an hour ahead, written with a time zone west of UTC: still too far.
    too_far = (clock.now() + timedelta(days=90, hours=1)).astimezone(timezone(-timedelta(hours=8)))
    refused = client.post(
        EXCEPTIONS, json={**body, "expires_at": too_far.isoformat()}, headers=admin_headers
    )
    assert assert_problem(refused, 422, "invalid-exception")["reasons"][0].startswith(
        "expiry-too-far: "
    )


def test_the_limits_of_expiry_and_justification_are_accepted(client, service, clock, admin_headers):
    longest = _request(
        client,
        admin_headers,
        clock,
        lasts=timedelta(days=MAX_EXCEPTION_DAYS) - timedelta(minutes=5),
        justification="j" * JUSTIFICATION_MAX,
    )
    assert longest.status_code == 201, longest.text
    assert longest.json()["justification"] == "j" * JUSTIFICATION_MAX
    shortest = _request(
        client,
        admin_headers,
        clock,
        lasts=timedelta(minutes=5),
        justification="j" * JUSTIFICATION_MIN,
    )
    assert shortest.status_code == 201, shortest.text


@pytest.mark.parametrize(
    ("justification", "why"),
    [
        pytest.param("j" * (JUSTIFICATION_MIN - 1), "too short", id="19-characters"),
        pytest.param("j" * (JUSTIFICATION_MAX + 1), "too long", id="2001-characters"),
        pytest.param("", "empty", id="empty"),
        pytest.param("a control character \x07 in the justification", "control", id="control"),
    ],
)
def test_a_bad_justification_is_refused(
    client, service, clock, admin_headers, run_in_session, justification, why
):
    stored = _counts(run_in_session)

    response = _request(client, admin_headers, clock, justification=justification)

    assert_problem(response, 422, "invalid-request")
    assert _counts(run_in_session) == stored, why


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param({"expires_at": "2030-01-01T00:00:00"}, "no time zone", id="naive-expiry"),
        pytest.param({"expires_at": "next week"}, "not a time", id="not-a-time"),
        pytest.param({"approved_by": "someone"}, "unknown field", id="extra-field"),
        pytest.param({"service": "Not A Name"}, "bad service name", id="bad-service-name"),
        pytest.param({"check": None}, "no check", id="null-check"),
    ],
)
def test_a_malformed_request_is_refused(
    client, service, clock, admin_headers, run_in_session, change, why
):
    body = {
        "service": SERVICE,
        "check": "sbom-present",
        "justification": JUSTIFICATION,
        "expires_at": _expiry(clock, timedelta(days=1)),
        **change,
    }
    stored = _counts(run_in_session)

    response = client.post(EXCEPTIONS, json=body, headers=admin_headers)

    assert_problem(response, 422, "invalid-request")
    assert _counts(run_in_session) == stored, why


def test_an_exception_for_an_unknown_service_is_not_found(
    client, service, clock, admin_headers, run_in_session
):
    stored = _counts(run_in_session)

    response = _request(client, admin_headers, clock, service="no-such-service")

    assert_problem(response, 404, "service-not-found")
    assert _counts(run_in_session) == stored


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{EXCEPTIONS}/999"),
        ("POST", f"{EXCEPTIONS}/999/approve"),
        ("DELETE", f"{EXCEPTIONS}/999"),
    ],
)
def test_an_unknown_exception_is_not_found(
    client, service, clock, admin_headers, second_admin_headers, run_in_session, method, path
):
    _requested(client, admin_headers, clock)
    stored = _counts(run_in_session)

    response = client.request(method, path, headers=second_admin_headers)

    assert_problem(response, 404, "exception-not-found")
    assert _counts(run_in_session) == stored


@pytest.mark.parametrize("exception_id", [2**31, 2**63 - 1])
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/approve"), ("DELETE", "")])
def test_an_exception_id_beyond_the_id_column_is_a_422(
    client, service, admin_headers, run_in_session, exception_id, method, suffix
):
    stored = _counts(run_in_session)

    response = client.request(method, f"{EXCEPTIONS}/{exception_id}{suffix}", headers=admin_headers)

    assert_problem(response, 422, "invalid-request")
    assert _counts(run_in_session) == stored


# --- approval by the requester ------------------------------------------------------------------


def test_the_requesting_token_cannot_approve(
    client, service, clock, admin_headers, auditor_headers, run_in_session
):
    exception = _requested(client, admin_headers, clock)
    stored = _counts(run_in_session)

    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=admin_headers)

    body = assert_problem(response, 403, "self-approval")
    assert body["reasons"] == ["self-approval: the approver is the requester"]
    assert _counts(run_in_session) == stored
    read = client.get(f"{EXCEPTIONS}/{exception['id']}", headers=auditor_headers)
    assert read.json()["status"] == "pending"
    assert read.json()["approved_by"] is None
    assert check_of(maturity_of(client, auditor_headers), "sbom-present")["status"] == "fail"


def test_another_token_with_the_requesters_name_cannot_approve(
    client, service, clock, admin_headers, auditor_headers, make_token, run_in_session
):
    """A token re-issued under the requester's name is still the requester."""
    exception = _requested(client, admin_headers, clock)

    def retire_name(session: Session) -> None:
        # Names are unique: the first token gives its name up, as when it is replaced.
        session.execute(
            update(ApiToken).where(ApiToken.name == "admin-token").values(name="admin-token-old")
        )

    run_in_session(retire_name)
    same_name = bearer(make_token(Role.ADMIN, name="admin-token"))
    stored = _counts(run_in_session)

    response = client.post(f"{EXCEPTIONS}/{exception['id']}/approve", headers=same_name)

    assert_problem(response, 403, "self-approval")
    assert _counts(run_in_session) == stored
    read = client.get(f"{EXCEPTIONS}/{exception['id']}", headers=auditor_headers)
    assert read.json()["status"] == "pending"


# --- listing ----------------------------------------------------------------------------------


def test_listing_filters_by_service_and_status_and_paginates(
    client, service, clock, admin_headers, second_admin_headers, auditor_headers
):
    register(client, admin_headers, OTHER_SERVICE)
    checks = ["sbom-present", "sbom-quality", "artifact-signed", "provenance-present"]
    made: list[dict[str, Any]] = []
    for index, check in enumerate(checks):
        for name in (SERVICE, OTHER_SERVICE):
            made.append(_requested(client, admin_headers, clock, service=name, check=check))
            if index % 2:
                approval = f"{EXCEPTIONS}/{made[-1]['id']}/approve"
                assert client.post(approval, headers=second_admin_headers).status_code == 200
    revoked = made[0]["id"]
    assert client.delete(f"{EXCEPTIONS}/{revoked}", headers=admin_headers).status_code == 200
    status_of = {item["id"]: "pending" for item in made}
    status_of.update({item["id"]: "approved" for i, item in enumerate(made) if (i // 2) % 2})
    status_of[revoked] = "revoked"
    ids = [item["id"] for item in made]

    everything = _listing(client, auditor_headers)
    assert [item["id"] for item in everything] == sorted(ids)
    assert {item["id"]: item["status"] for item in everything} == status_of
    assert _listing(client, auditor_headers, limit=3) == everything
    assert _listing(client, auditor_headers, limit=1) == everything

    ours = _listing(client, auditor_headers, service=SERVICE, limit=2)
    assert [item["id"] for item in ours] == [i["id"] for i in made if i["service"] == SERVICE]
    assert {item["service"] for item in ours} == {SERVICE}

    for status in ("pending", "approved", "revoked", "expired"):
        wanted = [i for i in ids if status_of[i] == status]
        assert [item["id"] for item in _listing(client, auditor_headers, status=status)] == wanted
        paged = _listing(client, auditor_headers, status=status, limit=1)
        assert [item["id"] for item in paged] == wanted
    pending_of_other = _listing(
        client, auditor_headers, service=OTHER_SERVICE, status="pending", limit=1
    )
    assert [item["id"] for item in pending_of_other] == [
        i["id"] for i in made if i["service"] == OTHER_SERVICE and status_of[i["id"]] == "pending"
    ]

    # Status is read at the time of the listing: after expiry every unrevoked one is expired.
    clock.advance(timedelta(days=31))
    expired = _listing(client, auditor_headers, status="expired", limit=2)
    assert [item["id"] for item in expired] == [i for i in ids if i != revoked]
    assert _listing(client, auditor_headers, status="approved") == []


def test_a_cursor_past_every_id_is_the_end_of_the_listing(
    client, service, clock, admin_headers, auditor_headers
):
    _requested(client, admin_headers, clock)

    response = client.get(
        EXCEPTIONS, params={"cursor": encode_position(2**40)}, headers=auditor_headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next": None}


def test_listing_refuses_unknown_services_and_bad_queries(
    client, service, clock, admin_headers, auditor_headers
):
    _requested(client, admin_headers, clock)

    unknown = client.get(EXCEPTIONS, params={"service": "no-such"}, headers=auditor_headers)
    assert_problem(unknown, 404, "service-not-found")
    bad_status = client.get(EXCEPTIONS, params={"status": "active"}, headers=auditor_headers)
    assert_problem(bad_status, 422, "invalid-request")
    bad_cursor = client.get(EXCEPTIONS, params={"cursor": "not-ours"}, headers=auditor_headers)
    assert_problem(bad_cursor, 400, "invalid-cursor")
    extra = client.get(EXCEPTIONS, params={"check": "sbom-present"}, headers=auditor_headers)
    assert_problem(extra, 422, "invalid-request")


# --- roles ------------------------------------------------------------------------------------


def _routes(exception_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    body = {
        "service": SERVICE,
        "check": "sbom-present",
        "justification": JUSTIFICATION,
        "expires_at": (datetime.now().astimezone() + timedelta(days=1)).isoformat(),
    }
    return [
        ("POST", EXCEPTIONS, body),
        ("POST", f"{EXCEPTIONS}/{exception_id}/approve", None),
        ("DELETE", f"{EXCEPTIONS}/{exception_id}", None),
        ("GET", EXCEPTIONS, None),
        ("GET", f"{EXCEPTIONS}/{exception_id}", None),
    ]


def test_pipeline_tokens_may_not_use_any_exception_route(
    client, service, clock, admin_headers, pipeline_headers, run_in_session
):
    exception = _requested(client, admin_headers, clock)
    stored = _counts(run_in_session)

    for method, path, body in _routes(exception["id"]):
        response = client.request(method, path, json=body, headers=pipeline_headers)
        assert_problem(response, 403, "forbidden")

    assert _counts(run_in_session) == stored


def test_auditors_read_exceptions_but_change_none(
    client, service, clock, admin_headers, auditor_headers, run_in_session
):
    exception = _requested(client, admin_headers, clock)
    stored = _counts(run_in_session)

    for method, path, body in _routes(exception["id"]):
        response = client.request(method, path, json=body, headers=auditor_headers)
        if method == "GET":
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 403, "forbidden")

    assert _counts(run_in_session) == stored
    read = client.get(f"{EXCEPTIONS}/{exception['id']}", headers=auditor_headers)
    assert read.json()["status"] == "pending"


def test_every_exception_route_needs_a_token(client, service, clock, admin_headers):
    exception = _requested(client, admin_headers, clock)

    for method, path, body in _routes(exception["id"]):
        response = client.request(method, path, json=body)
        assert_problem(response, 401, "unauthenticated")
