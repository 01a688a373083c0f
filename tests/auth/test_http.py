"""Bearer authentication and roles against real routes of the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.auth.credentials import Role
from app.auth.models import ApiToken
from app.auth.tokens import revoke_token
from tests.auth.token_samples import MALFORMED_TOKENS, WELL_FORMED_TOKENS
from tests.builders.credentials import bearer

SERVICES = "/v1/services"
NEW_SERVICE = {"name": "payments", "repository": "https://github.com/acme/payments"}
UNKNOWN_TOKEN = "atd_" + "A" * 43


def _assert_unauthenticated(response) -> dict[str, object]:
    """Check the one 401 answer and return its body without the request id."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="attestd"'
    body = response.json()
    assert body["slug"] == "unauthenticated"
    assert body["status"] == 401
    assert body["request_id"] == response.headers["x-request-id"]
    return {key: value for key, value in body.items() if key != "request_id"}


def _revoked_token(make_token, run_with_trail) -> str:
    secret = make_token(Role.ADMIN, name="gone")
    run_with_trail(lambda trail: revoke_token(trail, "gone"))
    return secret


def _last_used_at(run_in_session, name: str) -> datetime | None:
    return run_in_session(
        lambda session: session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == name))
    )


@pytest.mark.parametrize(
    ("method", "json"), [("GET", None), ("POST", NEW_SERVICE)], ids=["GET", "POST"]
)
def test_every_kind_of_bad_credential_gets_the_same_401(
    client, make_token, run_with_trail, method, json
):
    revoked = _revoked_token(make_token, run_with_trail)
    attempts = {
        "missing header": {},
        "basic scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "basic scheme with a token": {"Authorization": f"Basic {UNKNOWN_TOKEN}"},
        "bearer without token": {"Authorization": "Bearer "},
        "bearer alone": {"Authorization": "Bearer"},
        "malformed token": bearer("atd_short"),
        "well-formed unknown token": bearer(UNKNOWN_TOKEN),
        "revoked token": bearer(revoked),
    }

    bodies = {
        kind: _assert_unauthenticated(client.request(method, SERVICES, headers=h, json=json))
        for kind, h in attempts.items()
    }

    first = bodies["missing header"]
    assert first["instance"] == SERVICES
    assert first["detail"] == "A valid bearer token is required."
    for kind, body in bodies.items():
        assert body == first, kind


def test_a_refused_write_stores_nothing(client, auditor_headers):
    refused = client.post(SERVICES, json=NEW_SERVICE, headers=bearer(UNKNOWN_TOKEN))

    _assert_unauthenticated(refused)
    listed = client.get(SERVICES, headers=auditor_headers)
    assert listed.status_code == 200
    assert listed.json()["items"] == []


# Header values go over the wire as bytes; samples that no HTTP client can send
# (control characters) still reach the app through the ASGI test transport.
@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_malformed_tokens_get_401(client, token):
    response = client.get(SERVICES, headers={"Authorization": b"Bearer " + token.encode("utf-8")})

    _assert_unauthenticated(response)


@pytest.mark.usefixtures("admin_headers")  # the database holds a real token
@pytest.mark.parametrize("token", WELL_FORMED_TOKENS)
def test_well_formed_but_unknown_tokens_get_401(client, token):
    response = client.get(SERVICES, headers=bearer(token))

    _assert_unauthenticated(response)


def test_admin_and_auditor_may_list_services(client, admin_headers, auditor_headers):
    for headers in (admin_headers, auditor_headers):
        response = client.get(SERVICES, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next": None}


def test_the_bearer_scheme_name_is_case_insensitive(client, make_token):
    secret = make_token(Role.AUDITOR)

    response = client.get(SERVICES, headers={"Authorization": f"bearer {secret}"})

    assert response.status_code == 200, response.text


def test_pipeline_token_may_not_list_services(client, pipeline_headers):
    response = client.get(SERVICES, headers=pipeline_headers)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["slug"] == "forbidden"
    assert "www-authenticate" not in response.headers
    assert "admin or auditor" in body["detail"]


def test_auditor_may_not_create_a_service(client, auditor_headers):
    response = client.post(SERVICES, json=NEW_SERVICE, headers=auditor_headers)

    assert response.status_code == 403
    assert response.json()["slug"] == "forbidden"
    assert client.get(SERVICES, headers=auditor_headers).json()["items"] == []


def test_pipeline_may_not_create_a_service(client, pipeline_headers):
    response = client.post(SERVICES, json=NEW_SERVICE, headers=pipeline_headers)

    assert response.status_code == 403
    assert response.json()["slug"] == "forbidden"


def test_admin_may_create_a_service(client, admin_headers):
    response = client.post(SERVICES, json=NEW_SERVICE, headers=admin_headers)

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "payments"


def test_last_used_at_is_set_by_the_first_authenticated_call(client, make_token, run_in_session):
    secret = make_token(Role.AUDITOR, name="reader")
    assert _last_used_at(run_in_session, "reader") is None
    before = datetime.now(UTC)

    response = client.get(SERVICES, headers=bearer(secret))

    assert response.status_code == 200
    used = _last_used_at(run_in_session, "reader")
    assert used is not None
    assert before <= used <= datetime.now(UTC)


def test_a_refused_token_leaves_other_tokens_unused(client, make_token, run_in_session):
    make_token(Role.ADMIN, name="idle")

    client.get(SERVICES, headers=bearer(UNKNOWN_TOKEN))

    assert _last_used_at(run_in_session, "idle") is None


def test_unauthenticated_caller_gets_401_before_the_body_is_parsed(client):
    # Authentication comes first: a caller without a token learns nothing about
    # how its body would be judged, and makes the server parse nothing.
    response = client.post(
        SERVICES, content=b"{not json", headers={"Content-Type": "application/json"}
    )

    _assert_unauthenticated(response)


def test_unauthenticated_caller_gets_401_before_the_body_is_validated(client):
    response = client.post(SERVICES, json={"name": 5})

    _assert_unauthenticated(response)
