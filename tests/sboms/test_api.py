"""POST /v1/sboms and GET /v1/sboms/{id}[/raw] over HTTP, on a real database."""

from __future__ import annotations

import json

import pytest

from app.sboms.formats import SbomFormat
from tests.builders.credentials import bearer
from tests.problems import assert_problem
from tests.sboms.sbom_files import KNOWN_BAD, KNOWN_GOOD, read
from tests.sboms.uploads import (
    DIGEST_A,
    DIGEST_B,
    NOTHING_STORED,
    SERVICE,
    audit_events,
    sbom_events,
    stored_counts,
    upload,
)

CDX_JSON = "application/vnd.cyclonedx+json"


def _minimal_cyclonedx(**extra: object) -> bytes:
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "name": "left-pad",
                "version": "1.3.0",
                "purl": "pkg:npm/left-pad@1.3.0",
            }
        ],
        **extra,
    }
    return json.dumps(bom).encode()


@pytest.mark.parametrize("case", KNOWN_GOOD)
def test_every_known_good_file_is_stored_with_its_components(
    case, client, service, pipeline_headers, auditor_headers, run_in_session
):
    body = read(case["file"])
    response = upload(client, pipeline_headers, body, case["content_type"])
    assert response.status_code == 201, response.text
    sbom = response.json()
    assert sbom["format"] == case["format"]
    assert sbom["spec_version"] == case["spec_version"]
    # The manifest counts SPDX packages, one of which is the described package.
    subject_packages = 1 if case["format"].startswith("spdx-") else 0
    assert sbom["component_count"] == case["components"] - subject_packages
    assert sbom["service"] == SERVICE
    assert sbom["artifact"] == {"digest": DIGEST_A}
    assert sbom["media_type"] == case["content_type"]
    assert sbom["invalid_purl_count"] == case.get("invalid_purls", 0)
    assert 0 <= sbom["quality"]["score"] <= 10
    assert stored_counts(run_in_session)["components"] == sbom["component_count"]

    # The upload also says where the service's maturity went; reading it back does not.
    assert sbom["maturity"]["level"] == 1
    again = client.get(f"/v1/sboms/{sbom['id']}", headers=auditor_headers)
    assert again.status_code == 200
    assert again.json() == {**sbom, "maturity": None}

    raw = client.get(f"/v1/sboms/{sbom['id']}/raw", headers=auditor_headers)
    assert raw.status_code == 200
    assert raw.content == body
    assert raw.headers["content-type"].startswith(case["content_type"].split(";")[0])
    assert raw.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("case", KNOWN_BAD)
def test_every_known_bad_file_is_refused_stores_nothing_and_is_audited(
    case, client, service, pipeline_headers, run_in_session
):
    response = upload(client, pipeline_headers, read(case["file"]), case["content_type"])
    problem = assert_problem(response, case["status"], case["slug"], "/v1/sboms")
    assert any(case["reason"] in reason for reason in problem["reasons"]), problem
    assert stored_counts(run_in_session) == NOTHING_STORED
    (rejected,) = sbom_events(run_in_session)
    assert rejected["action"] == "sbom.rejected"
    assert rejected["actor"] == {"type": "token", "name": "pipeline-token", "role": "pipeline"}
    assert rejected["result"]["problem"] == case["slug"]
    assert rejected["result"]["status"] == case["status"]
    assert rejected["document_sha256"] is not None
    assert rejected["result"]["service"] == SERVICE


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"", CDX_JSON, "empty body"),
        (b"   \n\t ", CDX_JSON, "only whitespace"),
    ],
)
def test_malformed_bodies_are_a_400_and_store_nothing(
    body, content_type, why, client, service, pipeline_headers, run_in_session
):
    assert_problem(upload(client, pipeline_headers, body, content_type), 400, "sbom-malformed")
    assert stored_counts(run_in_session) == NOTHING_STORED, why
    assert [e["action"] for e in sbom_events(run_in_session)] == ["sbom.rejected"]


def test_identical_bytes_again_answer_200_with_the_same_record_and_add_no_rows(
    client, service, pipeline_headers, run_in_session
):
    body = read("cyclonedx-1.6.json")
    first = upload(client, pipeline_headers, body)
    assert first.status_code == 201
    counts = stored_counts(run_in_session)

    again = upload(client, pipeline_headers, body)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "maturity": None}
    # Without the artifact parameter the stored binding is used.
    once_more = upload(client, pipeline_headers, body, artifact=None)
    assert once_more.status_code == 200
    assert once_more.json()["id"] == first.json()["id"]
    assert stored_counts(run_in_session) == counts

    events = sbom_events(run_in_session)
    assert [e["action"] for e in events] == ["sbom.accepted", "sbom.repeated", "sbom.repeated"]
    assert {e["document_sha256"] for e in events} == {first.json()["digest"].split(":")[1]}
    assert first.json()["audit_index"] == events[0]["index"]


