"""/v1/services over HTTP: registering, reading, changing and listing services."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest

from app.pagination import MAX_LIMIT, encode_cursor
from tests.builders.credentials import bearer
from tests.problems import assert_problem

HERE = Path(__file__).parent
SERVICES = "/v1/services"
REPOSITORY = "https://github.com/acme/payments"


def _load_json(name: str) -> list:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _bad_cursors_from_file() -> list[tuple[str, str]]:
    """``cursor<TAB>why`` lines of bad_cursors.txt."""
    cases = []
    for line in (HERE / "bad_cursors.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            cursor, why = line.split("\t", 1)
            cases.append((cursor, why))
    return cases


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    *_bad_cursors_from_file(),
    (_b64(b"not json"), "base64 of text that is not JSON"),
    (_b64(b"\xff\xfe\xfd"), "base64 of bytes that are not UTF-8"),
    (_b64(b""), "base64 of nothing"),
    (_b64(b'["after","a"]'), "JSON list, not an object"),
    (_b64(b'"a"'), "JSON string, not an object"),
    (_b64(b"null"), "JSON null"),
    (_b64(b"{}"), "object without after"),
    (_b64(b'{"before":"a"}'), "object with another key"),
    (_b64(b'{"after":""}'), "after is empty"),
    (_b64(b'{"after":5}'), "after is a number"),
    (_b64(b'{"after":null}'), "after is null"),
    (_b64(b'{"after":["a"]}'), "after is a list"),
    (_b64(b'{"after":{"a":1}}'), "after is an object"),
    (_b64(b'{"after":true}'), "after is a boolean"),
    (_b64(b'{"after":"a\\u0000b"}'), "after holds a NUL"),
    (encode_cursor("a" * 3100), "a well-formed cursor over 4096 characters"),
]


def error_locations(problem: dict) -> set[str]:
    return {error["location"] for error in problem["errors"]}


def create(client, headers, name: str, repository: str = REPOSITORY, **extra):
    return client.post(
        SERVICES, json={"name": name, "repository": repository, **extra}, headers=headers
    )


def register(client, headers, name: str, repository: str = REPOSITORY, **extra) -> dict:
    response = create(client, headers, name, repository, **extra)
    assert response.status_code == 201, response.text
    return response.json()


def all_names(client, headers) -> list[str]:
    response = client.get(SERVICES, params={"limit": MAX_LIMIT}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next"] is None
    return [item["name"] for item in response.json()["items"]]


def aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    assert moment.utcoffset().total_seconds() == 0, value
    return moment


# --- registering -------------------------------------------------------------


def test_create_then_get(client, admin_headers):
    created = client.post(
        "/v1/services",
        json={"name": "payments", "repository": "https://GitHub.com/acme/payments.git/"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["repository"] == "https://github.com/acme/payments"
    fetched = client.get("/v1/services/payments", headers=admin_headers)
    assert fetched.json() == body


def test_create_returns_the_normalised_service_with_utc_timestamps(client, admin_headers):
    response = create(
        client,
        admin_headers,
        "payments",
        "https://GitHub.com:443/acme/payments.git",
        owner="team-a",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"name", "repository", "owner", "created_at", "updated_at"}
    assert body["name"] == "payments"
    assert body["repository"] == "https://github.com/acme/payments"
    assert body["owner"] == "team-a"
    assert aware(body["created_at"]) == aware(body["updated_at"])


def test_create_without_owner_gives_a_null_owner(client, admin_headers):
    body = register(client, admin_headers, "payments")
    assert body["owner"] is None
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json()["owner"] is None


def test_get_returns_what_create_returned(client, admin_headers, auditor_headers):
    body = register(client, admin_headers, "payments", owner="team-a")
    fetched = client.get(f"{SERVICES}/payments", headers=auditor_headers)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == body


def test_duplicate_name_is_a_conflict_and_keeps_the_first(client, admin_headers):
    first = register(client, admin_headers, "payments", owner="team-a")
    again = create(client, admin_headers, "payments", "https://gitlab.com/other/payments")
    assert_problem(again, 409, "service-exists")
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == first
    assert all_names(client, admin_headers) == ["payments"]


def test_good_repository_urls_are_stored_normalised(client, admin_headers):
    for index, (url, canonical) in enumerate(_load_json("repository_urls_good.json")):
        body = register(client, admin_headers, f"svc-{index}", url)
        assert body["repository"] == canonical, url


def test_bad_repository_urls_are_rejected_and_nothing_is_stored(client, admin_headers):
    for url, why in _load_json("repository_urls_bad.json"):
        problem = assert_problem(
            create(client, admin_headers, "payments", url), 422, "invalid-request"
        )
        assert error_locations(problem) == {"body.repository"}, why
    assert all_names(client, admin_headers) == []


def test_unknown_field_is_rejected_and_named(client, admin_headers):
    response = create(client, admin_headers, "payments", colour="blue")
    problem = assert_problem(response, 422, "invalid-request")
    assert problem["errors"] == [
        {
            "location": "body.colour",
            "message": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert all_names(client, admin_headers) == []


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({}, {"body.name", "body.repository"}),
        ({"name": "payments"}, {"body.repository"}),
        ({"repository": REPOSITORY, "owner": "team-a"}, {"body.name"}),
    ],
)
def test_missing_required_fields_are_rejected(client, admin_headers, body, missing):
    problem = assert_problem(
        client.post(SERVICES, json=body, headers=admin_headers), 422, "invalid-request"
    )
    assert error_locations(problem) == missing
    assert {error["type"] for error in problem["errors"]} == {"missing"}


@pytest.mark.parametrize(
    "name",
    [name for name, _ in _load_json("service_names_bad.json")] + [None, 7, ["payments"]],
)
def test_invalid_name_is_rejected_at_body_name(client, admin_headers, name):
    problem = assert_problem(create(client, admin_headers, name), 422, "invalid-request")
    assert error_locations(problem) == {"body.name"}


def test_longest_name_and_owner_are_accepted(client, admin_headers):
    name = "a" * 63
    body = register(client, admin_headers, name, owner="o" * 200)
    assert body["name"] == name
    assert body["owner"] == "o" * 200


def test_overlong_owner_is_rejected(client, admin_headers):
    # SQLite ignores VARCHAR(200): only the schema can refuse this.
    problem = assert_problem(
        create(client, admin_headers, "payments", owner="o" * 201), 422, "invalid-request"
    )
    assert error_locations(problem) == {"body.owner"}
    assert all_names(client, admin_headers) == []


@pytest.mark.parametrize("owner", ["", "team\na", "team\ta", "team\x7f", "team\x85"])
def test_empty_or_control_character_owner_is_rejected(client, admin_headers, owner):
    problem = assert_problem(
        create(client, admin_headers, "payments", owner=owner), 422, "invalid-request"
    )
    assert error_locations(problem) == {"body.owner"}


def test_overlong_repository_is_rejected(client, admin_headers):
    prefix = "https://gitlab.com/acme/"
    repository = prefix + "a" * (2049 - len(prefix))
    problem = assert_problem(
        create(client, admin_headers, "payments", repository), 422, "invalid-request"
    )
    assert error_locations(problem) == {"body.repository"}
    assert all_names(client, admin_headers) == []


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("name", {"name": "pay\u0000ments", "repository": REPOSITORY}),
        ("owner", {"name": "payments", "repository": REPOSITORY, "owner": "team\u0000a"}),
        ("repository", {"name": "payments", "repository": REPOSITORY + "\u0000"}),
    ],
)
def test_nul_byte_is_rejected_and_nothing_is_stored(client, admin_headers, field, body):
    # PostgreSQL refuses NUL in text; the schema must refuse it first, on both back ends.
    problem = assert_problem(
        client.post(SERVICES, json=body, headers=admin_headers), 422, "invalid-request"
    )
    assert error_locations(problem) == {f"body.{field}"}
    assert all_names(client, admin_headers) == []


@pytest.mark.parametrize(
    "raw", [b'{"name": "payments",', b"{name: 1}", b"", b"\xff\xfe", b'{"name": "a"} trailing']
)
def test_malformed_json_is_a_bad_request(client, admin_headers, raw):
    headers = {**admin_headers, "Content-Type": "application/json"}
    response = client.post(SERVICES, content=raw, headers=headers)
    if raw == b"":
        # No body at all is a missing body, not a malformed one.
        assert_problem(response, 422, "invalid-request")
    else:
        assert_problem(response, 400, "malformed-body")
    assert all_names(client, admin_headers) == []


@pytest.mark.parametrize("body", [["payments", REPOSITORY], "payments", 42, True, None])
def test_non_object_json_body_is_rejected(client, admin_headers, body):
    response = client.post(SERVICES, json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request")
    assert error_locations(problem) == {"body"}
    assert all_names(client, admin_headers) == []


# --- changing ----------------------------------------------------------------


def test_patch_changes_repository_and_owner(client, admin_headers):
    before = register(client, admin_headers, "payments", owner="team-a")
    response = client.patch(
        f"{SERVICES}/payments",
        json={"repository": "https://GitLab.com/acme/pay/ments.git/", "owner": "team-b"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["name"] == "payments"
    assert after["repository"] == "https://gitlab.com/acme/pay/ments"
    assert after["owner"] == "team-b"
    assert after["created_at"] == before["created_at"]
    assert aware(after["updated_at"]) > aware(before["updated_at"])
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == after


def test_patch_with_one_field_keeps_the_other(client, admin_headers):
    register(client, admin_headers, "payments", owner="team-a")
    response = client.patch(
        f"{SERVICES}/payments",
        json={"repository": "https://github.com/acme/pay"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == "team-a"
    response = client.patch(f"{SERVICES}/payments", json={"owner": "team-b"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["repository"] == "https://github.com/acme/pay"


def test_patch_owner_null_clears_the_owner(client, admin_headers):
    register(client, admin_headers, "payments", owner="team-a")
    response = client.patch(f"{SERVICES}/payments", json={"owner": None}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["owner"] is None
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json()["owner"] is None


def test_patch_without_a_change_keeps_updated_at(client, admin_headers):
    before = register(client, admin_headers, "payments", owner="team-a")
    for body in ({}, {"owner": "team-a"}, {"repository": REPOSITORY + ".git"}):
        response = client.patch(f"{SERVICES}/payments", json=body, headers=admin_headers)
        assert response.status_code == 200, response.text
        assert response.json() == before, body


def test_patch_repository_null_is_rejected(client, admin_headers):
    before = register(client, admin_headers, "payments")
    response = client.patch(
        f"{SERVICES}/payments", json={"repository": None}, headers=admin_headers
    )
    problem = assert_problem(response, 422, "invalid-request")
    assert error_locations(problem) == {"body.repository"}
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x"},
        {"name": "payments"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"owner": "team-b", "colour": "blue"},
    ],
)
def test_patch_of_name_or_unknown_fields_is_rejected(client, admin_headers, body):
    before = register(client, admin_headers, "payments", owner="team-a")
    response = client.patch(f"{SERVICES}/payments", json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request")
    assert {error["type"] for error in problem["errors"]} == {"extra_forbidden"}
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == before
    assert all_names(client, admin_headers) == ["payments"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repository": "http://github.com/acme/payments"}, "repository"),
        ({"repository": "https://github.com/acme"}, "repository"),
        ({"repository": REPOSITORY + "\u0000"}, "repository"),
        ({"owner": "o" * 201}, "owner"),
        ({"owner": "team\u0000a"}, "owner"),
    ],
)
def test_patch_with_an_invalid_value_changes_nothing(client, admin_headers, body, field):
    before = register(client, admin_headers, "payments", owner="team-a")
    response = client.patch(f"{SERVICES}/payments", json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request")
    assert error_locations(problem) == {f"body.{field}"}
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == before


@pytest.mark.parametrize("body", [["owner"], "owner", None])
def test_patch_with_a_non_object_body_is_rejected(client, admin_headers, body):
    register(client, admin_headers, "payments")
    response = client.patch(f"{SERVICES}/payments", json=body, headers=admin_headers)
    assert_problem(response, 422, "invalid-request")


def test_patch_with_malformed_json_is_a_bad_request(client, admin_headers):
    register(client, admin_headers, "payments")
    headers = {**admin_headers, "Content-Type": "application/json"}
    response = client.patch(f"{SERVICES}/payments", content=b'{"owner": ', headers=headers)
    assert_problem(response, 400, "malformed-body")


def test_patch_of_an_unknown_service_is_not_found(client, admin_headers):
    response = client.patch(f"{SERVICES}/ghost", json={"owner": "team-a"}, headers=admin_headers)
    assert_problem(response, 404, "service-not-found")
    assert all_names(client, admin_headers) == []


# --- reading -----------------------------------------------------------------


def test_get_of_an_unknown_service_is_not_found(client, admin_headers):
    register(client, admin_headers, "payments")
    assert_problem(client.get(f"{SERVICES}/ghost", headers=admin_headers), 404, "service-not-found")


@pytest.mark.parametrize(
    "path_name",
    ["UPPER", "Payments", "%00", "pay%00ments", "a" * 64, "-x", "x-", "under_score", "pay.ments"],
)
def test_invalid_name_in_the_path_is_rejected(client, admin_headers, path_name):
    register(client, admin_headers, "payments")
    for response in (
        client.get(f"{SERVICES}/{path_name}", headers=admin_headers),
        client.patch(f"{SERVICES}/{path_name}", json={"owner": "x"}, headers=admin_headers),
    ):
        problem = assert_problem(response, 422, "invalid-request")
        assert error_locations(problem) == {"path.name"}


# --- who may do what ---------------------------------------------------------


def test_auditor_can_read_but_not_write(client, admin_headers, auditor_headers):
    body = register(client, admin_headers, "payments", owner="team-a")
    assert client.get(f"{SERVICES}/payments", headers=auditor_headers).json() == body
    listed = client.get(SERVICES, headers=auditor_headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [body], "next": None}

    assert_problem(create(client, auditor_headers, "billing"), 403, "forbidden")
    patched = client.patch(f"{SERVICES}/payments", json={"owner": "me"}, headers=auditor_headers)
    assert_problem(patched, 403, "forbidden")
    assert all_names(client, admin_headers) == ["payments"]
    assert client.get(f"{SERVICES}/payments", headers=admin_headers).json() == body


def test_pipeline_token_can_neither_read_nor_write_services(
    client, admin_headers, pipeline_headers
):
    register(client, admin_headers, "payments")
    assert_problem(client.get(SERVICES, headers=pipeline_headers), 403, "forbidden")
    assert_problem(client.get(f"{SERVICES}/payments", headers=pipeline_headers), 403, "forbidden")
    assert_problem(create(client, pipeline_headers, "billing"), 403, "forbidden")
    patched = client.patch(f"{SERVICES}/payments", json={"owner": "me"}, headers=pipeline_headers)
    assert_problem(patched, 403, "forbidden")


@pytest.mark.parametrize("headers", [{}, bearer("atd_not-a-real-token")])
def test_services_need_a_valid_token(client, admin_headers, headers):
    register(client, admin_headers, "payments")
    for response in (
        client.get(SERVICES, headers=headers),
        client.get(f"{SERVICES}/payments", headers=headers),
        create(client, headers, "billing"),
        client.patch(f"{SERVICES}/payments", json={"owner": "me"}, headers=headers),
    ):
        assert_problem(response, 401, "unauthenticated")
    assert all_names(client, admin_headers) == ["payments"]


# --- listing -----------------------------------------------------------------


def test_empty_registry_lists_nothing(client, auditor_headers):
    response = client.get(SERVICES, headers=auditor_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next": None}


def walk(client, headers, limit) -> list[list[str]]:
    """Every page of the list, following ``next`` until it is null."""
    pages: list[list[str]] = []
    params: dict[str, object] = {"limit": limit}
    while True:
        response = client.get(SERVICES, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["name"] for item in page["items"]])
        if page["next"] is None:
            return pages
        assert len(pages) <= 20, "pagination does not end"
        params = {"limit": limit, "cursor": page["next"]}


def test_pages_follow_next_to_every_service_once_in_name_order(
    client, admin_headers, auditor_headers
):
    names = ["kappa", "alpha", "zeta-2", "beta", "zeta-10", "a0", "omega"]
    for name in names:
        register(client, admin_headers, name)
    pages = walk(client, auditor_headers, 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [name for page in pages for name in page] == sorted(names)


def test_a_full_last_page_has_no_next(client, admin_headers):
    names = [f"svc-{index}" for index in range(6)]
    for name in names:
        register(client, admin_headers, name)
    pages = walk(client, admin_headers, 3)
    assert pages == [names[:3], names[3:]]


def test_list_items_are_the_full_services(client, admin_headers):
    created = [register(client, admin_headers, name, owner=f"team-{name}") for name in ("b", "a")]
    response = client.get(SERVICES, headers=admin_headers)
    assert response.json() == {"items": sorted(created, key=lambda s: s["name"]), "next": None}


@pytest.mark.parametrize("limit", [0, -1, -(10**12)])
def test_limit_below_one_is_clamped_to_one(client, admin_headers, limit):
    for name in ("a", "b", "c"):
        register(client, admin_headers, name)
    response = client.get(SERVICES, params={"limit": limit}, headers=admin_headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert [item["name"] for item in page["items"]] == ["a"]
    assert page["next"] is not None
    following = client.get(
        SERVICES, params={"limit": limit, "cursor": page["next"]}, headers=admin_headers
    ).json()
    assert [item["name"] for item in following["items"]] == ["b"]


@pytest.mark.parametrize("limit", [MAX_LIMIT, MAX_LIMIT + 1, 10**12])
def test_huge_limit_is_clamped_to_the_maximum(client, admin_headers, limit):
    names = [f"svc-{index:02d}" for index in range(7)]
    for name in names:
        register(client, admin_headers, name)
    response = client.get(SERVICES, params={"limit": limit}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["next"] is None
    assert [item["name"] for item in response.json()["items"]] == names


def test_default_limit_is_fifty(client, admin_headers):
    names = [f"svc-{index:02d}" for index in range(51)]
    for name in names:
        register(client, admin_headers, name)
    first = client.get(SERVICES, headers=admin_headers).json()
    assert [item["name"] for item in first["items"]] == names[:50]
    rest = client.get(SERVICES, params={"cursor": first["next"]}, headers=admin_headers).json()
    assert rest == {"items": [fetch(client, admin_headers, names[50])], "next": None}


def fetch(client, headers, name: str) -> dict:
    response = client.get(f"{SERVICES}/{name}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("limit", ["abc", "1.5", "", "1e3", "0x10"])
def test_non_integer_limit_is_rejected(client, admin_headers, limit):
    response = client.get(SERVICES, params={"limit": limit}, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request")
    assert error_locations(problem) == {"query.limit"}


def test_a_cursor_continues_after_its_name_even_if_no_service_has_it(client, admin_headers):
    for name in ("alpha", "mike", "zulu"):
        register(client, admin_headers, name)
    response = client.get(SERVICES, params={"cursor": encode_cursor("lima")}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert [item["name"] for item in response.json()["items"]] == ["mike", "zulu"]


@pytest.mark.parametrize(("cursor", "why"), BAD_CURSORS, ids=[why for _, why in BAD_CURSORS])
def test_bad_cursor_is_rejected(client, admin_headers, cursor, why):
    register(client, admin_headers, "payments")
    response = client.get(SERVICES, params={"cursor": cursor}, headers=admin_headers)
    problem = assert_problem(response, 400, "invalid-cursor")
    assert problem["detail"], why


def test_bad_cursor_file_is_read_whole():
    # Guards against an empty or mis-split data file silently testing nothing.
    lines = [line for line in (HERE / "bad_cursors.txt").read_text().splitlines() if line.strip()]
    cases = _bad_cursors_from_file()
    assert len(cases) == len(lines) >= 10
    assert all(cursor and why for cursor, why in cases)


@pytest.mark.parametrize("query", ["?colour=blue", "?=false", "?limit=2&offset=4"])
def test_unknown_query_parameters_are_rejected(client, admin_headers, query):
    response = client.get(f"/v1/services{query}", headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["slug"] == "invalid-request"
