"""The release pipelines of docs/pipelines.md, driven through the HTTP API.

The workflows and policies are read from the page itself, and what these tests rely
on is checked there first: the workflow paths, the reusable workflow the release
calls, the runners, the permissions that buy the certificates, the predicates and the
files sent to attestd. The certificates then carry exactly the claims the page
describes, so the page and the tests cannot drift apart.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.attestations.submissions import register, submit
from tests.builders.bundles import DIGEST_HEX, NAME
from tests.builders.called import BUILD_PYTHON, attest_build_provenance, called_by
from tests.builders.identities import RELEASE, RELEASE_CLAIMS
from tests.builders.services import REPOSITORY, SERVICE
from tests.provenance.statements import COMMIT, TAG
from tests.sigstore_local import GitHubClaims, SignerIdentity, dsse_bundle

PAGE = Path(__file__).parents[2] / "docs" / "pipelines.md"
GITHUB_RELEASE = "acme/payments: .github/workflows/release.yml"
REUSABLE = "acme/release-workflows: .github/workflows/build-python.yml"
GITLAB_CI = "acme/payments: .gitlab-ci.yml"
GITLAB = "https://gitlab.com"
GITLAB_REPOSITORY = "https://gitlab.com/acme/payments"
GITLAB_PIPELINE = f"{GITLAB_REPOSITORY}//.gitlab-ci.yml@{TAG}"
GITLAB_JOB = 10340684631


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


# --- reading the page ---------------------------------------------------------------------------


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", PAGE.read_text("utf-8"), re.M | re.S)


def workflow(name: str) -> dict[str, Any]:
    """The YAML block of the page whose first line is ``# name``."""
    (found,) = [block for block in blocks("yaml") if block.startswith(f"# {name}\n")]
    document: dict[Any, Any] = yaml.safe_load(found)
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def policies() -> list[dict[str, Any]]:
    return [json.loads(block) for block in blocks("json")]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = job["steps"]
    return found


def submitted(script: str) -> dict[str, list[str]]:
    """The options of the ``attestd-client submit`` command in ``script``."""
    (command,) = [line for line in _commands(script) if line.startswith("attestd-client submit")]
    words = shlex.split(command)
    options: dict[str, list[str]] = {}
    for option, value in zip(words[2::2], words[3::2], strict=True):
        options.setdefault(option, []).append(value)
    return options


def _commands(script: str) -> list[str]:
    return [line.strip() for line in script.replace("\\\n", " ").splitlines() if line.strip()]


# --- GitHub Actions -----------------------------------------------------------------------------


