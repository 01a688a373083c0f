"""GET /v1/components: which artifacts and services contain a package, at which versions."""

from __future__ import annotations

import pytest

from app.pagination import encode_position
from tests.builders.sbom_documents import cyclonedx
from tests.problems import assert_problem
from tests.sboms.uploads import upload

DIGEST_A = "sha256:" + "1" * 64
DIGEST_B = "sha256:" + "2" * 64
DIGEST_C = "sha256:" + "3" * 64


@pytest.fixture
def billing(client, admin_headers) -> str:
    response = client.post(
        "/v1/services",
        json={"name": "billing", "repository": "https://github.com/acme/billing"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    return "billing"


@pytest.fixture
def stored(client, service, billing, pipeline_headers) -> None:
    """Three artifacts in two services with npm, PyPI and Maven packages."""
    uploads = [
        (
            service,
            DIGEST_A,
            cyclonedx(
                "pkg:npm/lodash@4.17.20",
                "pkg:npm/lodash@4.17.21",
                "pkg:npm/left-pad@1.9.0",
                "pkg:npm/left-pad@1.10.0",
                "pkg:npm/left-pad@2.0.0-rc.1",
                "pkg:pypi/django@4.2rc1",
                "pkg:pypi/django@4.2",
                "pkg:pypi/django@4.2.post1",
                "pkg:maven/org.acme/core@1.0-SNAPSHOT",
                "pkg:maven/org.acme/core@1.0",
                "pkg:maven/org.acme/core@1.10",
                "pkg:maven/org.acme/core@1.9?type=pom",
                serial="1",
            ),
        ),
        (
            billing,
            DIGEST_B,
            cyclonedx("pkg:npm/lodash@4.17.21", "pkg:npm/%40scope/util@1.0.0", serial="2"),
        ),
        (service, DIGEST_C, cyclonedx("pkg:npm/lodash@4.17.21", "pkg:pypi/django@5.0", serial="3")),
    ]
    for service_name, digest, body in uploads:
        response = upload(client, pipeline_headers, body, service=service_name, artifact=digest)
        assert response.status_code == 201, response.text


def search(client, headers, **params):
    return client.get("/v1/components", params=params, headers=headers)


def found(response) -> list[tuple[str, list[str]]]:
    assert response.status_code == 200, response.text
    return [
        (item["purl"], [artifact["digest"] for artifact in item["artifacts"]])
        for item in response.json()["items"]
    ]


def test_a_purl_without_version_matches_every_version(client, stored, auditor_headers):
    response = search(client, auditor_headers, purl="pkg:npm/lodash")
    assert found(response) == [
        ("pkg:npm/lodash@4.17.20", [DIGEST_A]),
        ("pkg:npm/lodash@4.17.21", [DIGEST_A, DIGEST_B, DIGEST_C]),
    ]
    item = response.json()["items"][1]
    assert item["name"] == "lodash"
    assert item["version"] == "4.17.21"
    assert item["artifacts"][1] == {"digest": DIGEST_B, "service": "billing"}
    assert response.json()["next"] is None


def test_a_purl_with_a_version_matches_that_version(client, stored, auditor_headers):
    response = search(client, auditor_headers, purl="pkg:npm/lodash@4.17.20")
    assert found(response) == [("pkg:npm/lodash@4.17.20", [DIGEST_A])]


def test_the_query_purl_is_normalised_like_stored_ones(client, stored, auditor_headers):
    response = search(client, auditor_headers, purl="pkg:PYPI/Django@4.2")
    assert found(response) == [("pkg:pypi/django@4.2", [DIGEST_A])]
    scoped = search(client, auditor_headers, purl="pkg:npm/@scope/util")
    assert found(scoped) == [("pkg:npm/%40scope/util@1.0.0", [DIGEST_B])]


def test_qualifiers_in_the_query_ask_for_that_exact_purl(client, stored, auditor_headers):
    response = search(client, auditor_headers, purl="pkg:maven/org.acme/core@1.9?type=pom")
    assert found(response) == [("pkg:maven/org.acme/core@1.9?type=pom", [DIGEST_A])]
    other = search(client, auditor_headers, purl="pkg:maven/org.acme/core@1.9?type=jar")
    assert found(other) == []


@pytest.mark.parametrize(
    ("purl", "version_range", "versions"),
    [
        # npm: semver, numeric parts compared as numbers, pre-releases below the release.
        ("pkg:npm/lodash", "vers:npm/<4.17.21", ["4.17.20"]),
        ("pkg:npm/lodash", "vers:npm/>=4.17.20|<=4.17.21", ["4.17.20", "4.17.21"]),
        ("pkg:npm/left-pad", "vers:npm/>1.9.0", ["1.10.0", "2.0.0-rc.1"]),
        # vers compares by semver precedence: a pre-release sorts below its release.
        ("pkg:npm/left-pad", "vers:npm/<2.0.0", ["1.10.0", "1.9.0", "2.0.0-rc.1"]),
        ("pkg:npm/left-pad", "vers:semver/>=2.0.0-rc.1", ["2.0.0-rc.1"]),
        # PyPI: PEP 440, rc < release < post-release.
        ("pkg:pypi/django", "vers:pypi/<4.2", ["4.2rc1"]),
        ("pkg:pypi/django", "vers:pypi/>4.2", ["4.2.post1", "5.0"]),
        ("pkg:pypi/django", "vers:pypi/4.2.0", ["4.2"]),
        # Maven: SNAPSHOT < release, 1.10 > 1.9.
        ("pkg:maven/org.acme/core", "vers:maven/<1.0", ["1.0-SNAPSHOT"]),
        ("pkg:maven/org.acme/core", "vers:maven/>1.9", ["1.10"]),
        ("pkg:maven/org.acme/core", "vers:maven/>=1.0|<1.10", ["1.0", "1.9"]),
        ("pkg:npm/lodash", "vers:npm/>=5.0.0", []),
    ],
)
def test_a_range_filters_versions_in_the_ecosystems_order(
    purl, version_range, versions, client, stored, auditor_headers
):
    response = search(client, auditor_headers, purl=purl, range=version_range)
    assert response.status_code == 200, response.text
    got = sorted(item["version"] for item in response.json()["items"])
    assert got == sorted(versions)


def test_pages_are_keyset_pages_of_purl_and_artifact_pairs(client, stored, auditor_headers):
    seen: list[tuple[str, str]] = []
    cursor = None
    pages = 0
    while True:
        params = {"purl": "pkg:npm/lodash", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = search(client, auditor_headers, **params).json()
        pages += 1
        seen += [(i["purl"], a["digest"]) for i in page["items"] for a in i["artifacts"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == [
        ("pkg:npm/lodash@4.17.20", DIGEST_A),
        ("pkg:npm/lodash@4.17.21", DIGEST_A),
        ("pkg:npm/lodash@4.17.21", DIGEST_B),
        ("pkg:npm/lodash@4.17.21", DIGEST_C),
    ]


def test_an_unknown_package_finds_nothing(client, stored, auditor_headers):
    assert found(search(client, auditor_headers, purl="pkg:npm/nothing-here")) == []


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"purl": "lodash"}, 422, "invalid-purl"),
        ({"purl": "pkg:npm"}, 422, "invalid-purl"),
        ({"purl": "pkg:npm/lodash@4.17.21", "range": "vers:npm/<5"}, 422, "invalid-version-range"),
        ({"purl": "pkg:npm/lodash", "range": "vers:pypi/<5"}, 422, "invalid-version-range"),
        ({"purl": "pkg:npm/lodash", "range": "npm/<5"}, 422, "invalid-version-range"),
        ({"purl": "pkg:npm/lodash", "range": "vers:npm/>=2|>=3"}, 422, "invalid-version-range"),
        ({"purl": "pkg:npm/lodash", "cursor": "nope"}, 400, "invalid-cursor"),
        ({"purl": "pkg:npm/lodash", "cursor": encode_position(1)}, 400, "invalid-cursor"),
        ({}, 422, "invalid-request"),
        ({"purl": "pkg:npm/lodash", "colour": "blue"}, 422, "invalid-request"),
        ({"purl": "pkg:npm/" + "a" * 1001}, 422, "invalid-request"),
    ],
)
def test_bad_searches_are_problems(params, status, slug, client, stored, auditor_headers):
    assert_problem(search(client, auditor_headers, **params), status, slug, "/v1/components")


def test_searching_needs_a_reader(client, pipeline_headers):
    response = search(client, pipeline_headers, purl="pkg:npm/lodash")
    assert_problem(response, 403, "forbidden")


def test_a_cursor_with_a_64_bit_artifact_id_continues_without_error(
    client, stored, auditor_headers
):
    cursor = encode_position("4.17.20", "pkg:npm/lodash@4.17.20", 2**40)
    response = search(client, auditor_headers, purl="pkg:npm/lodash", cursor=cursor)
    assert found(response) == [("pkg:npm/lodash@4.17.21", [DIGEST_A, DIGEST_B, DIGEST_C])]


def test_an_sbom_id_beyond_the_column_is_a_422(client, auditor_headers):
    response = client.get(f"/v1/sboms/{2**31}", headers=auditor_headers)
    assert_problem(response, 422, "invalid-request")
