"""Cross-document consistency: pure rules, and the findings on the artifact record over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.provenance.consistency import (
    ListedComponent,
    ResolvedDependency,
    SbomSubject,
    consistency,
    release_consistency,
)
from tests.attestations.submissions import register, submit
from tests.builders.identities import RELEASE
from tests.provenance.statements import RUN_ID, statement
from tests.sboms.sbom_files import read as read_sbom
from tests.sboms.uploads import upload as upload_sbom
from tests.sigstore_local import SignerIdentity, dsse_bundle

ARTIFACT = "sha256:" + "a" * 64
# What tests/sboms/files/cyclonedx-1.6.json declares and lists.
SBOM_SUBJECT = "sha256:3f8e2b1c4d5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
REQUESTS_SHA256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"


def component(version: str | None, sha256: str | None = None) -> ListedComponent:
    hashes = [("SHA-256", sha256)] if sha256 else []
    return ListedComponent(sbom_id=1, purl_key="pkg:pypi/requests", version=version, hashes=hashes)


def dependency(uri: str, **digest: str) -> ResolvedDependency:
    return ResolvedDependency(attestation_id=7, uri=uri, digest=digest)


def slugs(findings: list[str]) -> list[str]:
    return [finding.split(":", 1)[0] for finding in findings]


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ([ARTIFACT], []),
        ([], []),
        (["sha512:" + "b" * 128], []),  # another algorithm says nothing about this digest
        (["sha256:" + "b" * 64], ["sbom-subject-mismatch"]),
        (["sha256:" + "b" * 64, ARTIFACT], []),
    ],
)
def test_an_sboms_own_subject_must_be_the_artifact(declared, expected) -> None:
    assert slugs(consistency(ARTIFACT, [SbomSubject(1, declared)], [], [])) == expected


@pytest.mark.parametrize(
    ("uri", "digest", "listed", "expected"),
    [
        ("pkg:pypi/requests@2.32.3", {}, [component("2.32.3")], []),
        ("pkg:pypi/requests@2.32.3", {}, [component("2.31.0")], ["dependency-version-mismatch"]),
        ("pkg:pypi/Requests@2.32.3", {}, [component("2.31.0")], ["dependency-version-mismatch"]),
        (
            "pkg:pypi/requests@2.32.3",
            {"sha256": "c" * 64},
            [component("2.32.3", "d" * 64)],
            ["dependency-digest-mismatch"],
        ),
        ("pkg:pypi/requests@2.32.3", {"sha256": "C" * 64}, [component("2.32.3", "c" * 64)], []),
        ("pkg:pypi/requests@2.32.3", {"sha1": "e" * 40}, [component("2.32.3", "d" * 64)], []),
        ("pkg:pypi/requests", {}, [component("2.31.0")], []),  # no version: nothing to compare
        ("pkg:npm/lodash@4.17.21", {}, [component("2.31.0")], []),  # the SBOM does not list it
        ("git+https://github.com/acme/payments@refs/tags/v1", {}, [component("1")], []),
        ("pkg:%%%", {}, [component("1")], []),
    ],
    ids=[
        "same-version",
        "other-version",
        "canonical-name",
        "other-digest",
        "digest-case",
        "other-algorithm",
        "unversioned",
        "not-listed",
        "not-a-purl",
        "invalid-purl",
    ],
)
def test_resolved_dependencies_against_sbom_components(uri, digest, listed, expected) -> None:
    assert slugs(consistency(ARTIFACT, [], [dependency(uri, **digest)], listed)) == expected


# --- over HTTP ----------------------------------------------------------------------------------


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def test_the_artifact_record_lists_its_inconsistencies(
    client: Any, admin_headers, pipeline_headers, auditor_headers, local_sigstore
) -> None:
    register(client, admin_headers)
    digest = hashlib.sha256(b"payments-1.4.0.tar.gz").hexdigest()
    artifact = f"sha256:{digest}"
    # An SBOM whose subject is another digest, uploaded for this artifact.
    sbom = upload_sbom(client, pipeline_headers, read_sbom("cyclonedx-1.6.json"), artifact=artifact)
    assert sbom.status_code == 201, sbom.text
    # Provenance that resolved requests at another version, and urllib3 at another digest.
    document = statement("good-attest-build-provenance-runner.json")
    document["subject"] = [{"name": "payments-1.4.0.tar.gz", "digest": {"sha256": digest}}]
    document["predicate"]["buildDefinition"]["resolvedDependencies"] += [
        {"uri": "pkg:pypi/requests@2.31.0", "digest": {"sha256": REQUESTS_SHA256}},
        {"uri": "pkg:pypi/urllib3@2.2.2", "digest": {"sha256": "0" * 64}},
    ]
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE)
    )
    assert response.status_code == 201, response.text

    record = client.get(f"/v1/artifacts/{artifact}", headers=auditor_headers).json()
    assert slugs(record["consistency"]) == [
        "sbom-subject-mismatch",
        "dependency-version-mismatch",
        "dependency-digest-mismatch",
    ]
    assert SBOM_SUBJECT in record["consistency"][0]
    assert "pkg:pypi/requests@2.31.0" in record["consistency"][1]
    assert "2.32.3" in record["consistency"][1]


def test_a_consistent_artifact_has_no_findings(
    client: Any, admin_headers, pipeline_headers, auditor_headers
) -> None:
    register(client, admin_headers)
    sbom = upload_sbom(client, pipeline_headers, read_sbom("cyclonedx-1.6.json"), artifact=None)
    assert sbom.status_code == 201, sbom.text
    record = client.get(f"/v1/artifacts/{SBOM_SUBJECT}", headers=auditor_headers).json()
    assert record["consistency"] == []


def test_release_evidence_for_several_digests_is_a_finding() -> None:
    evidence = {"sbom": {ARTIFACT}, "signature": {ARTIFACT}, "provenance": {"sha256:" + "b" * 64}}
    (finding,) = release_consistency("payments", "1.4.0", evidence)
    assert finding.startswith("release-digest-mismatch: payments 1.4.0 ")
    assert "provenance: sha256:bbbb" in finding
    assert release_consistency("payments", "1.4.0", {"sbom": {ARTIFACT}, "signature": set()}) == []


def test_a_release_whose_sbom_and_provenance_describe_different_builds(
    client: Any, admin_headers, pipeline_headers, auditor_headers, local_sigstore
) -> None:
    """The SBOM names payments 1.4.0 at one digest, the provenance of 1.4.0 another."""
    register(client, admin_headers)
    sbom = upload_sbom(client, pipeline_headers, read_sbom("cyclonedx-1.6.json"), artifact=None)
    assert sbom.status_code == 201, sbom.text
    other = hashlib.sha256(b"another build").hexdigest()
    document = statement("good-attest-build-provenance-runner.json")
    document["subject"] = [{"name": "payments", "digest": {"sha256": other}}]
    document["predicate"]["buildDefinition"]["externalParameters"]["workflow"]["ref"] = (
        "refs/tags/1.4.0"
    )
    dependency = document["predicate"]["buildDefinition"]["resolvedDependencies"][0]
    dependency["uri"] = "git+https://github.com/acme/payments@refs/tags/1.4.0"
    signer = SignerIdentity.github_workflow(
        "acme/payments",
        ref="refs/tags/1.4.0",
        sha="5b0a8e6f2d7c41398e1f6a2b9c0d3e4f5a6b7c8d",
        run_id=RUN_ID,
    )
    response = submit(
        client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=signer)
    )
    assert response.status_code == 201, response.text
    assert response.json()["provenance"]["source_bound"] is True

    for digest in (SBOM_SUBJECT, f"sha256:{other}"):
        record = client.get(f"/v1/artifacts/{digest}", headers=auditor_headers).json()
        assert (record["name"], record["version"]) == ("payments", "1.4.0")
        (finding,) = [f for f in record["consistency"] if f.startswith("release-digest-mismatch")]
        assert f"sbom: {SBOM_SUBJECT}" in finding
        assert f"provenance: sha256:{other}" in finding
