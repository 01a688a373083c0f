"""Maturity over HTTP: one service's level and checks, its history, and every service's."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete

from app.pagination import encode_position
from app.policy.maturity import LEVEL_NAMES
from app.scoring.checks import CATALOGUE
from app.scoring.models import MaturitySnapshot
from tests.attestations.submissions import register
from tests.problems import assert_problem
from tests.sboms.sbom_files import read
from tests.sboms.uploads import upload
from tests.scoring.reads import check_of, maturity_of

SERVICE = "payments"
CHECK_IDS = [check.id for check in CATALOGUE]
CHECK_FIELDS = {"id", "level", "status", "score", "detail", "remediation", "evidence"}
MATURITY_FIELDS = {"service", "level", "level_name", "score", "checks", "computed_at"}
ROW_FIELDS = {"service", "level", "level_name", "score"}
# cyclonedx-1.6.json describes payments@1.4.0, with its digest in the subject.
RELEASE = "payments@1.4.0"
JUSTIFICATION = "Signing moves to the new release pipeline, which ships next sprint."


def _history(client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    path = f"/v1/services/{params.pop('service', SERVICE)}/maturity/history"
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _all_pages(client, headers: dict[str, str], path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following ``next`` until it is null."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 50)
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} never reached its last page")


def _put_policy(client, headers: dict[str, str], body: dict[str, Any], service: str = SERVICE):
    response = client.put(f"/v1/services/{service}/policy", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _sbom_of(service: str, version: str = "1.0.0") -> bytes:
    """cyclonedx-1.6.json made to describe ``service@version``, with a digest of its own,
    and with the NTIA 2021 elements it lacks (an author, suppliers, the subject's purl) so
    that it meets the level 2 profile."""
    document = json.loads(read("cyclonedx-1.6.json"))
    document["metadata"]["authors"] = [{"name": "acme release engineering"}]
    component = document["metadata"]["component"]
    component["name"] = service
    component["version"] = version
    component["purl"] = f"pkg:generic/{service}@{version}"
    digest = hashlib.sha256(f"{service}@{version}".encode()).hexdigest()
    component["hashes"] = [{"alg": "SHA-256", "content": digest}]
    for each in (component, *document["components"]):
        each["supplier"] = {"name": "acme"}
    return json.dumps(document).encode()


def _uploaded(client, headers: dict[str, str], body: bytes, service: str = SERVICE) -> int:
    response = upload(client, headers, body, service=service, artifact=None)
    assert response.status_code == 201, response.text
    sbom_id: int = response.json()["id"]
    return sbom_id


def _waive(client, requester, approver, service: str, check: str, days: int = 30) -> int:
    expires = datetime.now().astimezone() + timedelta(days=days)
    body = {
        "service": service,
        "check": check,
        "justification": JUSTIFICATION,
        "expires_at": expires.isoformat(),
    }
    requested = client.post("/v1/exceptions", json=body, headers=requester)
    assert requested.status_code == 201, requested.text
    exception_id: int = requested.json()["id"]
    approved = client.post(f"/v1/exceptions/{exception_id}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    return exception_id


# --- one service ------------------------------------------------------------------------------


def test_a_new_service_is_at_level_0_with_every_check_in_catalogue_order(
    client, admin_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)

    maturity = maturity_of(client, auditor_headers)

    assert set(maturity) >= MATURITY_FIELDS
    assert maturity["service"] == SERVICE
    assert maturity["level"] == 0
    assert maturity["level_name"] == LEVEL_NAMES[0]
    assert 0 <= maturity["score"] < 100
    assert maturity["release"] is None
    assert maturity["trigger"] == "service.created"
    assert datetime.fromisoformat(maturity["computed_at"]).utcoffset() == timedelta(0)
    assert [check["id"] for check in maturity["checks"]] == CHECK_IDS
    for check, listed in zip(CATALOGUE, maturity["checks"], strict=True):
        assert set(listed) >= CHECK_FIELDS
        assert listed["level"] == check.level
        assert listed["status"] in {"pass", "fail", "waived", "not_applicable"}
        assert 0 <= listed["score"] <= 10
        assert listed["detail"]
        assert isinstance(listed["evidence"], list)
        if listed["status"] in {"fail", "waived"}:
            assert listed["remediation"], listed
        if listed["status"] == "pass":
            assert listed["remediation"] == "", listed
    repository = check_of(maturity, "service-repository")
    assert repository["status"] == "pass"
    assert repository["evidence"] == [f"service:{SERVICE}"]
    missing = check_of(maturity, "sbom-present")
    assert missing["status"] == "fail"
    assert missing["score"] == 0
    assert "no artifact" in missing["detail"]
    assert missing["evidence"] == []


def test_one_sbom_upload_brings_the_service_to_level_1(
    client, admin_headers, pipeline_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)
    before = maturity_of(client, auditor_headers)

    response = upload(client, pipeline_headers, read("cyclonedx-1.6.json"), artifact=None)

    assert response.status_code == 201, response.text
    sbom_id = response.json()["id"]
    after = maturity_of(client, auditor_headers)
    delta = response.json()["maturity"]
    assert delta["snapshot_id"] == after["snapshot_id"]
    assert (delta["level"], delta["level_change"]) == (1, 1)
    assert delta["score_change"] == round(after["score"] - before["score"], 1)
    present = check_of(after, "sbom-present")
    assert present["status"] == "pass", present["detail"]
    assert present["score"] == 10
    assert present["evidence"] == [f"sbom:{sbom_id}"]
    assert RELEASE in present["detail"]
    assert present["remediation"] == ""
    assert after["release"] == RELEASE
    assert after["level"] == 1
    assert after["level_name"] == "Build"
    assert after["score"] > before["score"]
    assert after["snapshot_id"] > before["snapshot_id"]
    assert after["trigger"] == "sbom.accepted"
    # Level 2 also needs a verified signature; the check says so and how to get one.
    signed = check_of(after, "artifact-signed")
    assert signed["status"] == "fail"
    assert RELEASE in signed["detail"]
    assert signed["remediation"]
    assert check_of(after, "sbom-quality")["evidence"] == [f"sbom:{sbom_id}"]


def test_a_policy_change_makes_a_snapshot_that_moves_the_score(
    client, admin_headers, pipeline_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)
    _uploaded(client, pipeline_headers, _sbom_of(SERVICE))
    before = maturity_of(client, auditor_headers)
    assert check_of(before, "sbom-present")["weight"] == 5

    policy = _put_policy(client, admin_headers, {"check_weights": {"sbom-present": 50}})

    weighted = maturity_of(client, auditor_headers)
    assert weighted["trigger"] == "policy.updated"
    assert weighted["snapshot_id"] > before["snapshot_id"]
    assert weighted["policy_version"] == policy["version"] == before["policy_version"] + 1
    assert weighted["policy_digest"] == policy["digest"] != before["policy_digest"]
    assert check_of(weighted, "sbom-present")["weight"] == 50
    # A passing check weighing more lifts the weighted mean.
    assert weighted["score"] > before["score"]
    assert weighted["level"] == before["level"] == 1

    _put_policy(client, admin_headers, {"min_sbom_quality": 9.5})

    stricter = maturity_of(client, auditor_headers)
    assert stricter["trigger"] == "policy.updated"
    quality = check_of(stricter, "sbom-quality")
    assert check_of(weighted, "sbom-quality")["status"] == "pass"
    assert quality["status"] == "fail"
    assert "9.5" in quality["detail"]
    assert quality["remediation"]
    assert [item["trigger"] for item in _history(client, auditor_headers)["items"][:2]] == [
        "policy.updated",
        "policy.updated",
    ]


def test_an_unchanged_policy_makes_no_snapshot(client, admin_headers, auditor_headers):
    register(client, admin_headers, SERVICE)
    _put_policy(client, admin_headers, {"check_weights": {"reproducible": 3}})
    before = _history(client, auditor_headers)["items"]

    _put_policy(client, admin_headers, {"check_weights": {"reproducible": 3}})

    assert _history(client, auditor_headers)["items"] == before


def test_history_lists_snapshots_newest_first_paginates_and_filters_by_time(
    client, clock, admin_headers, second_admin_headers, pipeline_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)
    clock.advance(timedelta(hours=1))
    _uploaded(client, pipeline_headers, read("cyclonedx-1.6.json"))
    clock.advance(timedelta(hours=1))
    _put_policy(client, admin_headers, {"check_weights": {"sbom-present": 10}})
    clock.advance(timedelta(hours=1))
    _put_policy(client, admin_headers, {"check_weights": {"sbom-present": 20}})
    clock.advance(timedelta(hours=1))
    _waive(client, admin_headers, second_admin_headers, SERVICE, "artifact-signed")

    history = _history(client, auditor_headers)

    items = history["items"]
    assert history["next"] is None
    assert [item["trigger"] for item in items] == [
        "exception.approved",
        "exception.requested",
        "policy.updated",
        "policy.updated",
        "sbom.accepted",
        "service.created",
    ]
    ids = [item["snapshot_id"] for item in items]
    assert ids == sorted(ids, reverse=True)
    times = [datetime.fromisoformat(item["computed_at"]) for item in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["snapshot_id"] == maturity_of(client, auditor_headers)["snapshot_id"]
    assert items[0]["level"] == 1
    assert items[-1]["level"] == 0
    assert "sbom-present" in items[-1]["failing"]
    assert "sbom-present" not in items[0]["failing"]
    assert [item["policy_version"] for item in items[2:4]] == [3, 2]

    for limit in (1, 2, 4):
        path = f"/v1/services/{SERVICE}/maturity/history"
        assert _all_pages(client, auditor_headers, path, limit=limit) == items

    # computed_at of the policy changes: one hour apart from their neighbours.
    first_policy, second_policy = times[3], times[2]
    since = _history(client, auditor_headers, since=first_policy.isoformat())["items"]
    assert [item["snapshot_id"] for item in since] == ids[:4]
    until = _history(client, auditor_headers, until=first_policy.isoformat())["items"]
    assert [item["snapshot_id"] for item in until] == ids[3:]
    # The same moments written in another time zone select the same snapshots.
    elsewhere = first_policy.astimezone(timezone(timedelta(hours=-5)))
    assert _history(client, auditor_headers, since=elsewhere.isoformat())["items"] == since
    assert _history(client, auditor_headers, until=elsewhere.isoformat())["items"] == until
    window = _history(
        client,
        auditor_headers,
        since=(first_policy - timedelta(minutes=1)).isoformat(),
        until=(second_policy + timedelta(minutes=1)).isoformat(),
        limit=1,
    )
    assert [item["snapshot_id"] for item in window["items"]] == [ids[2]]
    rest = _history(
        client,
        auditor_headers,
        since=(first_policy - timedelta(minutes=1)).isoformat(),
        until=(second_policy + timedelta(minutes=1)).isoformat(),
        cursor=window["next"],
    )
    assert [item["snapshot_id"] for item in rest["items"]] == [ids[3]]
    assert rest["next"] is None
    future = _history(client, auditor_headers, since=(times[0] + timedelta(days=1)).isoformat())
    assert future == {"items": [], "next": None}


def test_history_refuses_naive_times_and_foreign_cursors(client, admin_headers, auditor_headers):
    register(client, admin_headers, SERVICE)
    path = f"/v1/services/{SERVICE}/maturity/history"

    naive = client.get(path, params={"since": "2030-01-01T00:00:00"}, headers=auditor_headers)
    assert_problem(naive, 422, "invalid-request")
    cursor = client.get(path, params={"cursor": "bm90LW91cnM"}, headers=auditor_headers)
    assert_problem(cursor, 400, "invalid-cursor")


def test_a_history_cursor_before_every_id_continues_from_the_newest(
    client, admin_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)
    _put_policy(client, admin_headers, {"check_weights": {"reproducible": 3}})
    everything = _history(client, auditor_headers)["items"]

    continued = _history(client, auditor_headers, cursor=encode_position(2**40))

    assert continued == {"items": everything, "next": None}


@pytest.mark.parametrize("suffix", ["maturity", "maturity/history"])
def test_an_unknown_service_has_no_maturity(client, admin_headers, auditor_headers, suffix):
    register(client, admin_headers, SERVICE)

    response = client.get(f"/v1/services/no-such-service/{suffix}", headers=auditor_headers)

    assert_problem(response, 404, "service-not-found")


def test_a_service_registered_without_any_snapshot_is_computed_on_first_read(
    client, admin_headers, auditor_headers, run_in_session
):
    """A service from before snapshots existed (or whose snapshots were lost) still answers."""
    register(client, admin_headers, SERVICE)
    run_in_session(lambda session: session.execute(delete(MaturitySnapshot)))

    maturity = maturity_of(client, auditor_headers)

    assert maturity["trigger"] == "first-read"
    assert maturity["level"] == 0
    assert [item["trigger"] for item in _history(client, auditor_headers)["items"]] == [
        "first-read"
    ]


# --- every service ----------------------------------------------------------------------------

OWNERS = {
    "alpha": "team-a",
    "bravo": "team-b",
    "charlie": "team-a",
    "delta": None,
    "echo": "team-b",
    "foxtrot": "team-c",
    "golf": "team-a",
}
LEVELS = {"alpha": 0, "bravo": 1, "charlie": 1, "delta": 1, "echo": 1, "foxtrot": 0, "golf": 2}


@pytest.fixture
def services(client, admin_headers, second_admin_headers, pipeline_headers) -> dict[str, int]:
    """Seven services at levels 0 to 2 with different scores (and some ties); their levels."""
    for name, owner in OWNERS.items():
        body = {"name": name, "repository": f"https://github.com/acme/{name}"}
        if owner is not None:
            body["owner"] = owner
        response = client.post("/v1/services", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
    # bravo and charlie: an SBOM each, the same quality; level 1 with equal scores.
    _uploaded(client, pipeline_headers, _sbom_of("bravo"), "bravo")
    _uploaded(client, pipeline_headers, _sbom_of("charlie"), "charlie")
    # delta: no SBOM, but an exception waives the check.
    _waive(client, admin_headers, second_admin_headers, "delta", "sbom-present")
    # echo: an SBOM, and a policy that weighs it more.
    _uploaded(client, pipeline_headers, _sbom_of("echo"), "echo")
    _put_policy(client, admin_headers, {"check_weights": {"sbom-present": 20}}, "echo")
    # foxtrot: nothing, with a policy that weighs what fails less.
    _put_policy(client, admin_headers, {"check_weights": {"sbom-present": 1}}, "foxtrot")
    # golf: an SBOM, and the rest of level 2 waived.
    _uploaded(client, pipeline_headers, _sbom_of("golf"), "golf")
    for check in ("artifact-signed", "provenance-present"):
        _waive(client, admin_headers, second_admin_headers, "golf", check)
    return LEVELS


def _rows(client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/maturity", params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next"] is None
    rows: list[dict[str, Any]] = page["items"]
    return rows


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["service"] for row in rows]


def test_the_listing_has_one_row_per_service_matching_its_maturity(
    client, services, auditor_headers
):
    rows = _rows(client, auditor_headers)

    assert _names(rows) == sorted(services)
    for row in rows:
        assert set(row) >= ROW_FIELDS
        maturity = maturity_of(client, auditor_headers, row["service"])
        assert row["level"] == maturity["level"] == services[row["service"]], maturity["checks"]
        assert row["level_name"] == LEVEL_NAMES[row["level"]]
        assert row["score"] == maturity["score"]
        assert row["owner"] == OWNERS[row["service"]]
        assert row["failing"] == [c["id"] for c in maturity["checks"] if c["status"] == "fail"]
    score = {row["service"]: row["score"] for row in rows}
    assert score["bravo"] == score["charlie"]
    assert score["echo"] > score["bravo"]
    assert score["foxtrot"] > score["alpha"]


@pytest.mark.parametrize("sort", ["service", "level", "score"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_the_listing_sorts_both_ways_and_pages_without_gaps_or_repeats(
    client, services, auditor_headers, sort, order
):
    rows = _rows(client, auditor_headers, sort=sort, order=order)

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["service"],) if sort == "service" else (row[sort], row["service"])

    assert rows == sorted(rows, key=key, reverse=order == "desc")
    assert sorted(_names(rows)) == sorted(services)
    for limit in (1, 2, 3):
        paged = _all_pages(
            client, auditor_headers, "/v1/maturity", sort=sort, order=order, limit=limit
        )
        assert paged == rows


def test_the_listing_filters_by_level_owner_and_failing_check(client, services, auditor_headers):
    def named(**params: Any) -> list[str]:
        return _names(_rows(client, auditor_headers, **params))

    at_least_1 = named(min_level=1)
    assert at_least_1 == sorted(name for name, level in services.items() if level >= 1)
    assert named(max_level=0) == ["alpha", "foxtrot"]
    assert named(min_level=1, max_level=1) == ["bravo", "charlie", "delta", "echo"]
    assert named(min_level=2) == ["golf"]
    assert named(min_level=3) == []
    assert named(owner="team-a") == ["alpha", "charlie", "golf"]
    assert named(owner="team-a", min_level=1) == ["charlie", "golf"]
    assert named(owner="nobody") == []
    # A waived check is not failing.
    assert named(failing="sbom-present") == ["alpha", "foxtrot"]
    unsigned = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    assert named(failing="artifact-signed") == unsigned
    assert named(failing="service-repository") == []
    assert named(failing="sbom-present", sort="score", order="desc") == ["foxtrot", "alpha"]
    for limit in (1, 2):
        paged = _all_pages(
            client, auditor_headers, "/v1/maturity", failing="artifact-signed", limit=limit
        )
        assert _names(paged) == unsigned
        by_level = _all_pages(
            client, auditor_headers, "/v1/maturity", sort="level", min_level=1, limit=limit
        )
        assert _names(by_level) == ["bravo", "charlie", "delta", "echo", "golf"]


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        pytest.param({"failing": "no-such-check"}, 422, "invalid-request", id="unknown-check"),
        pytest.param({"min_level": 6}, 422, "invalid-request", id="min-level-6"),
        pytest.param({"max_level": -1}, 422, "invalid-request", id="max-level-negative"),
        pytest.param({"sort": "owner"}, 422, "invalid-request", id="unknown-sort"),
        pytest.param({"order": "up"}, 422, "invalid-request", id="unknown-order"),
        pytest.param({"level": 1}, 422, "invalid-request", id="unknown-parameter"),
        pytest.param({"cursor": "bm90LW91cnM"}, 400, "invalid-cursor", id="foreign-cursor"),
    ],
)
def test_the_listing_refuses_bad_queries(
    client, admin_headers, auditor_headers, params, status, slug
):
    register(client, admin_headers, SERVICE)

    response = client.get("/v1/maturity", params=params, headers=auditor_headers)

    assert_problem(response, status, slug)


@pytest.mark.parametrize(
    ("sort", "position"),
    [
        pytest.param("level", (6, "alpha"), id="level-6"),
        pytest.param("level", (2**40, "alpha"), id="level-beyond-32-bits"),
        pytest.param("score", ("high", "alpha"), id="score-not-a-number"),
        pytest.param("score", ("nan", "alpha"), id="score-nan"),
        pytest.param("score", ("inf", "alpha"), id="score-infinite"),
        pytest.param("score", ("-inf", "alpha"), id="score-minus-infinite"),
    ],
)
def test_a_cursor_no_listing_could_give_is_refused(
    client, admin_headers, auditor_headers, sort, position
):
    register(client, admin_headers, SERVICE)
    cursor = encode_position(*position)

    response = client.get(
        "/v1/maturity", params={"sort": sort, "cursor": cursor}, headers=auditor_headers
    )

    assert_problem(response, 400, "invalid-cursor")


@pytest.mark.parametrize(
    ("issued_by", "used_with"),
    [("level", "score"), ("score", "level"), ("service", "level"), ("level", "service")],
)
def test_a_cursor_of_one_sort_is_refused_by_another(
    client, services, auditor_headers, issued_by, used_with
):
    first = client.get(
        "/v1/maturity", params={"sort": issued_by, "limit": 2}, headers=auditor_headers
    )
    cursor = first.json()["next"]
    assert cursor is not None

    response = client.get(
        "/v1/maturity", params={"sort": used_with, "cursor": cursor}, headers=auditor_headers
    )

    assert_problem(response, 400, "invalid-cursor")


def test_the_listing_recomputes_what_time_has_changed(
    client, clock, admin_headers, second_admin_headers, auditor_headers
):
    register(client, admin_headers, SERVICE)
    exception_id = _waive(client, admin_headers, second_admin_headers, SERVICE, "sbom-present", 1)
    (row,) = _rows(client, auditor_headers)
    assert row["level"] == 1

    clock.advance(timedelta(days=2))

    (row,) = _rows(client, auditor_headers)
    assert row["level"] == 0
    assert "sbom-present" in row["failing"]
    assert "exceptions-controlled" in row["failing"]
    assert _names(_rows(client, auditor_headers, failing="exceptions-controlled")) == [SERVICE]
    latest = _history(client, auditor_headers)["items"][0]
    assert latest["trigger"] == "time"
    controlled = check_of(maturity_of(client, auditor_headers), "exceptions-controlled")
    assert f"exception {exception_id} on sbom-present expired" in controlled["detail"]


# --- roles ------------------------------------------------------------------------------------

READS = [
    f"/v1/services/{SERVICE}/maturity",
    f"/v1/services/{SERVICE}/maturity/history",
    "/v1/maturity",
]


@pytest.mark.parametrize("path", READS)
def test_admins_and_auditors_read_maturity_pipelines_do_not(
    client, admin_headers, auditor_headers, pipeline_headers, path
):
    register(client, admin_headers, SERVICE)

    assert client.get(path, headers=admin_headers).status_code == 200
    assert client.get(path, headers=auditor_headers).status_code == 200
    assert_problem(client.get(path, headers=pipeline_headers), 403, "forbidden")
    assert_problem(client.get(path), 401, "unauthenticated")
