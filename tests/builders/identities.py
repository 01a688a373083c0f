"""Who signs the builds of acme/payments, as the local test Sigstore certifies them.

Each is a ``SignerIdentity`` for ``tests.sigstore_local``'s bundles, for the run
``RUN_ID`` at the release tag ``TAG`` and commit ``COMMIT`` of
tests/provenance/statements.py unless its name says otherwise: the run the
predicates of tests/provenance/predicates describe, so that their certificates
confirm it. ``GENERATOR_IDENTITY`` is the entry of a service policy that lets the
SLSA generator's reusable workflows sign for acme/payments; ``REBUILDER_IDENTITY``
and ``REBUILDER_RULE`` let an independent rebuild service sign, and trust it as a
rebuilder of its own trust domain.
"""

from __future__ import annotations

import dataclasses

from tests.builders.services import REPOSITORY
from tests.provenance.statements import COMMIT, GO_BUILDER, RUN_ID, TAG
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER, GitHubClaims, SignerIdentity

RELEASE_CLAIMS = GitHubClaims.for_workflow(REPOSITORY, ref=TAG, sha=COMMIT, run_id=RUN_ID)
# The release workflow on a hosted runner, at the tag: SLSA Build L2 and bound to the source.
RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref=TAG, sha=COMMIT, run_id=RUN_ID)
# The same workflow run from a branch, not a tag.
BRANCH = SignerIdentity.github_workflow(
    REPOSITORY, ref="refs/heads/main", sha=COMMIT, run_id=RUN_ID
)
# The same workflow in a fork: another repository than the service's.
FORK = SignerIdentity.github_workflow("mallory/payments", ref=TAG, sha=COMMIT, run_id=RUN_ID)
# The release workflow on a self-hosted runner: SLSA Build L1 only.
SELF_HOSTED = dataclasses.replace(
    RELEASE, github=dataclasses.replace(RELEASE_CLAIMS, runner_environment="self-hosted")
)
# The SLSA generator signs as its own reusable workflow, for a run of acme/payments.
GENERATOR = SignerIdentity(
    identity=GO_BUILDER,
    issuer=GITHUB_ACTIONS_ISSUER,
    github=dataclasses.replace(RELEASE_CLAIMS, build_signer_uri=GO_BUILDER),
)
# An independent rebuild: a reusable workflow of its own (another signer), called by the
# release workflow, on a self-hosted runner.
REBUILDER = "https://github.com/acme/payments/.github/workflows/rebuild.yml@" + TAG
REBUILD = SignerIdentity(
    identity=REBUILDER,
    issuer=GITHUB_ACTIONS_ISSUER,
    github=dataclasses.replace(
        RELEASE_CLAIMS, build_signer_uri=REBUILDER, runner_environment="self-hosted"
    ),
)
GENERATOR_IDENTITY = {
    "issuer": GITHUB_ACTIONS_ISSUER,
    "subject_regex": r"https://github\.com/slsa-framework/slsa-github-generator/\.github/"
    r"workflows/[a-z_-]+_slsa3\.yml@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+",
    "repository": REPOSITORY,
}

# An independent rebuild service, run in its own CircleCI organisation (each has its own OIDC
# issuer): another trust domain than acme's. It rebuilds the release from its tag
# (tests/provenance/predicates/good-rebuild-service.json); its certificate names no source.
REBUILDER = SignerIdentity(
    identity="https://circleci.com/rebuild-org/reproducer",
    issuer="https://oidc.circleci.com/org/5f0c3b52-8d7e-4b8e-9a61-0b7c2d9e4f13",
)
REBUILDER_IDENTITY = {"issuer": REBUILDER.issuer, "subject": REBUILDER.identity}
REBUILDER_RULE = {
    "id": "https://rebuild.attestd.test/reproducer",
    "signer": REBUILDER_IDENTITY,
    "max_level": 1,
    "rebuilder": True,
    "trust_domain": "rebuild-service",
    "description": "the rebuild service",
}
