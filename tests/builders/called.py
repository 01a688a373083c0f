"""Builders acme/payments calls, and the provenance they sign, as the local test Sigstore
certifies them.

A called builder signs as itself: Fulcio puts the called workflow in the SAN and the
Build Signer URI (1.9), while the source (1.12, 1.14) and the Build Config URI (1.18)
stay the caller's run. ``called_by`` makes such a signer for the release run of
tests/builders/identities.py; ``attest_build_provenance`` writes the SLSA v1
provenance ``actions/attest-build-provenance`` writes in that run: @actions/attest's
``buildSLSAProvenancePredicate`` (``actions/toolkit``, packages/attest/src/provenance.ts,
MIT licence) fills it from the job's OIDC claims, with the called workflow
(``job_workflow_ref``) as builder id.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.builders.bundles import DIGEST_HEX, NAME
from tests.builders.identities import RELEASE_CLAIMS
from tests.provenance.statements import RUN_ID
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, GitHubClaims, SignerIdentity

# The reusable workflow of docs/pipelines.md, at the tag the caller names (``@v1``).
WORKFLOWS_REPOSITORY = "acme/release-workflows"
BUILD_WORKFLOW = ".github/workflows/build-python.yml"
BUILD_PYTHON = f"https://github.com/{WORKFLOWS_REPOSITORY}/{BUILD_WORKFLOW}@refs/tags/v1"
# The commit of acme/release-workflows at v1 (Build Signer Digest, 1.10), and another.
WORKFLOWS_COMMIT = "7c3e9a1b5d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a"
OTHER_WORKFLOWS_COMMIT = "0d2f4b6a8c1e3f5a7b9d0c2e4f6a8b1d3c5e7f9a"
REUSABLE_WORKFLOW = {"repository": WORKFLOWS_REPOSITORY, "workflow": BUILD_WORKFLOW}


def called_by(
    workflow: str,
    caller: GitHubClaims = RELEASE_CLAIMS,
    *,
    digest: str = WORKFLOWS_COMMIT,
    **claims: str,
) -> SignerIdentity:
    """``workflow`` (a SAN) signing in a run of ``caller``, with ``claims`` changed."""
    github = dataclasses.replace(
        caller, build_signer_uri=workflow, build_signer_digest=digest, **claims
    )
    return SignerIdentity(identity=workflow, issuer=GITHUB_ACTIONS_ISSUER, github=github)


def run_of(repository: str, **claims: str) -> GitHubClaims:
    """The release run's claims for ``repository`` (a fork, say), with ``claims`` changed."""
    base = GitHubClaims.for_workflow(
        repository,
        ref=RELEASE_CLAIMS.source_repository_ref or "",
        sha=RELEASE_CLAIMS.source_repository_digest or "",
        run_id=RUN_ID,
    )
    return dataclasses.replace(base, **claims)


BUILD = called_by(BUILD_PYTHON)


def attest_build_provenance(
    signer: SignerIdentity, name: str = NAME, digest_hex: str = DIGEST_HEX
) -> dict[str, Any]:
    """The statement ``actions/attest-build-provenance`` writes when ``signer``'s job runs it."""
    claims = signer.github
    assert claims is not None
    assert claims.source_repository_uri is not None
    caller = claims.build_config_uri or ""
    repository = claims.source_repository_uri
    path = caller.removeprefix(repository + "/").rpartition("@")[0]
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": digest_hex}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {
                        "ref": claims.source_repository_ref,
                        "repository": repository,
                        "path": path,
                    }
                },
                "internalParameters": {
                    "github": {
                        "event_name": claims.build_trigger,
                        "repository_id": claims.source_repository_identifier,
                        "repository_owner_id": claims.source_repository_owner_identifier,
                        "runner_environment": claims.runner_environment,
                    }
                },
                "resolvedDependencies": [
                    {
                        "uri": f"git+{repository}@{claims.source_repository_ref}",
                        "digest": {"gitCommit": claims.source_repository_digest},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": signer.identity},
                "metadata": {"invocationId": claims.run_invocation_uri},
            },
        },
    }
