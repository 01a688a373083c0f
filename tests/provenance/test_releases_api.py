"""Releases over HTTP: independent rebuilds agreeing, disagreeing, and one builder twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.attestations.submissions import allow, register, submit
from tests.builders.identities import FORK, GENERATOR, GENERATOR_IDENTITY, RELEASE
from tests.problems import assert_problem
from tests.provenance.statements import RUN_ID, statement
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, LocalSigstore, SignerIdentity, dsse_bundle

HOSTED = "good-attest-build-provenance-runner.json"
GENERATED = "good-slsa-generator-v1.json"
NAME = "payments-1.4.0.tar.gz"
DIGEST = "9f2c6a4e0b7d15c8e3a1f6b2d4c8e0a7b5f3d1c9e7a5b3d1f9e7c5a3b1d9f7e5"
OTHER = "1" * 64


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    allow(client, admin_headers, GENERATOR_IDENTITY)
    return "payments"


def build(
    client: Any,
    headers: dict[str, str],
    sigstore: LocalSigstore,
    name: str,
    signer: SignerIdentity,
    digest: str = DIGEST,
) -> dict[str, Any]:
    document = statement(name)
    document["subject"] = [{"name": NAME, "digest": {"sha256": digest}}]
    response = submit(client, headers, dsse_bundle(sigstore, document, signer=signer))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def record(client: Any, headers: dict[str, str], digest: str = DIGEST) -> dict[str, Any]:
    response = client.get(f"/v1/artifacts/sha256:{digest}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_two_independent_builders_agreeing_make_the_release_reproducible(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    hosted = build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    generated = build(client, pipeline_headers, local_sigstore, GENERATED, GENERATOR)

    artifact = record(client, auditor_headers)
    assert (artifact["name"], artifact["version"]) == (NAME, "v1.4.0")
    reproducibility = artifact["reproducibility"]
    assert reproducibility["status"] == "reproducible"
    assert (reproducibility["quorum"], reproducibility["independent_builders"]) == (2, 2)
    assert [b["attestation_id"] for b in reproducibility["builders"]] == [
        hosted["id"],
        generated["id"],
    ]
    assert artifact["provenance"]["slsa_level"] == 3

    page = client.get("/v1/services/payments/releases", headers=auditor_headers).json()
    (release,) = page["items"]
    assert (release["name"], release["version"]) == (NAME, "v1.4.0")
    assert release["artifacts"] == [
        {"digest": f"sha256:{DIGEST}", "slsa_level": 3, "created_at": artifact["created_at"]}
    ]
    assert release["reproducibility"] == reproducibility
    assert page["next"] is None


def test_two_builders_disagreeing_are_a_mismatch(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    build(client, pipeline_headers, local_sigstore, GENERATED, GENERATOR, digest=OTHER)
    for digest in (DIGEST, OTHER):
        reproducibility = record(client, auditor_headers, digest)["reproducibility"]
        assert reproducibility["status"] == "mismatch"
        shown = {(b["builder_id"], b["digest"]) for b in reproducibility["builders"]}
        assert shown == {
            ("https://github.com/actions/runner/github-hosted", f"sha256:{DIGEST}"),
            (GENERATOR.identity, f"sha256:{OTHER}"),
        }
    (release,) = client.get("/v1/services/payments/releases", headers=auditor_headers).json()[
        "items"
    ]
    assert len(release["artifacts"]) == 2
    assert release["reproducibility"]["status"] == "mismatch"


def test_one_builder_twice_is_not_independent(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    assert reproducibility["independent_builders"] == 1
    assert len(reproducibility["builders"]) == 2


def test_a_forks_build_of_the_same_name_and_tag_is_not_a_mismatch(
    client, service, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    allow(
        client,
        admin_headers,
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject": FORK.identity,
            "repository": "mallory/payments",
        },
    )
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    build(client, pipeline_headers, local_sigstore, "good-fork-repository.json", FORK, digest=OTHER)
    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    assert len(reproducibility["builders"]) == 1


def test_the_policy_sets_the_quorum(
    client, service, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    changed = client.put(
        "/v1/services/payments/policy", json={"reproducibility_quorum": 1}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert (reproducibility["status"], reproducibility["quorum"]) == ("reproducible", 1)


def test_an_artifact_without_a_version_has_no_release(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    document = statement("good-branch-ref.json")
    document["subject"] = [{"name": NAME, "digest": {"sha256": DIGEST}}]
    branch = SignerIdentity.github_workflow("acme/payments", ref="refs/heads/main")
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=branch)
    )
    assert response.status_code == 201, response.text
    artifact = record(client, auditor_headers)
    assert artifact["version"] is None
    assert artifact["reproducibility"]["status"] == "unverified"
    assert artifact["reproducibility"]["reasons"][0].startswith("no-release: ")
    page = client.get("/v1/services/payments/releases", headers=auditor_headers).json()
    assert page == {"items": [], "next": None}


def test_releases_page_newest_first(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    versions = ["v1.0.0", "v1.1.0", "v1.2.0"]
    for number, version in enumerate(versions):
        document = statement(HOSTED)
        document["subject"] = [{"name": NAME, "digest": {"sha256": f"{number}" * 64}}]
        signer = SignerIdentity.github_workflow(
            "acme/payments",
            ref=f"refs/tags/{version}",
            sha="5b0a8e6f2d7c41398e1f6a2b9c0d3e4f5a6b7c8d",
            run_id=RUN_ID,
        )
        workflow = document["predicate"]["buildDefinition"]["externalParameters"]["workflow"]
        workflow["ref"] = f"refs/tags/{version}"
        dependency = document["predicate"]["buildDefinition"]["resolvedDependencies"][0]
        dependency["uri"] = f"git+https://github.com/acme/payments@refs/tags/{version}"
        response = submit(
            client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=signer)
        )
        assert response.status_code == 201, response.text

    url = "/v1/services/payments/releases"
    first = client.get(url, params={"limit": 2}, headers=auditor_headers).json()
    assert [r["version"] for r in first["items"]] == ["v1.2.0", "v1.1.0"]
    second = client.get(
        url, params={"limit": 2, "cursor": first["next"]}, headers=auditor_headers
    ).json()
    assert [r["version"] for r in second["items"]] == ["v1.0.0"]
    assert second["next"] is None


def test_releases_of_an_unknown_service_or_with_a_bad_cursor_are_refused(
    client, service, auditor_headers
):
    assert_problem(
        client.get("/v1/services/nowhere/releases", headers=auditor_headers),
        404,
        "service-not-found",
    )
    response = client.get(
        "/v1/services/payments/releases", params={"cursor": "not-a-cursor"}, headers=auditor_headers
    )
    assert response.status_code == 400
    assert response.json()["slug"] == "invalid-cursor"
