"""Real generator output, padded documents and documents full of URLs, through the API."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from tests.problems import assert_problem
from tests.sboms.sbom_files import GENERATED, loopback_http_server, read
from tests.sboms.uploads import DIGEST_A, NOTHING_STORED, stored_counts, upload

CONTENT_TYPES = {"JSON": "application/vnd.cyclonedx+json", "XML": "application/vnd.cyclonedx+xml"}


def _json_counts(document: dict) -> tuple[int, int]:
    """(components at any depth, distinct dependency edges) as the JSON file says."""
    components = 0
    stack = list(document.get("components", []))
    while stack:
        component = stack.pop()
        components += 1
        stack.extend(component.get("components", []))
    edges = {
        (entry["ref"], target)
        for entry in document.get("dependencies", [])
        for target in entry.get("dependsOn", [])
    }
    return components, len(edges)


def _xml_counts(root: etree._Element) -> tuple[int, int]:
    namespace = etree.QName(root).namespace
    components = root.findall(f"{{{namespace}}}components//{{{namespace}}}component")
    edges = {
        (dependency.get("ref"), inner.get("ref"))
        for dependency in root.findall(f"{{{namespace}}}dependencies/{{{namespace}}}dependency")
        for inner in dependency.findall(f"{{{namespace}}}dependency")
    }
    return len(components), len(edges)


@pytest.mark.parametrize(("syntax", "version"), GENERATED)
def test_generator_output_is_stored_with_the_counts_the_file_states(
    syntax, version, generated_sboms, client, service, pipeline_headers, auditor_headers
):
    body = generated_sboms[(syntax, version)].read_bytes()
    if syntax == "JSON":
        components, edges = _json_counts(json.loads(body))
    else:
        components, edges = _xml_counts(etree.fromstring(body))
    assert components > 10  # the test environment has dozens of packages

    response = upload(client, pipeline_headers, body, CONTENT_TYPES[syntax])
    assert response.status_code == 201, response.text
    sbom = response.json()
    assert sbom["spec_version"] == version
    assert sbom["component_count"] == components
    assert sbom["dependency_count"] == edges
    assert sbom["invalid_purl_count"] == 0

    listed: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            f"/v1/artifacts/{DIGEST_A}/components", params=params, headers=auditor_headers
        ).json()
        listed += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(listed) == components
    (pytest_purl,) = {item["purl"] for item in listed if item["name"] == "pytest"}
    assert pytest_purl.startswith("pkg:pypi/pytest@")

    found = client.get(
        "/v1/components", params={"purl": "pkg:pypi/pytest"}, headers=auditor_headers
    ).json()
    assert [a["digest"] for item in found["items"] for a in item["artifacts"]] == [DIGEST_A]


@pytest.fixture
def settings(settings):
    """The production default body limit, so that 50 MB documents reach the parser."""
    return settings.model_copy(update={"max_body_bytes": 64 * 1024 * 1024})


PADDING = b" \n\t\r" * (50 * 1024 * 1024 // 4)


def test_json_followed_by_50_mb_of_whitespace_is_still_one_document(
    client, service, pipeline_headers
):
    response = upload(client, pipeline_headers, read("cyclonedx-1.6.json") + PADDING)
    assert response.status_code == 201, response.text
    assert response.json()["component_count"] == 2


def test_xml_followed_by_50_mb_of_whitespace_is_refused_by_the_parsers_node_limit(
    client, service, pipeline_headers, run_in_session
):
    body = read("cyclonedx-1.6.xml") + PADDING
    response = upload(client, pipeline_headers, body, CONTENT_TYPES["XML"])
    assert_problem(response, 400, "sbom-malformed")
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_50_mb_of_whitespace_alone_is_malformed(client, service, pipeline_headers, run_in_session):
    assert_problem(upload(client, pipeline_headers, PADDING), 400, "sbom-malformed")
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_a_tag_value_line_of_11_mb_is_refused_and_nothing_is_stored(
    client, service, pipeline_headers, run_in_session
):
    body = read("spdx-2.3.spdx") + b"PackageComment: " + b"x" * (11 * 1024 * 1024) + b"\n"
    response = upload(client, pipeline_headers, body, "text/spdx")
    problem = assert_problem(response, 400, "sbom-malformed")
    assert problem["reasons"] == ["line 53: longer than 10485760 characters"]
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_tag_value_followed_by_50_mb_of_blank_lines_is_still_one_document(
    client, service, pipeline_headers
):
    body = read("spdx-2.3.spdx") + b"\n" * (50 * 1024 * 1024)
    response = upload(client, pipeline_headers, body, "text/spdx")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "spdx-tag-value"


def test_no_url_in_an_uploaded_document_is_fetched(client, service, pipeline_headers):
    with loopback_http_server() as (base, requests):
        bom = {
            "$schema": f"{base}/schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {"licenses": [{"license": {"name": "x", "url": f"{base}/license"}}]},
            "externalReferences": [{"type": "website", "url": f"{base}/site"}],
            "components": [
                {
                    "type": "library",
                    "name": "a",
                    "purl": "pkg:generic/a@1?download_url=" + f"{base}/a.tgz",
                    "externalReferences": [{"type": "distribution", "url": f"{base}/dist"}],
                }
            ],
        }
        response = upload(client, pipeline_headers, json.dumps(bom).encode())
        assert response.status_code == 201, response.text
        xml = (
            f'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="http://cyclonedx.org/schema/bom/1.6 {base}/bom.xsd" version="1">'
            f'<externalReferences><reference type="website"><url>{base}/x</url></reference>'
            f"</externalReferences></bom>"
        ).encode()
        response = upload(
            client, pipeline_headers, xml, CONTENT_TYPES["XML"], artifact="sha256:" + "c" * 64
        )
        assert response.status_code == 201, response.text
    assert requests == []