def test_the_documented_github_release_reaches_production_with_no_exception(
    client, admin_headers, pipeline, local_sigstore
):
    release = workflow(GITHUB_RELEASE)
    reusable = workflow(REUSABLE)
    policy, _ = policies()

    # The release runs on tags, and calls the reusable workflow the policy trusts.
    assert release["on"] == {"push": {"tags": ["v*"]}}
    build_job = release["jobs"]["build"]
    called, _, ref = build_job["uses"].partition("@")
    owner, name, path = called.split("/", 2)
    assert policy["reusable_workflows"] == [{"repository": f"{owner}/{name}", "workflow": path}]
    # GitHub names a workflow called at tag v1 by its full ref in the certificate.
    assert f"https://github.com/{called}@refs/tags/{ref}" == BUILD_PYTHON
    assert f"{owner}/{name}: {path}" == REUSABLE
    assert build_job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }
    # The reusable workflow builds on a GitHub-hosted runner and attests there.
    assert "workflow_call" in reusable["on"]
    (job,) = reusable["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert job["permissions"]["id-token"] == job["permissions"]["attestations"] == "write"
    actions = [step.get("uses", "").partition("@")[0] for step in steps(job)]
    assert "actions/attest-build-provenance" in actions
    # The release job signs the wheel itself and sends the SBOM and both bundles.
    release_job = release["jobs"]["release"]
    assert release_job["needs"] == "build"
    assert release_job["permissions"]["id-token"] == "write"
    scripts = "\n".join(step.get("run", "") for step in steps(release_job))
    assert "python -m sigstore sign --bundle dist/wheel.sigstore.json" in scripts
    options = submitted(scripts)
    assert options["--sbom"] == ["dist/sbom.cdx.json"]
    assert options["--bundle"] == ["dist/wheel.sigstore.json", "dist/provenance.sigstore.json"]
    release_path = GITHUB_RELEASE.removeprefix(f"{REPOSITORY}: ")
    assert (
        RELEASE_CLAIMS.build_config_uri == f"https://github.com/{REPOSITORY}/{release_path}@{TAG}"
    )

    # The admin registers the service and adds the one line; the identity is the default.
    register(client, admin_headers)
    stored = pipeline.policy(reusable_workflows=policy["reusable_workflows"])
    identities = [{k: v for k, v in i.items() if v is not None} for i in stored["identities"]]
    assert identities == policy["identities"]

    pipeline.sbom("good.cdx.json")  # an SBOM that meets cisa-2025
    signed = pipeline.signature(RELEASE)
    assert signed["receipt"]["signer"]["subject"] == RELEASE.identity
    build = called_by(BUILD_PYTHON)
    provenance = pipeline.bundle(
        dsse_bundle(local_sigstore, attest_build_provenance(build), signer=build)
    )["provenance"]
    assert (provenance["slsa_level"], provenance["source_bound"]) == (3, True)

    maturity = pipeline.maturity()
    assert maturity["level"] == 4, maturity
    statuses = {check["id"]: check["status"] for check in maturity["checks"]}
    assert statuses["build-level-3"] == "pass"
    assert "waived" not in statuses.values()
    assert {check for check, status in statuses.items() if status == "fail"} == {"reproducible"}
    verdict = pipeline.verdict("production")
    assert (verdict["decision"], verdict["level"], verdict["required_level"]) == ("allow", 4, 4)


def test_without_the_policy_line_the_documented_release_stays_below_production(
    client, admin_headers, pipeline, local_sigstore
):
    register(client, admin_headers)
    pipeline.sbom("good.cdx.json")
    pipeline.signature(RELEASE)
    build = called_by(BUILD_PYTHON)
    refused = submit(
        client,
        pipeline.pipeline,
        dsse_bundle(local_sigstore, attest_build_provenance(build), signer=build),
    )
    assert refused.status_code == 422
    assert pipeline.maturity()["level"] < 4
    assert pipeline.verdict("production")["decision"] == "deny"


# --- GitLab CI ----------------------------------------------------------------------------------

# The claims Fulcio gives the release job of .gitlab-ci.yml at the tag (GitLab's ID token).
GITLAB_CLAIMS = GitHubClaims(
    build_signer_uri=GITLAB_PIPELINE,
    build_signer_digest=COMMIT,
    runner_environment="gitlab-hosted",
    source_repository_uri=GITLAB_REPOSITORY,
    source_repository_digest=COMMIT,
    source_repository_ref=TAG,
    source_repository_identifier="61523984",
    source_repository_owner_uri="https://gitlab.com/acme",
    source_repository_owner_identifier="7150431",
    build_config_uri=GITLAB_PIPELINE,
    build_config_digest=COMMIT,
    build_trigger="push",
    run_invocation_uri=f"{GITLAB_REPOSITORY}/-/jobs/{GITLAB_JOB}",
    source_repository_visibility="public",
)
GITLAB_RELEASE = SignerIdentity(identity=GITLAB_PIPELINE, issuer=GITLAB, github=GITLAB_CLAIMS)


def gitlab_runner_provenance() -> dict[str, Any]:
    """The predicate GitLab Runner writes with RUNNER_GENERATE_ARTIFACTS_METADATA (SLSA v1).

    Its shape is the example of GitLab's "SLSA provenance specification" and runner
    documentation (docs.gitlab.com, CC BY-SA 4.0); the values are this release's.
    """
    return {
        "buildDefinition": {
            "buildType": "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/v17.4.0/PROVENANCE.md",
            "externalParameters": {
                "source": GITLAB_REPOSITORY,
                "entryPoint": "build",
                "variables": {
                    "CI_COMMIT_TAG": "v1.4.0",
                    "RUNNER_GENERATE_ARTIFACTS_METADATA": "true",
                },
            },
            "internalParameters": {
                "name": "green-4.saas-linux-small-amd64.runners-manager.gitlab.com/default",
                "executor": "docker+machine",
                "architecture": "amd64",
                "job": str(GITLAB_JOB - 1),
            },
            "resolvedDependencies": [{"uri": GITLAB_REPOSITORY, "digest": {"sha256": COMMIT}}],
        },
        "runDetails": {
            "builder": {
                "id": f"{GITLAB_REPOSITORY}/-/runners/12270857",
                "version": {"gitlab-runner": "4d7093e1"},
            },
            "metadata": {
                "invocationID": str(GITLAB_JOB - 1),
                "startedOn": "2026-12-01T10:15:30Z",
                "finishedOn": "2026-12-01T10:21:44Z",
            },
        },
    }


def test_the_documented_gitlab_job_reaches_level_3(client, admin_headers, pipeline, local_sigstore):
    ci = workflow(GITLAB_CI)
    _, policy = policies()
    build_job, release_job = ci["build"], ci["release"]
    assert build_job["variables"]["RUNNER_GENERATE_ARTIFACTS_METADATA"] == "true"
    for job in (build_job, release_job):
        assert job["tags"] == ["saas-linux-small-amd64"]  # GitLab.com's hosted runners
        assert job["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v/"}]
    assert release_job["needs"] == ["build"]
    assert release_job["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    script = "\n".join(release_job["script"])
    assert "cosign sign-blob --yes --new-bundle-format --bundle dist/wheel.sigstore.json" in script
    assert "--type slsaprovenance1 --predicate dist/provenance.json" in script
    options = submitted(script)
    assert options["--sbom"] == ["dist/sbom.cdx.json"]
    assert options["--bundle"] == ["dist/wheel.sigstore.json", "dist/provenance.sigstore.json"]
    (identity,) = policy["identities"]
    assert re.fullmatch(identity["subject_regex"], GITLAB_PIPELINE)
    assert identity["runner_environment"] == GITLAB_CLAIMS.runner_environment

    register(client, admin_headers, SERVICE, GITLAB_REPOSITORY)
    pipeline.policy(**policy)
    pipeline.sbom("good.cdx.json")
    pipeline.signature(GITLAB_RELEASE)
    # cosign attest-blob: an in-toto v0.1 statement about the wheel with the runner's predicate.
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": NAME, "digest": {"sha256": DIGEST_HEX}}],
        "predicate": gitlab_runner_provenance(),
    }
    provenance = pipeline.bundle(dsse_bundle(local_sigstore, statement, signer=GITLAB_RELEASE))[
        "provenance"
    ]
    assert (provenance["slsa_level"], provenance["source_bound"]) == (2, True), provenance

    maturity = pipeline.maturity()
    assert maturity["level"] == 3, maturity
    statuses = {check["id"]: check["status"] for check in maturity["checks"]}
    assert statuses["build-level-3"] == "fail"
    assert "waived" not in statuses.values()
    assert pipeline.verdict("staging")["decision"] == "allow"
    assert pipeline.verdict("production")["decision"] == "deny"
