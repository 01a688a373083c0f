"""POST /v1/attestations over HTTP: verified bundles stored once, every refusal audited."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.attestations.ingest import MAX_SUBJECTS
from app.attestations.trust import TrustRoot
from app.config import Settings
from tests.attestations.submissions import (
    ATTESTATIONS,
    NOTHING_STORED,
    attestation_events,
    register,
    stored_counts,
    submit,
)
from tests.builders.services import REPOSITORY, SERVICE
from tests.problems import assert_problem
from tests.sboms.sbom_files import read as read_sbom
from tests.sboms.uploads import audit_events
from tests.sboms.uploads import upload as upload_sbom
from tests.sigstore_local import (
    BuiltBundle,
    BundleVersion,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
    with_invalid_base64,
    with_media_type,
)

BAD_BODIES = Path(__file__).parent / "bundles"
RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v1.0.0")
STRANGER = SignerIdentity.github_workflow("mallory/payments", ref="refs/tags/v1.0.0")
CYCLONEDX = "https://cyclonedx.org/bom"


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    # SBOM predicates make bundles larger than the suite's default limit.
    return settings.model_copy(
        update={"trust_roots": (local_root_file,), "max_body_bytes": 1024 * 1024}
    )


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    return SERVICE


def digest_of(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def artifact_id(raw: bytes) -> str:
    return "sha256:" + raw.hex()


def signed_message(sigstore: LocalSigstore, name: str = "payments-1.0.0.tar.gz") -> BuiltBundle:
    return message_signature_bundle(sigstore, digest_of(name), signer=RELEASE)


# --- accepted -------------------------------------------------------------------------------


def test_a_message_signature_is_verified_stored_and_recorded(
    client,
    service,
    pipeline_headers,
    auditor_headers,
    local_sigstore,
    run_in_session,
    trust_root: TrustRoot,
):
    built = signed_message(local_sigstore)
    response = submit(client, pipeline_headers, built)
    assert response.status_code == 201, response.text
    body = response.json()

    policy = client.get(f"/v1/services/{service}/policy", headers=auditor_headers).json()
    assert body["kind"] == "signature"
    assert body["digest"] == "sha256:" + hashlib.sha256(built.content).hexdigest()
    assert body["bundle_version"] == "0.3"
    assert body["media_type"] == BundleVersion.V0_3.value
    assert body["predicate_type"] is None
    assert body["service"] == service
    assert body["subjects"] == [{"name": None, "digest": artifact_id(built.digest or b"")}]
    assert body["sbom"] is None
    assert body["uploaded_by"] == "pipeline-token"
    receipt = body["receipt"]
    assert receipt["verified"] is True
    assert receipt["reasons"] == []
    assert receipt["signer"]["subject"] == RELEASE.identity
    assert receipt["signer"]["issuer"] == RELEASE.issuer
    assert (
        receipt["signer"]["claims"]["source_repository_uri"] == f"https://github.com/{REPOSITORY}"
    )
    assert receipt["signer"]["claims"]["source_repository_ref"] == "refs/tags/v1.0.0"
    assert built.log_entry is not None
    assert receipt["tlog"]["log_index"] == built.log_entry.log_index
    integrated = datetime.fromisoformat(receipt["tlog"]["integrated_time"].replace("Z", "+00:00"))
    assert integrated == datetime.fromtimestamp(built.log_entry.integrated_time, UTC)
    assert receipt["trust_root"]["digest"] == trust_root.digest
    assert receipt["policy_version"] == policy["version"] == 1
    assert receipt["policy_digest"] == policy["digest"]
    assert receipt["sigstore_version"]
    assert receipt["audit_index"] == body["audit_index"]

    (accepted,) = attestation_events(run_in_session)
    assert accepted["action"] == "attestation.accepted"
    assert accepted["index"] == body["audit_index"]
    assert accepted["document_sha256"] == body["digest"].removeprefix("sha256:")
    assert accepted["actor"]["name"] == "pipeline-token"
    assert accepted["result"]["signer"] == {"subject": RELEASE.identity, "issuer": RELEASE.issuer}
    assert accepted["result"]["trust_root"] == trust_root.digest
    assert accepted["result"]["policy_digest"] == policy["digest"]


def test_a_stored_signature_reads_back(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    built = signed_message(local_sigstore)
    body = submit(client, pipeline_headers, built).json()

    again = client.get(f"{ATTESTATIONS}/{body['id']}", headers=auditor_headers)
    assert body["maturity"]["snapshot_id"] > 0
    assert again.json() == {**body, "maturity": None}
    raw = client.get(f"{ATTESTATIONS}/{body['id']}/raw", headers=auditor_headers)
    assert raw.content == built.content
    assert raw.headers["content-type"] == BundleVersion.V0_3.value
    assert raw.headers["x-content-type-options"] == "nosniff"

    # The signed digest is now an artifact of the service, listing the signature.
    artifact = client.get(f"/v1/artifacts/{body['subjects'][0]['digest']}", headers=auditor_headers)
    assert artifact.json()["service"] == service
    (signature,) = artifact.json()["signatures"]
    assert signature["id"] == body["id"]
    assert signature["verified"] is True
    assert signature["signer"] == {"subject": RELEASE.identity, "issuer": RELEASE.issuer}
    assert signature["receipt"] == body["receipt"]
    assert artifact.json()["attestations"] == []


def test_a_dsse_statement_binds_each_subject_to_the_service(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    subjects = {"payments.tar.gz": digest_of("tar"), "payments.whl": digest_of("whl")}
    built = dsse_bundle(local_sigstore, statement(subjects), signer=RELEASE)
    response = submit(client, pipeline_headers, built, artifact=artifact_id(digest_of("whl")))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "attestation"
    assert body["predicate_type"] == "https://slsa.dev/provenance/v1"
    assert sorted((s["name"], s["digest"]) for s in body["subjects"]) == sorted(
        (name, artifact_id(raw)) for name, raw in subjects.items()
    )
    for name, raw in subjects.items():
        artifact = client.get(f"/v1/artifacts/{artifact_id(raw)}", headers=auditor_headers).json()
        assert artifact["name"] == name
        assert artifact["service"] == service
        assert [a["id"] for a in artifact["attestations"]] == [body["id"]]
        assert artifact["attestations"][0]["predicate_type"] == body["predicate_type"]


@pytest.mark.parametrize("version", list(BundleVersion), ids=lambda v: v.name)
def test_every_bundle_version_is_accepted(
    client, service, pipeline_headers, local_sigstore, version: BundleVersion
):
    built = message_signature_bundle(
        local_sigstore, digest_of(version.name), signer=RELEASE, version=version
    )
    response = submit(client, pipeline_headers, built, content_type="application/json")
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "application/json"


def test_the_same_bytes_again_are_the_same_record(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    built = signed_message(local_sigstore)
    first = submit(client, pipeline_headers, built)
    counts = stored_counts(run_in_session)
    again = submit(client, pipeline_headers, built, artifact=first.json()["subjects"][0]["digest"])
    assert again.status_code == 200
    assert again.json() == {**first.json(), "maturity": None}
    assert stored_counts(run_in_session) == counts
    events = attestation_events(run_in_session)
    assert [e["action"] for e in events] == ["attestation.accepted", "attestation.repeated"]


def test_the_same_bytes_for_another_service_are_a_conflict(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    register(client, admin_headers, name="billing")
    built = signed_message(local_sigstore)
    submit(client, pipeline_headers, built)
    counts = stored_counts(run_in_session)
    response = submit(client, pipeline_headers, built, service="billing")
    problem = assert_problem(response, 409, "attestation-of-another-service")
    assert "payments" in problem["reasons"][0]
    assert stored_counts(run_in_session) == counts


def test_the_same_bytes_for_another_artifact_are_a_conflict(
    client, service, pipeline_headers, local_sigstore
):
    built = signed_message(local_sigstore)
    submit(client, pipeline_headers, built)
    response = submit(client, pipeline_headers, built, artifact=artifact_id(digest_of("other")))
    assert_problem(response, 409, "attestation-of-another-service")


def test_a_subject_of_another_service_is_refused_and_nothing_is_kept(
    client, service, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    register(client, admin_headers, name="billing")
    taken = digest_of("billing.tar.gz")
    upload_sbom(
        client,
        pipeline_headers,
        read_sbom("cyclonedx-1.6.json"),
        service="billing",
        artifact=artifact_id(taken),
    )
    counts = stored_counts(run_in_session)
    subjects = {"payments.tar.gz": digest_of("payments"), "billing.tar.gz": taken}
    built = dsse_bundle(local_sigstore, statement(subjects), signer=RELEASE)
    response = submit(client, pipeline_headers, built)
    problem = assert_problem(response, 409, "artifact-of-another-service")
    assert "billing" in problem["reasons"][0]
    assert stored_counts(run_in_session) == counts
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["problem"] == "artifact-of-another-service"


# --- refused: verification --------------------------------------------------------------------

_HOUR = timedelta(hours=1)


def _faults(sigstore: LocalSigstore, other: LocalSigstore) -> dict[str, tuple[BuiltBundle, str]]:
    """A bundle per reason, and the slug its refusal leads with."""
    digest = digest_of("payments-1.0.0.tar.gz")
    now = datetime.now(UTC)
    subjects = {"payments-1.0.0.tar.gz": digest}
    return {
        "identity-mismatch": (
            message_signature_bundle(sigstore, digest, signer=STRANGER),
            "identity-mismatch",
        ),
        "untrusted-chain": (
            message_signature_bundle(sigstore, digest, signer=RELEASE, ca=other.ca),
            "untrusted-chain",
        ),
        "expired-certificate": (
            message_signature_bundle(
                sigstore,
                digest,
                signer=RELEASE,
                signed_at=now - 2 * _HOUR,
                integrated_at=now - _HOUR,
            ),
            "expired-certificate",
        ),
        "integrated-time-future": (
            message_signature_bundle(
                sigstore, digest, signer=RELEASE, signed_at=now + _HOUR, integrated_at=now + _HOUR
            ),
            "integrated-time-future",
        ),
        "no-tlog-entry": (
            message_signature_bundle(sigstore, digest, signer=RELEASE, omit_log_entry=True),
            "no-tlog-entry",
        ),
        "inclusion-proof-invalid": (
            message_signature_bundle(
                sigstore, digest, signer=RELEASE, corrupt_inclusion_proof=True
            ),
            "inclusion-proof-invalid",
        ),
        "unsupported-entry-kind": (
            dsse_bundle(
                sigstore,
                statement(subjects),
                signer=RELEASE,
                log_entry_kind=("rekord", "0.0.1"),
            ),
            "unsupported-entry-kind",
        ),
        "swapped-log-entry": (
            message_signature_bundle(sigstore, digest, signer=RELEASE, swap_log_entry=True),
            "tlog-entry-mismatch",
        ),
        "two-dsse-signatures": (
            dsse_bundle(sigstore, statement(subjects), signer=RELEASE, extra_signature=True),
            "dsse-signatures",
        ),
        "root-in-chain": (
            message_signature_bundle(
                sigstore,
                digest,
                signer=RELEASE,
                version=BundleVersion.V0_2,
                include_root_ca=True,
            ),
            "root-in-chain",
        ),
        "payload-type": (
            dsse_bundle(
                sigstore, statement(subjects), signer=RELEASE, payload_type="application/json"
            ),
            "payload-type",
        ),
        "predicate-type": (
            dsse_bundle(
                sigstore,
                statement(subjects, predicate_type="https://example.com/anything/v1"),
                signer=RELEASE,
            ),
            "predicate-type",
        ),
        "no-subjects": (
            dsse_bundle(sigstore, statement({}), signer=RELEASE),
            "no-subjects",
        ),
    }


@pytest.fixture(scope="module")
def faults(local_sigstore, other_sigstore) -> dict[str, tuple[BuiltBundle, str]]:
    return _faults(local_sigstore, other_sigstore)


FAULTS = [
    "identity-mismatch",
    "untrusted-chain",
    "expired-certificate",
    "integrated-time-future",
    "no-tlog-entry",
    "inclusion-proof-invalid",
    "unsupported-entry-kind",
    "swapped-log-entry",
    "two-dsse-signatures",
    "root-in-chain",
    "payload-type",
    "predicate-type",
    "no-subjects",
]


def test_every_fault_is_listed(faults) -> None:
    assert sorted(faults) == sorted(FAULTS)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_bundle_that_fails_verification_is_refused_and_audited(
    client, service, pipeline_headers, run_in_session, faults, fault: str
):
    built, slug = faults[fault]
    response = submit(client, pipeline_headers, built)
    problem = assert_problem(response, 422, "bundle-rejected")
    assert problem["reasons"][0].startswith(f"{slug}: "), problem["reasons"]
    assert stored_counts(run_in_session) == NOTHING_STORED

    (rejected,) = attestation_events(run_in_session)
    assert rejected["action"] == "attestation.rejected"
    assert rejected["actor"]["name"] == "pipeline-token"
    assert rejected["document_sha256"] == hashlib.sha256(built.content).hexdigest()
    assert rejected["result"]["problem"] == "bundle-rejected"
    assert rejected["result"]["reasons"] == problem["reasons"]
    assert rejected["result"]["service"] == service


def test_a_signature_over_another_artifact_is_refused(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    built = signed_message(local_sigstore)
    response = submit(client, pipeline_headers, built, artifact=artifact_id(digest_of("other")))
    problem = assert_problem(response, 422, "bundle-rejected")
    assert problem["reasons"][0].startswith("subject-digest-mismatch: ")
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_a_statement_without_the_named_artifact_is_refused(
    client, service, pipeline_headers, local_sigstore
):
    built = dsse_bundle(local_sigstore, statement({"a": digest_of("a")}), signer=RELEASE)
    response = submit(client, pipeline_headers, built, artifact=artifact_id(digest_of("b")))
    problem = assert_problem(response, 422, "bundle-rejected")
    assert any(reason.startswith("subject-digest-mismatch: ") for reason in problem["reasons"])


def test_a_service_whose_policy_allows_nobody_refuses_every_bundle(
    client, admin_headers, pipeline_headers, local_sigstore, run_in_session
):
    register(client, admin_headers, name="ledger", repository="https://git.example.com/acme/ledger")
    response = submit(client, pipeline_headers, signed_message(local_sigstore), service="ledger")
    problem = assert_problem(response, 422, "bundle-rejected")
    assert problem["reasons"][0].startswith("no-allowed-identity: ")
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_a_policy_change_applies_to_the_next_bundle(
    client, service, admin_headers, pipeline_headers, local_sigstore
):
    email = SignerIdentity.email("release@acme.example")
    built = message_signature_bundle(local_sigstore, digest_of("by-email"), signer=email)
    assert_problem(submit(client, pipeline_headers, built), 422, "bundle-rejected")

    changed = client.put(
        f"/v1/services/{service}/policy",
        json={"identities": [{"issuer": email.issuer, "subject": email.identity}]},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    accepted = submit(client, pipeline_headers, built)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["receipt"]["policy_version"] == 2
    assert accepted.json()["receipt"]["policy_digest"] == changed.json()["digest"]


# --- refused: not a bundle, not allowed ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", sorted(p.name for p in BAD_BODIES.iterdir() if p.name != "README.md")
)
def test_known_bad_bodies_are_refused_and_audited(
    client, service, pipeline_headers, run_in_session, name: str
):
    content = (BAD_BODIES / name).read_bytes()
    response = submit(client, pipeline_headers, content, content_type="application/json")
    assert_problem(response, 400, "bundle-malformed")
    assert stored_counts(run_in_session) == NOTHING_STORED
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["problem"] == "bundle-malformed"
    assert rejected["document_sha256"] == hashlib.sha256(content).hexdigest()


def test_invalid_base64_is_refused(client, service, pipeline_headers, local_sigstore):
    spoiled = with_invalid_base64(signed_message(local_sigstore).content, style="alphabet")
    response = submit(client, pipeline_headers, spoiled, content_type=BundleVersion.V0_3.value)
    problem = assert_problem(response, 400, "bundle-malformed")
    assert "base64" in " ".join(problem["reasons"])


def test_an_unknown_bundle_version_is_unsupported(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    relabelled = with_media_type(
        signed_message(local_sigstore).content, "application/vnd.dev.sigstore.bundle.v0.4+json"
    )
    response = submit(client, pipeline_headers, relabelled, content_type="application/json")
    assert_problem(response, 415, "unsupported-bundle")
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert [e["result"]["problem"] for e in attestation_events(run_in_session)] == [
        "unsupported-bundle"
    ]


def test_a_body_over_the_limit_is_refused_and_audited(
    client, service, pipeline_headers, settings, run_in_session
):
    def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        ATTESTATIONS,
        params={"service": service},
        content=chunks(),
        headers={**pipeline_headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload-too-large")
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["problem"] == "payload-too-large"


def test_an_unknown_service_is_refused_and_audited(
    client, pipeline_headers, local_sigstore, run_in_session
):
    response = submit(client, pipeline_headers, signed_message(local_sigstore), service="nowhere")
    assert_problem(response, 404, "service-not-found")
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["service"] == "nowhere"


def test_a_token_limited_to_other_services_is_forbidden(
    client, service, make_token, local_sigstore, run_in_session
):
    token = make_token("pipeline", name="billing-ci", services=("billing",))
    response = submit(client, {"Authorization": f"Bearer {token}"}, signed_message(local_sigstore))
    assert_problem(response, 403, "service-not-writable")
    assert stored_counts(run_in_session)["attestations"] == 0
    (rejected,) = attestation_events(run_in_session)
    assert rejected["actor"]["name"] == "billing-ci"


@pytest.mark.parametrize(
    "headers_of", ["auditor_headers", "admin_headers"], ids=["auditor", "admin"]
)
def test_only_pipelines_submit(client, service, local_sigstore, request, headers_of: str):
    headers = request.getfixturevalue(headers_of)
    assert_problem(submit(client, headers, signed_message(local_sigstore)), 403, "forbidden")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service": "payments", "artifact": "sha256:abc"},
        {"service": "payments", "artifact": "md5:" + "a" * 32},
        {"service": "Payments!"},
        {"service": "payments", "force": "true"},
    ],
    ids=["no-service", "short-digest", "md5", "bad-name", "unknown-parameter"],
)
def test_bad_query_parameters_are_refused(
    client, service, pipeline_headers, local_sigstore, params: dict[str, str]
):
    response = client.post(
        ATTESTATIONS,
        params=params,
        content=signed_message(local_sigstore).content,
        headers={**pipeline_headers, "Content-Type": BundleVersion.V0_3.value},
    )
    assert_problem(response, 422, "invalid-request")


def test_unknown_attestations_are_not_found(client, auditor_headers):
    assert_problem(
        client.get(f"{ATTESTATIONS}/7", headers=auditor_headers), 404, "attestation-not-found"
    )
    assert_problem(
        client.get(f"{ATTESTATIONS}/7/raw", headers=auditor_headers), 404, "attestation-not-found"
    )


# --- SBOMs inside attestations -----------------------------------------------------------------


def _sbom_statement(subjects: dict[str, bytes], document: bytes) -> dict[str, Any]:
    return statement(subjects, predicate_type=CYCLONEDX, predicate=json.loads(document))


def test_an_sbom_predicate_is_ingested_as_a_signed_sbom(
    client, service, pipeline_headers, auditor_headers, local_sigstore, run_in_session
):
    document = read_sbom("cyclonedx-1.6.json")
    digest = digest_of("payments-1.0.0.tar.gz")
    built = dsse_bundle(
        local_sigstore, _sbom_statement({"payments-1.0.0.tar.gz": digest}, document), signer=RELEASE
    )
    response = submit(client, pipeline_headers, built)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["predicate_type"] == CYCLONEDX
    assert body["sbom"] is not None

    sbom = client.get(f"/v1/sboms/{body['sbom']['id']}", headers=auditor_headers).json()
    assert sbom["digest"] == body["sbom"]["digest"]
    assert sbom["artifact"] == {"digest": artifact_id(digest)}
    assert sbom["format"] == "cyclonedx-json"
    assert sbom["component_count"] > 0
    assert sbom["signature"] == {
        "attestation_id": body["id"],
        "verified": True,
        "subject": RELEASE.identity,
        "issuer": RELEASE.issuer,
    }
    # The SBOM's bytes are the predicate as signed.
    raw = client.get(f"/v1/sboms/{body['sbom']['id']}/raw", headers=auditor_headers)
    assert json.loads(raw.content) == json.loads(document)

    artifact = client.get(f"/v1/artifacts/{artifact_id(digest)}", headers=auditor_headers).json()
    assert [(s["id"], s["signed"]) for s in artifact["sboms"]] == [(sbom["id"], True)]
    assert [a["id"] for a in artifact["attestations"]] == [body["id"]]
    actions = [e["action"] for e in audit_events(run_in_session)]
    assert actions[-2:] == ["attestation.accepted", "sbom.accepted"]

    # The same bundle again: the same attestation and the same SBOM, nothing added.
    counts = stored_counts(run_in_session)
    again = submit(client, pipeline_headers, built)
    assert again.status_code == 200
    assert again.json()["sbom"] == body["sbom"]
    assert stored_counts(run_in_session) == counts


def test_an_sbom_uploaded_bare_is_marked_signed_when_its_attestation_arrives(
    client, service, pipeline_headers, auditor_headers, local_sigstore
):
    digest = digest_of("payments-1.0.0.tar.gz")
    document = read_sbom("cyclonedx-1.6.json")
    # The predicate's JSON as the SBOM path will store it (compact, as orjson writes it).
    predicate = _sbom_statement({"a": digest}, document)["predicate"]
    compact = json.dumps(predicate, separators=(",", ":"), ensure_ascii=False).encode()
    bare = upload_sbom(client, pipeline_headers, compact, artifact=artifact_id(digest))
    assert bare.status_code == 201, bare.text
    assert bare.json()["signature"] is None

    built = dsse_bundle(local_sigstore, _sbom_statement({"a": digest}, document), signer=RELEASE)
    response = submit(client, pipeline_headers, built)
    assert response.status_code == 201, response.text
    assert response.json()["sbom"]["id"] == bare.json()["id"]
    sbom = client.get(f"/v1/sboms/{bare.json()['id']}", headers=auditor_headers).json()
    assert sbom["signature"]["attestation_id"] == response.json()["id"]


def test_an_sbom_predicate_that_is_not_a_valid_sbom_refuses_the_attestation(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    document = read_sbom("bad-cyclonedx-1.6-component-without-name.json")
    built = dsse_bundle(
        local_sigstore, _sbom_statement({"a": digest_of("a")}, document), signer=RELEASE
    )
    response = submit(client, pipeline_headers, built)
    problem = assert_problem(response, 422, "attested-sbom-invalid")
    assert problem["reasons"]
    assert stored_counts(run_in_session) == NOTHING_STORED
    (rejected,) = attestation_events(run_in_session)
    assert rejected["result"]["problem"] == "attested-sbom-invalid"


def test_an_sbom_for_several_subjects_needs_the_artifact_named(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    subjects = {"a": digest_of("a"), "b": digest_of("b")}
    built = dsse_bundle(
        local_sigstore,
        _sbom_statement(subjects, read_sbom("cyclonedx-1.6.json")),
        signer=RELEASE,
    )
    problem = assert_problem(
        submit(client, pipeline_headers, built), 422, "attested-sbom-ambiguous"
    )
    assert "2 subjects" in problem["reasons"][0]
    assert stored_counts(run_in_session) == NOTHING_STORED

    named = submit(client, pipeline_headers, built, artifact=artifact_id(digest_of("b")))
    assert named.status_code == 201, named.text
    assert named.json()["sbom"] is not None


# --- statements attestd will not keep -----------------------------------------------------------


def test_a_subject_name_with_a_nul_character_is_refused(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    built = dsse_bundle(local_sigstore, statement({"a\x00b": digest_of("a")}), signer=RELEASE)
    problem = assert_problem(submit(client, pipeline_headers, built), 422, "bundle-rejected")
    # PostgreSQL cannot keep a NUL in text: the strict parse refuses it in any string.
    (reason,) = problem["reasons"]
    assert reason.startswith("statement-malformed: ")
    assert "NUL" in reason
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_a_statement_naming_too_many_artifacts_is_refused(
    client, service, pipeline_headers, local_sigstore, run_in_session
):
    subjects = {f"part-{n}": digest_of(f"part-{n}") for n in range(MAX_SUBJECTS + 1)}
    built = dsse_bundle(local_sigstore, statement(subjects), signer=RELEASE)
    problem = assert_problem(submit(client, pipeline_headers, built), 422, "bundle-rejected")
    assert problem["reasons"][0].startswith(
        f"too-many-subjects: the statement names {len(subjects)}"
    )
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_a_subject_named_twice_is_one_artifact(client, service, pipeline_headers, local_sigstore):
    digest = digest_of("twice")
    document = statement({"first": digest})
    document["subject"].append({"name": "second", "digest": {"sha256": digest.hex()}})
    body = submit(client, pipeline_headers, dsse_bundle(local_sigstore, document, signer=RELEASE))
    assert body.status_code == 201, body.text
    assert body.json()["subjects"] == [{"name": "first", "digest": artifact_id(digest)}]
