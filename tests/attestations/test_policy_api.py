"""/v1/services/{name}/policy over HTTP: versions, defaults, partial updates and their leaves."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.policy import versions as policy_versions
from app.policy.document import ServicePolicyDocument, policy_digest
from app.policy.identities import GITHUB_ACTIONS_ISSUER, IdentityPolicy, default_policy_for
from app.policy.models import ServicePolicy
from app.scoring.checks import CATALOGUE
from app.services.models import Service
from tests.problems import assert_problem
from tests.servers import serve_in_thread

POLICIES = Path(__file__).parent / "policies"
SERVICES = "/v1/services"
GITHUB_REPOSITORY = "https://github.com/acme/payments"
GITLAB_REPOSITORY = "https://gitlab.com/acme/billing"
EMAIL = {"issuer": "https://accounts.google.com", "subject": "release@acme.example"}
RELEASES = {
    "issuer": GITHUB_ACTIONS_ISSUER,
    "subject_regex": r"https://github\.com/acme/payments/\.github/workflows/release\.yml@.+",
    "repository": "acme/payments",
    "ref_regex": r"refs/tags/v.+",
}
EMPTY_DIGEST = policy_digest(IdentityPolicy())
GITHUB_DEFAULT = default_policy_for(GITHUB_REPOSITORY)

# Refused by the wire schema itself, beyond the bad-*.json policy documents.
BAD_BODIES = {
    "issuer over http": {"identities": [{**EMAIL, "issuer": "http://accounts.google.com"}]},
    "subject and subject_regex": {"identities": [{**EMAIL, "subject_regex": r".+@acme\.example"}]},
    "regex that does not compile": {"identities": [{**RELEASES, "subject_regex": "https://("}]},
    "catch-all regex": {"identities": [{**RELEASES, "subject_regex": ".*"}]},
    "unknown top-level field": {"identities": [EMAIL], "trust_everyone": True},
    "unknown identity field": {"identities": [{**EMAIL, "audience": "sigstore"}]},
    "identities not a list": {"identities": EMAIL},
    "identities null": {"identities": None},
    "repeated identity": {"identities": [EMAIL, EMAIL]},
    "github claim on another issuer": {"identities": [{**EMAIL, "repository": "acme/payments"}]},
}


def policy_url(name: str) -> str:
    return f"{SERVICES}/{name}/policy"


def register(client, headers, name: str, repository: str) -> None:
    response = client.post(SERVICES, json={"name": name, "repository": repository}, headers=headers)
    assert response.status_code == 201, response.text


def get_policy(client, headers, name: str) -> dict[str, Any]:
    response = client.get(policy_url(name), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def put_policy(client, headers, name: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.put(policy_url(name), json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def events(run_in_session) -> list[dict[str, Any]]:
    rows = run_in_session(
        lambda s: list(s.scalars(select(AuditEntry.leaf).order_by(AuditEntry.idx)))
    )
    return [json.loads(row) for row in rows]


def stored_versions(run_in_session, name: str) -> list[tuple[int, str, dict[str, Any]]]:
    def read(session) -> list[tuple[int, str, dict[str, Any]]]:
        query = (
            select(ServicePolicy.version, ServicePolicy.digest, ServicePolicy.document)
            .join(Service, Service.id == ServicePolicy.service_id)
            .where(Service.name == name)
            .order_by(ServicePolicy.version)
        )
        return [tuple(row) for row in session.execute(query)]

    return run_in_session(read)


def aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None
    assert moment.utcoffset().total_seconds() == 0
    return moment


def digest_of(body: dict[str, Any]) -> str:
    return policy_digest(IdentityPolicy.model_validate(body))


# --- defaults -----------------------------------------------------------------------------------


def test_a_service_off_github_is_at_version_0_accepting_nobody(
    client, admin_headers, auditor_headers, run_in_session
):
    register(client, admin_headers, "billing", GITLAB_REPOSITORY)
    body = get_policy(client, auditor_headers, "billing")
    assert body == {
        "service": "billing",
        "version": 0,
        "digest": EMPTY_DIGEST,
        "identities": [],
        "trusted_builders": [],
        "builders": [],
        "reusable_workflows": [],
        "release_refs": "refs/tags/.+",
        "reproducibility_quorum": 2,
        "environments": {"production": 4, "staging": 2},
        "min_sbom_quality": 6.0,
        "sbom_profiles": {"2": "ntia-2021", "4": "cisa-2025"},
        "sbom_component_share": 0.95,
        "coverage_window_days": 30,
        "check_weights": {check.id: float(6 - check.level) for check in CATALOGUE},
        "deny_open_severity": {"production": "critical"},
        "predicate_types": [],
        "keys": [],
        "allow_v01_inclusion_promise": False,
        "created_at": None,
        "created_by": None,
    }
    assert stored_versions(run_in_session, "billing") == []
    assert [event["action"] for event in events(run_in_session)][-1] == "service.created"


def test_a_github_service_stores_its_default_as_version_1_at_registration(
    client, admin_headers, auditor_headers, run_in_session
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    body = get_policy(client, auditor_headers, "payments")
    assert body["service"] == "payments"
    assert body["version"] == 1
    assert body["digest"] == policy_digest(GITHUB_DEFAULT)
    assert body["identities"] == [
        {
            "issuer": GITHUB_ACTIONS_ISSUER,
            "subject": None,
            "subject_regex": r"https://github\.com/acme/payments/\.github/workflows/.+",
            "repository": "acme/payments",
            "ref": None,
            "ref_regex": None,
            "workflow": None,
            "kind": None,
            "build_signer_digest": None,
            "build_trigger": None,
            "source_repository_id": None,
            "source_repository_owner_id": None,
            "runner_environment": None,
            "source_repository_visibility": None,
        }
    ]
    assert body["created_by"] == "admin-token"
    aware(body["created_at"])
    assert stored_versions(run_in_session, "payments") == [
        (1, body["digest"], GITHUB_DEFAULT.model_dump(mode="json", exclude_none=True))
    ]
    created, policy = events(run_in_session)[-2:]
    assert created["action"] == "service.created"
    assert policy["action"] == "policy.created"
    assert policy["object"] == {"kind": "service-policy", "id": "payments"}
    assert policy["result"] == {"version": 1, "digest": body["digest"]}
    assert policy["request_id"] == created["request_id"]
    assert policy["actor"] == created["actor"]


def test_the_verifier_sees_what_get_serves(client, admin_headers, run_in_session):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    register(client, admin_headers, "billing", GITLAB_REPOSITORY)
    put_policy(client, admin_headers, "payments", {"identities": [RELEASES]})

    def current(name: str) -> policy_versions.PolicyVersion:
        def read(session) -> policy_versions.PolicyVersion:
            service = session.scalars(select(Service).where(Service.name == name)).one()
            return policy_versions.current_policy(session, service)

        return run_in_session(read)

    for name in ("payments", "billing"):
        served = get_policy(client, admin_headers, name)
        policy, version, digest = current(name)
        assert (version, digest) == (served["version"], served["digest"])
        assert policy == ServicePolicyDocument.model_validate({"identities": served["identities"]})


# --- changes ------------------------------------------------------------------------------------


def test_put_stores_version_2_with_a_leaf_and_an_identical_put_adds_nothing(
    client, admin_headers, run_in_session
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    before = len(events(run_in_session))
    changed = put_policy(client, admin_headers, "payments", {"identities": [RELEASES, EMAIL]})
    assert changed["version"] == 2
    assert changed["digest"] == digest_of({"identities": [RELEASES, EMAIL]})
    assert changed["digest"] != policy_digest(GITHUB_DEFAULT)
    assert [identity["issuer"] for identity in changed["identities"]] == [
        GITHUB_ACTIONS_ISSUER,
        EMAIL["issuer"],
    ]
    (leaf,) = events(run_in_session)[before:]
    assert leaf["action"] == "policy.updated"
    assert leaf["object"] == {"kind": "service-policy", "id": "payments"}
    assert leaf["result"] == {
        "version": 2,
        "digest": changed["digest"],
        "previous_digest": policy_digest(GITHUB_DEFAULT),
    }
    assert get_policy(client, admin_headers, "payments") == changed

    # The same policy again, with absent constraints spelled null: nothing new.
    spelled_out = {**EMAIL, "subject_regex": None, "ref": None, "workflow": None}
    again = put_policy(client, admin_headers, "payments", {"identities": [RELEASES, spelled_out]})
    assert again == changed
    assert len(events(run_in_session)) == before + 1
    assert [version for version, *_ in stored_versions(run_in_session, "payments")] == [1, 2]


def test_versions_keep_their_history(client, admin_headers, run_in_session):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    put_policy(client, admin_headers, "payments", {"identities": [EMAIL]})
    put_policy(client, admin_headers, "payments", {"identities": [RELEASES]})
    back = put_policy(client, admin_headers, "payments", {"identities": [EMAIL]})
    # Going back to an earlier policy is a change too: a new version, not the old one.
    assert back["version"] == 4
    history = stored_versions(run_in_session, "payments")
    assert [version for version, *_ in history] == [1, 2, 3, 4]
    assert history[1][1] == history[3][1] == back["digest"]
    updates = [e for e in events(run_in_session) if e["action"] == "policy.updated"]
    assert [e["result"]["previous_digest"] for e in updates] == [
        history[0][1],
        history[1][1],
        history[2][1],
    ]


def test_a_partial_put_keeps_the_fields_it_does_not_send(client, admin_headers, run_in_session):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    changed = put_policy(client, admin_headers, "payments", {"identities": [RELEASES]})
    before = len(events(run_in_session))
    kept = put_policy(client, admin_headers, "payments", {})
    assert kept == changed
    assert len(events(run_in_session)) == before
    assert len(stored_versions(run_in_session, "payments")) == 2


def test_a_service_at_version_0_gets_version_1_on_its_first_change(
    client, admin_headers, run_in_session
):
    register(client, admin_headers, "billing", GITLAB_REPOSITORY)
    # The default, sent explicitly, is no change.
    assert put_policy(client, admin_headers, "billing", {"identities": []})["version"] == 0
    assert put_policy(client, admin_headers, "billing", {})["version"] == 0
    assert stored_versions(run_in_session, "billing") == []
    changed = put_policy(client, admin_headers, "billing", {"identities": [EMAIL]})
    assert changed["version"] == 1
    assert changed["created_by"] == "admin-token"
    leaf = events(run_in_session)[-1]
    assert leaf["action"] == "policy.updated"
    assert leaf["result"] == {
        "version": 1,
        "digest": changed["digest"],
        "previous_digest": EMPTY_DIGEST,
    }


def test_emptying_the_policy_is_a_new_version_that_accepts_nobody(
    client, admin_headers, run_in_session
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    emptied = put_policy(client, admin_headers, "payments", {"identities": []})
    assert (emptied["version"], emptied["identities"]) == (2, [])
    assert emptied["digest"] == EMPTY_DIGEST
    assert stored_versions(run_in_session, "payments")[-1] == (2, EMPTY_DIGEST, {"identities": []})


def test_a_stored_policy_stays_when_the_repository_changes(client, admin_headers):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    moved = client.patch(
        f"{SERVICES}/payments",
        json={"repository": "https://github.com/acme/payments-v2"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    body = get_policy(client, admin_headers, "payments")
    assert (body["version"], body["digest"]) == (1, policy_digest(GITHUB_DEFAULT))


def test_concurrent_changes_get_one_version_each(app, client, admin_headers, run_in_session):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    writers = 12
    start = threading.Barrier(writers)

    def send(number: int) -> httpx2.Response:
        identity = {**EMAIL, "subject": f"release-{number}@acme.example"}
        with httpx2.Client(timeout=10.0) as http:
            start.wait(10.0)
            return http.put(
                f"{base_url}{policy_url('payments')}",
                json={"identities": [identity]},
                headers=admin_headers,
            )

    with serve_in_thread(app, timeout=10.0) as server:
        base_url = server.base_url
        with ThreadPoolExecutor(max_workers=writers) as pool:
            responses = list(pool.map(send, range(writers)))

    assert [r.status_code for r in responses] == [200] * writers, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(2, writers + 2))
    history = stored_versions(run_in_session, "payments")
    assert [version for version, *_ in history] == list(range(1, writers + 2))
    updates = [e["result"] for e in events(run_in_session) if e["action"] == "policy.updated"]
    # Each change names the version it replaced: the versions form one chain.
    assert [
        (u["version"], u["previous_digest"]) for u in sorted(updates, key=lambda u: u["version"])
    ] == [(version, history[version - 2][1]) for version in range(2, writers + 2)]


# --- refusals -----------------------------------------------------------------------------------


def _bad_documents() -> list[tuple[str, Any]]:
    files = [(path.name, json.loads(path.read_text())) for path in POLICIES.glob("bad-*.json")]
    return sorted(files) + sorted(BAD_BODIES.items())


@pytest.mark.parametrize(("why", "body"), _bad_documents(), ids=[w for w, _ in _bad_documents()])
def test_an_invalid_policy_is_refused_and_changes_nothing(
    client, admin_headers, run_in_session, why, body
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    served = get_policy(client, admin_headers, "payments")
    before = len(events(run_in_session))
    response = client.put(policy_url("payments"), json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid-request", policy_url("payments"))
    assert problem["errors"], why
    assert all(error["location"].startswith("body") for error in problem["errors"]), why
    assert get_policy(client, admin_headers, "payments") == served
    assert len(events(run_in_session)) == before
    assert len(stored_versions(run_in_session, "payments")) == 1


def test_every_good_policy_document_is_accepted(client, admin_headers, run_in_session):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    for path in sorted(POLICIES.glob("good-*.json")):
        document = json.loads(path.read_text())
        body = put_policy(client, admin_headers, "payments", document)
        assert body["digest"] == digest_of(document), path.name
    assert len(stored_versions(run_in_session, "payments")) >= 2


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_an_unknown_service_is_not_found(client, admin_headers, run_in_session, method):
    before = len(events(run_in_session))
    response = client.request(
        method, policy_url("ghost"), json={"identities": [EMAIL]}, headers=admin_headers
    )
    assert_problem(response, 404, "service-not-found", policy_url("ghost"))
    assert len(events(run_in_session)) == before
    assert run_in_session(lambda s: list(s.scalars(select(ServicePolicy.id)))) == []


def test_a_malformed_service_name_is_refused(client, admin_headers):
    response = client.get(policy_url("Not_A_Slug"), headers=admin_headers)
    assert_problem(response, 422, "invalid-request")


# --- roles --------------------------------------------------------------------------------------


def test_only_admins_change_a_policy(
    client, admin_headers, auditor_headers, pipeline_headers, run_in_session
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    before = len(events(run_in_session))
    for headers in (auditor_headers, pipeline_headers):
        response = client.put(policy_url("payments"), json={"identities": []}, headers=headers)
        assert_problem(response, 403, "forbidden")
    anonymous = client.put(policy_url("payments"), json={"identities": []})
    assert_problem(anonymous, 401, "unauthenticated")
    assert len(events(run_in_session)) == before
    assert get_policy(client, admin_headers, "payments")["version"] == 1


def test_auditors_read_policies_and_pipelines_do_not(
    client, admin_headers, auditor_headers, pipeline_headers
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    assert get_policy(client, auditor_headers, "payments") == get_policy(
        client, admin_headers, "payments"
    )
    assert_problem(client.get(policy_url("payments"), headers=pipeline_headers), 403, "forbidden")


# --- earlier versions ---------------------------------------------------------------------------


def test_a_stored_version_reads_back_as_it_was(client, admin_headers, auditor_headers):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    first = get_policy(client, auditor_headers, "payments")
    second = put_policy(client, admin_headers, "payments", {"identities": [RELEASES]})
    assert (first["version"], second["version"]) == (1, 2)

    old = client.get(policy_url("payments"), params={"version": 1}, headers=auditor_headers)
    assert old.status_code == 200, old.text
    assert old.json() == first
    now = client.get(policy_url("payments"), params={"version": 2}, headers=auditor_headers)
    assert now.json() == second == get_policy(client, auditor_headers, "payments")


def test_versions_never_stored_are_not_found(client, admin_headers, auditor_headers):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    register(client, admin_headers, "billing", GITLAB_REPOSITORY)
    for name, version in (("payments", 0), ("payments", 2), ("billing", 1)):
        response = client.get(
            policy_url(name), params={"version": version}, headers=auditor_headers
        )
        assert_problem(response, 404, "policy-version-not-found")
    # Version 0 of a service with nothing stored is the default in force.
    default = client.get(policy_url("billing"), params={"version": 0}, headers=auditor_headers)
    assert default.json()["version"] == 0
    for params in ({"version": -1}, {"version": 2**31}, {"version": "one"}, {"revision": 1}):
        response = client.get(policy_url("payments"), params=params, headers=auditor_headers)
        assert response.status_code == 422, response.text


# --- the exact bytes of a version -------------------------------------------------------------


def document_url(name: str, version: int | str) -> str:
    return f"{policy_url(name)}/versions/{version}/document"


def test_each_version_serves_the_bytes_its_digest_is_of(client, admin_headers, auditor_headers):
    """Before, the only URI of a version served a wrapper, whose SHA-256 was never the digest."""
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    first = get_policy(client, auditor_headers, "payments")
    second = put_policy(client, admin_headers, "payments", {"identities": [RELEASES]})
    for version in (first, second):
        served = client.get(document_url("payments", version["version"]), headers=auditor_headers)
        assert served.status_code == 200, served.text
        assert served.headers["content-type"] == "application/json"
        assert f"sha256:{hashlib.sha256(served.content).hexdigest()}" == version["digest"]
        assert ServicePolicyDocument.model_validate_json(served.content).identities
    wrapper = client.get(policy_url("payments"), params={"version": 1}, headers=auditor_headers)
    assert f"sha256:{hashlib.sha256(wrapper.content).hexdigest()}" != first["digest"]


def test_version_0_serves_the_default_even_after_versions_were_stored(
    client, admin_headers, auditor_headers
):
    """A summary decided under the default stays checkable once a version is stored."""
    register(client, admin_headers, "billing", GITLAB_REPOSITORY)
    default = get_policy(client, auditor_headers, "billing")
    assert default["version"] == 0
    before = client.get(document_url("billing", 0), headers=auditor_headers)
    put_policy(client, admin_headers, "billing", {"identities": [EMAIL]})
    after = client.get(document_url("billing", 0), headers=auditor_headers)
    assert before.content == after.content
    assert f"sha256:{hashlib.sha256(after.content).hexdigest()}" == default["digest"]


def test_a_document_that_is_not_there_is_not_found(client, admin_headers, auditor_headers):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)
    assert_problem(
        client.get(document_url("payments", 2), headers=auditor_headers),
        404,
        "policy-version-not-found",
    )
    assert_problem(
        client.get(document_url("nobody", 1), headers=auditor_headers), 404, "service-not-found"
    )
    for version in (-1, 2**31, "one"):
        response = client.get(document_url("payments", version), headers=auditor_headers)
        assert response.status_code == 422, response.text


def test_a_version_whose_stored_document_was_altered_is_not_served(
    client, admin_headers, auditor_headers, run_in_session
):
    register(client, admin_headers, "payments", GITHUB_REPOSITORY)

    def alter(session) -> None:
        row = session.scalars(select(ServicePolicy)).one()
        row.document = {**row.document, "reproducibility_quorum": 1}

    run_in_session(alter)
    # Fail closed: bytes that are not the recorded version's are never served as it.
    response = client.get(document_url("payments", 1), headers=auditor_headers)
    assert_problem(response, 500, "internal-error")
    assert "reproducibility_quorum" not in response.text
