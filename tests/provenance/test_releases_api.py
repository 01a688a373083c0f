"""Releases over HTTP: builds of trust domains agreeing, disagreeing, and what does not count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from app.config import Settings
from app.db import migrate
from tests.attestations.submissions import allow, register, submit
from tests.builders.identities import (
    FORK,
    GENERATOR,
    GENERATOR_IDENTITY,
    REBUILD,
    REBUILDER,
    REBUILDER_IDENTITY,
    REBUILDER_RULE,
    RELEASE,
)
from tests.problems import assert_problem
from tests.provenance.statements import COMMIT, GOOGLE, RUN_ID, TAG, statement
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, LocalSigstore, SignerIdentity, dsse_bundle

HOSTED = "good-attest-build-provenance-runner.json"
GENERATED = "good-slsa-generator-v1.json"
REBUILT = "good-rebuild-service.json"
SELF_HOSTED_RUN = "good-self-hosted-runner.json"
ACME_DOMAIN = "https://github.com/acme"
# Another workflow file of acme/payments, on a GitHub-hosted runner.
HOSTED_REBUILD = SignerIdentity.github_workflow(
    "acme/payments", ref=TAG, sha=COMMIT, workflow=".github/workflows/rebuild.yml"
)
PERSON = SignerIdentity.email("alice@acme.example", issuer=GOOGLE)
LAPTOP = "https://laptop.acme.example/alice"
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


@pytest.fixture
def rebuilder(client: Any, service: str, admin_headers: dict[str, str]) -> None:
    """The rebuild service may sign for payments, trusted as a rebuilder of its own domain."""
    allow(client, admin_headers, REBUILDER_IDENTITY)
    trust(client, admin_headers, REBUILDER_RULE)


def trust(client: Any, admin_headers: dict[str, str], *rules: dict[str, Any]) -> None:
    response = client.put(
        "/v1/services/payments/policy",
        json={"trusted_builders": list(rules)},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text


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
    return build_document(client, headers, sigstore, document, signer)


def build_document(
    client: Any,
    headers: dict[str, str],
    sigstore: LocalSigstore,
    document: dict[str, Any],
    signer: SignerIdentity,
) -> dict[str, Any]:
    response = submit(client, headers, dsse_bundle(sigstore, document, signer=signer))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def slug(reason: str) -> str:
    return reason.split(":", 1)[0]


def record(client: Any, headers: dict[str, str], digest: str = DIGEST) -> dict[str, Any]:
    response = client.get(f"/v1/artifacts/sha256:{digest}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_rebuilder_of_another_trust_domain_makes_the_release_reproducible(
    client, service, rebuilder, pipeline_headers, auditor_headers, local_sigstore
):
    hosted = build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    rebuilt = build(client, pipeline_headers, local_sigstore, REBUILT, REBUILDER)
    assert rebuilt["provenance"]["rebuilder"] is True
    assert rebuilt["provenance"]["trust_domain"] == "rebuild-service"

    artifact = record(client, auditor_headers)
    assert (artifact["name"], artifact["version"]) == (NAME, "v1.4.0")
    reproducibility = artifact["reproducibility"]
    assert reproducibility["status"] == "reproducible"
    assert (reproducibility["quorum"], reproducibility["independent_builders"]) == (2, 2)
    assert reproducibility["trust_domains"] == [ACME_DOMAIN, "rebuild-service"]
    assert [(b["attestation_id"], b["trust_domain"]) for b in reproducibility["builders"]] == [
        (hosted["id"], ACME_DOMAIN),
        (rebuilt["id"], "rebuild-service"),
    ]
    assert [slug(b["reason"]) for b in reproducibility["builders"]] == ["counted", "counted"]
    assert reproducibility["not_counted"] == []
    assert artifact["provenance"]["slsa_level"] == 2

    page = client.get("/v1/services/payments/releases", headers=auditor_headers).json()
    (release,) = page["items"]
    assert (release["name"], release["version"]) == (NAME, "v1.4.0")
    assert release["artifacts"] == [
        {"digest": f"sha256:{DIGEST}", "slsa_level": 2, "created_at": artifact["created_at"]}
    ]
    assert release["reproducibility"] == reproducibility
    assert page["next"] is None


def test_two_workflows_of_one_repository_are_one_trust_domain(
    client, service, rebuilder, pipeline_headers, auditor_headers, local_sigstore
):
    """Attack: acme's hosted release workflow, another of its workflow files and the SLSA
    generator run for acme, all at Build L2 or above. Before trust domains they counted as
    independent builders (different builder ids and signers) and made the release
    reproducible; now they are one domain, acme's, and the release is not reproducible."""
    hosted = build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    build(client, pipeline_headers, local_sigstore, HOSTED, HOSTED_REBUILD)
    build(client, pipeline_headers, local_sigstore, GENERATED, GENERATOR)

    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    assert (reproducibility["independent_builders"], reproducibility["trust_domains"]) == (
        1,
        [ACME_DOMAIN],
    )
    reasons = [b["reason"] for b in reproducibility["builders"]]
    assert [slug(reason) for reason in reasons] == ["counted", "same-domain-as"]
    # The second workflow's provenance names release.yml while its certificate says
    # rebuild.yml: not bound to the source at all (the certificate cross-check).
    (other,) = reproducibility["not_counted"]
    assert slug(other["reason"]) == "not-source-bound"
    assert reasons[1].startswith(
        f"same-domain-as: attestation {hosted['id']} (trust domain '{ACME_DOMAIN}'): "
    )
    assert reproducibility["reasons"][0].startswith("quorum-not-met: 1 trust domain ")

    # The legitimate case next to it: a rebuild service of its own domain agrees.
    build(client, pipeline_headers, local_sigstore, REBUILT, REBUILDER)
    rebuilt = record(client, auditor_headers)["reproducibility"]
    assert (rebuilt["status"], rebuilt["trust_domains"]) == (
        "reproducible",
        [ACME_DOMAIN, "rebuild-service"],
    )


