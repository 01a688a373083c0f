"""Request ids, the access log and the HTTP metrics kept by the request middleware."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.logs import JsonFormatter
from app.main import create_app

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


# -- request ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    "offered",
    ["abc", "req-2024.11.27:42_x", "0" * 128, "a1B2-c3D4"],
)
def test_a_plain_request_id_is_echoed(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == offered


@pytest.mark.parametrize(
    "offered",
    [
        pytest.param("x" * 129, id="too-long"),
        pytest.param("with space", id="space"),
        pytest.param("tab\there", id="tab"),
        pytest.param("trailing-newline\n", id="trailing-newline"),
        pytest.param("semi;colon", id="semicolon"),
        pytest.param('quote"d', id="quote"),
        pytest.param("r\u00e9q-id".encode(), id="non-ascii"),
        pytest.param("\u2713".encode(), id="non-ascii-only"),
    ],
)
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    assert response.status_code == 200
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_an_empty_request_id_is_replaced_by_a_generated_one(client):
    response = client.get("/healthz", headers={"X-Request-ID": ""})
    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_without_a_request_id_one_is_generated_per_request(client):
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids)


def test_the_request_id_is_on_problems_too(client):
    response = client.get("/v1/services", headers={"X-Request-ID": "trace-401"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "trace-401"
    assert response.json()["request_id"] == "trace-401"


# -- access log ------------------------------------------------------------------


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """A stream receiving the access log as attestd formats it (JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("attestd.access")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_access_log_names_the_route_template_not_the_path(client, auditor_headers, access_log):
    response = client.get(
        "/v1/services/payments", headers={**auditor_headers, "X-Request-ID": "trace-1"}
    )
    assert response.status_code == 404
    [entry] = _entries(access_log)
    assert entry["logger"] == "attestd.access"
    assert entry["event"] == "request"
    assert entry["request_id"] == "trace-1"
    assert entry["method"] == "GET"
    assert entry["route"] == "/v1/services/{name}"
    assert entry["path"] == "/v1/services/payments"
    assert entry["status"] == 404
    assert entry["duration_ms"] >= 0


def test_the_access_log_carries_the_generated_request_id(client, access_log):
    response = client.get("/healthz")
    [entry] = _entries(access_log)
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["route"] == "/healthz"
    assert entry["status"] == 200


def test_the_access_log_never_carries_the_token(client, admin_headers, access_log):
    client.get("/v1/services", headers=admin_headers)
    token = admin_headers["Authorization"].removeprefix("Bearer ")
    assert access_log.getvalue()
    assert token not in access_log.getvalue()


def test_the_access_log_record_holds_the_fields(client, caplog):
    with caplog.at_level(logging.INFO, logger="attestd.access"):
        client.get("/nowhere/at/all")
    [record] = [r for r in caplog.records if r.name == "attestd.access"]
    assert record.fields["route"] == "unmatched"
    assert record.fields["path"] == "/nowhere/at/all"
    assert record.fields["status"] == 404
    assert record.fields["method"] == "GET"


# -- metrics ---------------------------------------------------------------------


def _samples(client: TestClient, name: str) -> list[tuple[dict[str, str], float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name
    ]


def _count(client: TestClient, **labels: str) -> float:
    return sum(
        value
        for sample_labels, value in _samples(client, "attestd_http_requests_total")
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items())
    )


def test_metrics_need_no_token(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "attestd_http_requests_total" in response.text


def test_requests_are_counted_by_route_template_and_status(client, auditor_headers):
    for name in ("payments", "billing", "search"):
        assert client.get(f"/v1/services/{name}", headers=auditor_headers).status_code == 404
    client.get("/v1/services/payments")
    assert _count(client, method="GET", route="/v1/services/{name}", status="404") == 3
    assert _count(client, method="GET", route="/v1/services/{name}", status="401") == 1
    routes = {labels["route"] for labels, _ in _samples(client, "attestd_http_requests_total")}
    assert not any("payments" in route or "billing" in route for route in routes)


def test_unmatched_paths_share_one_series(client):
    client.get("/no/such/thing")
    client.get("/another/unknown/path-123")
    samples = [
        (labels, value)
        for labels, value in _samples(client, "attestd_http_requests_total")
        if labels["status"] == "404"
    ]
    assert samples == [({"method": "GET", "route": "unmatched", "status": "404"}, 2.0)]


def test_request_latency_is_a_histogram(client):
    client.get("/healthz")
    buckets = _samples(client, "attestd_http_request_duration_seconds_bucket")
    healthz = [
        (labels, value)
        for labels, value in buckets
        if labels["route"] == "/healthz" and labels["status"] == "200"
    ]
    assert {labels["le"] for labels, _ in healthz} >= {"0.005", "1.0", "+Inf"}
    assert {labels["le"]: value for labels, value in healthz}["+Inf"] == 1.0
    [(_, count)] = [
        (labels, value)
        for labels, value in _samples(client, "attestd_http_request_duration_seconds_count")
        if labels["route"] == "/healthz"
    ]
    assert count == 1.0


def test_two_apps_do_not_share_counters(settings):
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        for _ in range(3):
            first.get("/healthz")
        second.get("/healthz")
        assert _count(first, route="/healthz") == 3
        assert _count(second, route="/healthz") == 1
