"""The statements of predicates/ and the signers of the provenance tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PREDICATES = Path(__file__).parent / "predicates"

ACME = "https://github.com/acme/payments"
MALLORY = "https://github.com/mallory/payments"
TAG = "refs/tags/v1.4.0"
COMMIT = "5b0a8e6f2d7c41398e1f6a2b9c0d3e4f5a6b7c8d"
OTHER_COMMIT = "e491e4b2ce5bc76fb103729b61b04d3c46d8a192"
# The workflow run every predicate names (runDetails.metadata.invocationId, buildInvocationID).
RUN_ID = 9876543210
GOOGLE = "https://accounts.google.com"

GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
GO_BUILDER = GENERATOR + "builder_go_slsa3.yml@refs/tags/v2.1.0"
GENERIC_GENERATOR = GENERATOR + "generator_generic_slsa3.yml@refs/tags/v2.1.0"
RELEASE_WORKFLOW = ACME + "/.github/workflows/release.yml@" + TAG
MALLORY_WORKFLOW = MALLORY + "/.github/workflows/release.yml@" + TAG


def statement(name: str) -> dict[str, Any]:
    document = json.loads((PREDICATES / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def github_claims(
    repository: str = ACME,
    ref: str = TAG,
    commit: str = COMMIT,
    runner: str | None = "github-hosted",
) -> dict[str, str]:
    """The Fulcio claims of a GitHub Actions certificate for a run of ``repository``."""
    claims = {
        "source_repository_uri": repository,
        "source_repository_ref": ref,
        "source_repository_digest": commit,
    }
    if runner is not None:
        claims["runner_environment"] = runner
    return claims