def test_the_upload_leaf_says_what_was_stored(client, service, pipeline_headers, run_in_session):
    sbom = upload(client, pipeline_headers, read("cyclonedx-1.6.json")).json()
    (uploaded,) = sbom_events(run_in_session)
    assert uploaded["object"] == {"kind": "sbom", "id": str(sbom["id"])}
    assert uploaded["result"] == {
        "service": SERVICE,
        "artifact": DIGEST_A,
        "artifact_created": True,
        "format": "cyclonedx-json",
        "spec_version": "1.6",
        "component_count": sbom["component_count"],
        "quality_score": sbom["quality"]["score"],
    }


def test_the_same_bytes_for_another_artifact_are_a_409(
    client, service, pipeline_headers, run_in_session
):
    body = read("cyclonedx-1.6.json")
    assert upload(client, pipeline_headers, body, artifact=DIGEST_A).status_code == 201
    counts = stored_counts(run_in_session)
    response = upload(client, pipeline_headers, body, artifact=DIGEST_B)
    assert_problem(response, 409, "sbom-of-another-artifact")
    assert stored_counts(run_in_session) == counts
    assert sbom_events(run_in_session)[-1]["result"]["problem"] == "sbom-of-another-artifact"


def test_an_artifact_of_another_service_is_a_409(
    client, service, admin_headers, pipeline_headers, run_in_session
):
    created = client.post(
        "/v1/services",
        json={"name": "billing", "repository": "https://github.com/acme/billing"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    assert upload(client, pipeline_headers, read("cyclonedx-1.6.json")).status_code == 201
    counts = stored_counts(run_in_session)

    response = upload(client, pipeline_headers, read("cyclonedx-1.5.json"), service="billing")
    problem = assert_problem(response, 409, "artifact-of-another-service")
    assert "payments" in problem["detail"]
    assert stored_counts(run_in_session) == counts


def test_a_second_sbom_of_the_same_artifact_joins_it(
    client, service, pipeline_headers, auditor_headers
):
    first = upload(client, pipeline_headers, read("cyclonedx-1.6.json")).json()
    second = upload(client, pipeline_headers, read("spdx-2.3.json"), "application/spdx+json")
    assert second.status_code == 201
    artifact = client.get(f"/v1/artifacts/{DIGEST_A}", headers=auditor_headers).json()
    assert [s["id"] for s in artifact["sboms"]] == [first["id"], second.json()["id"]]


def test_the_subject_digest_names_the_artifact_when_no_parameter_does(
    client, service, pipeline_headers
):
    digest = "ab" * 32
    body = _minimal_cyclonedx(
        metadata={
            "component": {
                "type": "container",
                "name": "payments-api",
                "version": "2.4.1",
                "hashes": [{"alg": "SHA-256", "content": digest.upper()}],
            }
        }
    )
    response = upload(client, pipeline_headers, body, artifact=None)
    assert response.status_code == 201, response.text
    assert response.json()["artifact"] == {"digest": f"sha256:{digest}"}
    assert response.json()["subject"]["name"] == "payments-api"


def test_without_artifact_or_subject_digest_the_upload_is_a_422(
    client, service, pipeline_headers, run_in_session
):
    response = upload(client, pipeline_headers, _minimal_cyclonedx(), artifact=None)
    problem = assert_problem(response, 422, "sbom-without-artifact")
    assert "metadata.component.hashes" in problem["reasons"][0]
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert sbom_events(run_in_session)[-1]["result"]["problem"] == "sbom-without-artifact"


def test_two_subject_digests_of_one_algorithm_are_ambiguous(client, service, pipeline_headers):
    body = _minimal_cyclonedx(
        metadata={
            "component": {
                "type": "application",
                "name": "x",
                "hashes": [
                    {"alg": "SHA-256", "content": "a" * 64},
                    {"alg": "SHA-256", "content": "b" * 64},
                ],
            }
        }
    )
    response = upload(client, pipeline_headers, body, artifact=None)
    assert_problem(response, 422, "sbom-subject-ambiguous")


def test_an_upper_case_artifact_digest_is_stored_lower_case(client, service, pipeline_headers):
    response = upload(client, pipeline_headers, _minimal_cyclonedx(), artifact="SHA256:" + "A" * 64)
    assert response.status_code == 201
    assert response.json()["artifact"]["digest"] == DIGEST_A


def test_an_unknown_service_is_a_404_and_audited(client, pipeline_headers, run_in_session):
    response = upload(client, pipeline_headers, _minimal_cyclonedx(), service="nowhere")
    assert_problem(response, 404, "service-not-found")
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert sbom_events(run_in_session)[-1]["result"]["problem"] == "service-not-found"


def test_a_pipeline_token_for_other_services_is_refused_and_audited(
    client, service, make_token, run_in_session
):
    token = make_token("pipeline", name="billing-ci", services=("billing",))
    response = upload(client, bearer(token), _minimal_cyclonedx())
    assert_problem(response, 403, "service-not-writable")
    assert stored_counts(run_in_session) == NOTHING_STORED
    rejected = sbom_events(run_in_session)[-1]
    assert rejected["actor"]["name"] == "billing-ci"
    assert rejected["result"]["problem"] == "service-not-writable"


def test_a_pipeline_token_for_this_service_may_upload(client, service, make_token):
    token = make_token("pipeline", name="payments-ci", services=(SERVICE,))
    assert upload(client, bearer(token), _minimal_cyclonedx()).status_code == 201


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_only_pipelines_upload(role, client, service, make_token, run_in_session):
    response = upload(
        client, bearer(make_token(role, name=f"{role}-uploader")), _minimal_cyclonedx()
    )
    assert_problem(response, 403, "forbidden")
    assert stored_counts(run_in_session) == NOTHING_STORED


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"service": SERVICE, "artifact": "sha256:abc"}, "short digest"),
        ({"service": SERVICE, "artifact": "md5:" + "a" * 32}, "unknown algorithm"),
        ({"service": "Payments"}, "service name not a slug"),
        ({"service": SERVICE, "colour": "blue"}, "unknown parameter"),
        ({}, "no service"),
    ],
)
def test_bad_query_parameters_are_a_422(params, why, client, service, pipeline_headers):
    response = client.post(
        "/v1/sboms",
        params=params,
        content=_minimal_cyclonedx(),
        headers={**pipeline_headers, "Content-Type": CDX_JSON},
    )
    assert_problem(response, 422, "invalid-request")


