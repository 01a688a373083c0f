"""Every error is an RFC 9457 problem document, and none reveals internals."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.problems import assert_problem

# Looks like a credential, and appears nowhere in the code: if it shows up in a
# response, the response echoed the input.
SECRET_INPUT = "sk_live_" + "Zx9Qw7Er5Ty3Ui1Op0As2Df4Gh6Jk8Lz" * 4


@pytest.mark.parametrize("path", ["/nope", "/v1/nothing/here", "/v1/services/a/b/c"])
def test_unknown_route_is_a_not_found_problem(client, path):
    body = assert_problem(client.get(path), 404, "not-found", path)
    assert "errors" not in body


def test_wrong_method_is_a_method_not_allowed_problem(client):
    response = client.delete("/v1/services")
    body = assert_problem(response, 405, "method-not-allowed", "/v1/services")
    assert "GET" in body["detail"]


def test_method_not_allowed_lists_every_method_of_the_resource(client):
    # /v1/services has a GET and a POST route; the Allow header must name both,
    # not only the methods of whichever route matched the path first.
    allowed = client.delete("/v1/services").headers["Allow"]
    assert {method.strip() for method in allowed.split(",")} >= {"GET", "POST"}
    allowed = client.put("/v1/services/payments").headers["Allow"]
    assert {method.strip() for method in allowed.split(",")} >= {"GET", "PATCH"}


def test_missing_token_is_an_unauthenticated_problem(client):
    response = client.get("/v1/services")
    assert_problem(response, 401, "unauthenticated", "/v1/services")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "content", [b"{", b'{"name": "x",}', b"not json at all", b'{"name": "\xff\xfe"}']
)
def test_malformed_json_is_a_malformed_body_problem(client, admin_headers, content):
    response = client.post(
        "/v1/services",
        content=content,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400, "malformed-body", "/v1/services")
    assert "errors" not in body


def test_too_deeply_nested_json_is_a_malformed_body_problem_not_a_crash(client, admin_headers):
    depth = 20_000
    response = client.post(
        "/v1/services",
        content=b"[" * depth + b"]" * depth,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "malformed-body", "/v1/services")


def test_validation_failure_lists_field_errors(client, admin_headers):
    response = client.post(
        "/v1/services",
        json={"name": "Not A Slug", "repository": "ftp://example.com/x", "colour": "red"},
        headers=admin_headers,
    )
    body = assert_problem(response, 422, "invalid-request", "/v1/services")
    errors = body["errors"]
    assert errors
    for error in errors:
        assert set(error) == {"location", "message", "type"}
    locations = {error["location"] for error in errors}
    assert {"body.name", "body.repository", "body.colour"} <= locations
    assert {"string_pattern_mismatch", "value_error", "extra_forbidden"} <= {
        error["type"] for error in errors
    }
    # Reasons say the same thing in words.
    assert any(reason.startswith("body.name: ") for reason in body["reasons"])


def test_validation_failures_in_path_and_query_are_located(client, auditor_headers):
    response = client.get("/v1/services/NOT_A_SLUG", headers=auditor_headers)
    body = assert_problem(response, 422, "invalid-request", "/v1/services/NOT_A_SLUG")
    assert [error["location"] for error in body["errors"]] == ["path.name"]

    response = client.get("/v1/services?limit=lots", headers=auditor_headers)
    body = assert_problem(response, 422, "invalid-request", "/v1/services")
    assert [error["location"] for error in body["errors"]] == ["query.limit"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": SECRET_INPUT, "repository": "https://github.com/acme/payments"},
        {"name": "payments", "repository": "https://github.com/" + SECRET_INPUT},
        {"name": "payments", "repository": SECRET_INPUT},
        {"name": ["nested", SECRET_INPUT], "repository": {"value": SECRET_INPUT}},
        {"name": "payments", "repository": "https://github.com/a/b", "owner": 7, "x": SECRET_INPUT},
        {
            "name": "payments",
            "repository": "https://github.com/a/b",
            "owner": "a\x00" + SECRET_INPUT,
        },
    ],
)
def test_validation_problems_never_echo_the_input(client, admin_headers, payload):
    response = client.post("/v1/services", json=payload, headers=admin_headers)
    assert_problem(response, 422, "invalid-request", "/v1/services")
    assert SECRET_INPUT not in response.text
    assert SECRET_INPUT[:16] not in response.text
    assert '"input"' not in response.text


def test_query_validation_problems_never_echo_the_input(client, auditor_headers):
    response = client.get("/v1/services", params={"limit": SECRET_INPUT}, headers=auditor_headers)
    assert_problem(response, 422, "invalid-request", "/v1/services")
    assert SECRET_INPUT not in response.text


@pytest.fixture
def failing_client(app):
    """A client of an app with one extra route that fails with an unexpected error."""

    def fail_unexpectedly() -> None:
        raise RuntimeError("secret-internal-detail")

    app.add_api_route("/test/unhandled", fail_unexpectedly, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_unhandled_error_is_an_internal_error_problem_that_reveals_nothing(failing_client, caplog):
    with caplog.at_level(logging.ERROR, logger="attestd.errors"):
        response = failing_client.get("/test/unhandled", headers={"X-Request-ID": "boom-1"})
    body = assert_problem(response, 500, "internal-error", "/test/unhandled")
    assert body["request_id"] == "boom-1"
    assert response.headers["X-Request-ID"] == "boom-1"
    for leak in ("secret-internal-detail", "RuntimeError", "Traceback", "fail_unexpectedly", ".py"):
        assert leak not in response.text
    # The details are in the log instead.
    [record] = [r for r in caplog.records if r.name == "attestd.errors"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "secret-internal-detail" in caplog.text
    assert "Traceback" in caplog.text


def test_unhandled_error_gets_a_generated_request_id(failing_client):
    response = failing_client.get("/test/unhandled")
    body = assert_problem(response, 500, "internal-error", "/test/unhandled")
    assert len(body["request_id"]) == 32


def test_unhandled_error_is_counted_as_a_500(failing_client):
    failing_client.get("/test/unhandled")
    metrics = failing_client.get("/metrics").text
    assert (
        'attestd_http_requests_total{method="GET",route="/test/unhandled",status="500"} 1.0'
        in metrics
    )