def test_a_self_hosted_rebuild_not_marked_rebuilder_does_not_count(
    client, service, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    """Attack: another workflow of acme/payments rebuilds on acme's own self-hosted runner
    (Build L1). Before, another builder id and another signer made it a second independent
    builder; now it is not counted (``not-a-rebuilder``)."""
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    self_hosted = build(client, pipeline_headers, local_sigstore, SELF_HOSTED_RUN, REBUILD)
    assert self_hosted["provenance"]["slsa_level"] == 1

    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    ((not_counted),) = reproducibility["not_counted"]
    assert not_counted["attestation_id"] == self_hosted["id"]
    assert not_counted["trust_domain"] is None
    assert not_counted["reason"].startswith("not-a-rebuilder: Build L1 ")
    assert len(reproducibility["builders"]) == 1


def test_a_rebuilder_entry_cannot_make_the_services_own_runner_another_domain(
    client, service, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    """Attack: the policy trusts acme's own self-hosted workflow as a rebuilder and names it
    another trust domain. Before trust domains these two builds were already two independent
    builders and the release reproducible; now, whatever an entry names, builds signed under
    one repository owner are one domain: the rebuild counts, but in the hosted build's domain,
    and the release is not reproducible."""
    trust(
        client,
        admin_headers,
        {
            "id": "https://github.com/actions/runner/self-hosted",
            "signer": {"issuer": REBUILD.issuer, "subject": REBUILD.identity},
            "max_level": 1,
            "rebuilder": True,
            "trust_domain": "independent-rebuilders",
        },
    )
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    own = build(client, pipeline_headers, local_sigstore, SELF_HOSTED_RUN, REBUILD)
    assert own["provenance"]["rebuilder"] is True

    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    assert reproducibility["trust_domains"] == ["independent-rebuilders"]
    counted = reproducibility["builders"][1]
    assert counted["attestation_id"] == own["id"]
    assert counted["reason"].startswith("same-domain-as: ")
    assert f"repository owner '{ACME_DOMAIN}'" in counted["reason"]


def test_a_person_signed_rebuild_never_counts(
    client, service, admin_headers, pipeline_headers, auditor_headers, local_sigstore
):
    """Attack: a maintainer rebuilds on a laptop and signs with a Google account, and the
    policy even trusts that account as a rebuilder of its own domain. Before, another builder
    id and signer made it a second independent builder; a person's identity now never counts."""
    allow(client, admin_headers, {"issuer": PERSON.issuer, "subject": PERSON.identity})
    trust(
        client,
        admin_headers,
        {
            "id": LAPTOP,
            "signer": {"issuer": PERSON.issuer, "subject": PERSON.identity},
            "max_level": 2,
            "rebuilder": True,
            "trust_domain": "alice",
        },
    )
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    document = statement(REBUILT)
    document["predicate"]["runDetails"]["builder"]["id"] = LAPTOP
    person = build_document(client, pipeline_headers, local_sigstore, document, PERSON)
    assert person["provenance"]["slsa_level"] == 2
    assert person["provenance"]["source_bound"] is True

    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    ((not_counted),) = reproducibility["not_counted"]
    assert not_counted["attestation_id"] == person["id"]
    assert not_counted["reason"].startswith("person-identity: signed by 'alice@acme.example'")


def test_a_rebuilders_builder_id_signed_by_another_does_not_count(
    client, service, rebuilder, pipeline_headers, auditor_headers, local_sigstore
):
    """Attack: acme's own rebuild workflow writes the rebuild service's builder id into its
    provenance. Before, that builder id and another signer made a second independent builder;
    now the trust map gives it nothing (the rebuilder's signer did not sign it) and it is not
    counted. The rebuild service's own build of the same provenance counts."""
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    spoofed = build(client, pipeline_headers, local_sigstore, REBUILT, REBUILD)
    assert spoofed["provenance"]["rebuilder"] is False
    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["status"] == "unverified"
    assert [b["attestation_id"] for b in reproducibility["not_counted"]] == [spoofed["id"]]
    assert reproducibility["not_counted"][0]["reason"].startswith("not-a-rebuilder: ")

    build(client, pipeline_headers, local_sigstore, REBUILT, REBUILDER)
    assert record(client, auditor_headers)["reproducibility"]["status"] == "reproducible"


def test_checks_made_before_trust_domains_count_as_the_defaults_do(
    client,
    service,
    rebuilder,
    database_url,
    admin_headers,
    auditor_headers,
    pipeline_headers,
    local_sigstore,
):
    """Migration 0010 keeps the checks already stored: a hosted build still counts, in its
    signer's domain; no check made then had a rebuilder entry to match, so the rebuild
    service's counts again once re-verification checks it against today's trust map."""
    build(client, pipeline_headers, local_sigstore, HOSTED, RELEASE)
    rebuilt = build(client, pipeline_headers, local_sigstore, REBUILT, REBUILDER)
    config = migrate.alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision("0010").down_revision
    command.downgrade(config, str(before))
    migrate.upgrade(database_url)
    command.check(config)

    reproducibility = record(client, auditor_headers)["reproducibility"]
    assert reproducibility["trust_domains"] == [ACME_DOMAIN]
    ((not_counted),) = reproducibility["not_counted"]
    assert not_counted["attestation_id"] == rebuilt["id"]
    assert not_counted["reason"].startswith("not-a-rebuilder: ")

    reverified = client.post(f"/v1/artifacts/sha256:{DIGEST}/reverify", headers=admin_headers)
    assert reverified.status_code == 200, reverified.text
    assert record(client, auditor_headers)["reproducibility"]["status"] == "reproducible"


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