def test_a_body_over_the_limit_is_a_413_while_streaming_and_is_audited(
    client, service, pipeline_headers, settings, run_in_session
):
    def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        "/v1/sboms",
        params={"service": SERVICE, "artifact": DIGEST_A},
        content=chunks(),
        headers={**pipeline_headers, "Content-Type": CDX_JSON},
    )
    assert_problem(response, 413, "payload-too-large")
    assert stored_counts(run_in_session) == NOTHING_STORED
    rejected = sbom_events(run_in_session)[-1]
    assert rejected["result"]["problem"] == "payload-too-large"
    assert rejected["document_sha256"] is None


def test_a_declared_length_over_the_limit_is_a_413_before_reading(
    client, service, pipeline_headers, settings, run_in_session
):
    body = b" " * (settings.max_body_bytes + 1)
    response = upload(client, pipeline_headers, body)
    assert_problem(response, 413, "payload-too-large")
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_an_invalid_purl_is_kept_as_given_and_flagged(
    client, service, pipeline_headers, auditor_headers
):
    body = read("cyclonedx-1.6-invalid-purl.json")
    response = upload(client, pipeline_headers, body)
    assert response.status_code == 201, response.text
    sbom = response.json()
    assert sbom["invalid_purl_count"] == 1
    components = client.get(f"/v1/artifacts/{DIGEST_A}/components", headers=auditor_headers)
    flagged = [c for c in components.json()["items"] if not c["purl_valid"]]
    assert [c["purl"] for c in flagged] == ["urllib3 2.2.2 is not a purl"]


def test_unknown_sbom_ids_are_a_404(client, auditor_headers):
    assert_problem(client.get("/v1/sboms/999", headers=auditor_headers), 404, "sbom-not-found")
    raw = client.get("/v1/sboms/999/raw", headers=auditor_headers)
    assert_problem(raw, 404, "sbom-not-found")


def test_reading_sboms_needs_a_reader(client, service, pipeline_headers):
    sbom = upload(client, pipeline_headers, _minimal_cyclonedx()).json()
    assert_problem(
        client.get(f"/v1/sboms/{sbom['id']}", headers=pipeline_headers), 403, "forbidden"
    )
    assert_problem(client.get(f"/v1/sboms/{sbom['id']}"), 401, "unauthenticated")


def test_plain_json_is_sniffed_and_kept_with_its_content_type(
    client, service, pipeline_headers, auditor_headers
):
    response = upload(client, pipeline_headers, read("spdx-2.3.json"), "application/json")
    assert response.status_code == 201
    assert response.json()["format"] == SbomFormat.SPDX_JSON
    raw = client.get(f"/v1/sboms/{response.json()['id']}/raw", headers=auditor_headers)
    assert raw.headers["content-type"].startswith("application/json")


def test_every_rejection_is_in_the_log_and_nothing_else_is(
    client, service, pipeline_headers, run_in_session
):
    before = len(audit_events(run_in_session))
    for name, content_type in [("bad-nan.json", CDX_JSON), ("bad-xxe-file.xml", "application/xml")]:
        assert upload(client, pipeline_headers, read(name), content_type).status_code == 400
    after = audit_events(run_in_session)
    assert [e["action"] for e in after[before:]] == ["sbom.rejected", "sbom.rejected"]
