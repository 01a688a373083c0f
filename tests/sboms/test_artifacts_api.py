"""GET /v1/artifacts/{digest} and its components, over HTTP."""

from __future__ import annotations

import pytest

from tests.builders.sbom_documents import cyclonedx
from tests.problems import assert_problem
from tests.sboms.sbom_files import read
from tests.sboms.uploads import DIGEST_A, SERVICE, upload


def test_an_artifact_lists_its_sboms_with_their_quality(
    client, service, pipeline_headers, auditor_headers
):
    sbom = upload(client, pipeline_headers, read("cyclonedx-1.6.json")).json()
    response = client.get(f"/v1/artifacts/{DIGEST_A}", headers=auditor_headers)
    assert response.status_code == 200
    artifact = response.json()
    assert artifact["digest"] == DIGEST_A
    assert artifact["service"] == SERVICE
    assert (artifact["name"], artifact["version"]) == ("payments", "1.4.0")
    (listed,) = artifact["sboms"]
    assert listed["id"] == sbom["id"]
    assert listed["quality"] == sbom["quality"]
    assert listed["audit_index"] == sbom["audit_index"]


def test_an_upper_case_digest_finds_the_artifact(
    client, service, pipeline_headers, auditor_headers
):
    upload(client, pipeline_headers, read("cyclonedx-1.6.json"))
    response = client.get("/v1/artifacts/SHA256:" + "A" * 64, headers=auditor_headers)
    assert response.status_code == 200
    assert response.json()["digest"] == DIGEST_A


def test_an_unknown_artifact_is_a_404(client, auditor_headers):
    response = client.get("/v1/artifacts/sha256:" + "f" * 64, headers=auditor_headers)
    assert_problem(response, 404, "artifact-not-found")
    listing = client.get(
        "/v1/artifacts/sha256:" + "f" * 64 + "/components", headers=auditor_headers
    )
    assert_problem(listing, 404, "artifact-not-found")


@pytest.mark.parametrize(
    "digest", ["sha256:abc", "md5:" + "a" * 32, "a" * 64, "sha256:" + "g" * 64]
)
def test_a_malformed_digest_is_a_422(digest, client, auditor_headers):
    response = client.get(f"/v1/artifacts/{digest}", headers=auditor_headers)
    assert_problem(response, 422, "invalid-request")


def test_components_page_through_in_upload_order(
    client, service, pipeline_headers, auditor_headers
):
    purls = [f"pkg:npm/package-{n}@1.0.{n}" for n in range(7)]
    assert upload(client, pipeline_headers, cyclonedx(*purls)).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = client.get(
            f"/v1/artifacts/{DIGEST_A}/components", params=params, headers=auditor_headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3
        seen += [item["purl"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == purls


def test_a_component_carries_its_normalised_facts(
    client, service, pipeline_headers, auditor_headers
):
    upload(client, pipeline_headers, read("cyclonedx-1.6.json"))
    page = client.get(f"/v1/artifacts/{DIGEST_A}/components", headers=auditor_headers).json()
    requests = next(item for item in page["items"] if item["name"] == "requests")
    assert requests["purl"] == "pkg:pypi/requests@2.32.3"
    assert requests["purl_valid"] is True
    assert requests["licenses"] == ["Apache-2.0"]
    assert requests["hashes"] == [
        {
            "algorithm": "SHA-256",
            "value": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        }
    ]


def test_a_bad_components_cursor_is_a_400(client, service, pipeline_headers, auditor_headers):
    upload(client, pipeline_headers, read("cyclonedx-1.6.json"))
    response = client.get(
        f"/v1/artifacts/{DIGEST_A}/components", params={"cursor": "x"}, headers=auditor_headers
    )
    assert_problem(response, 400, "invalid-cursor")


def test_artifacts_need_a_reader(client, pipeline_headers):
    response = client.get(f"/v1/artifacts/{DIGEST_A}", headers=pipeline_headers)
    assert_problem(response, 403, "forbidden")
