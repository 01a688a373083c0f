"""Fixtures of the maturity tests: a second admin, and ``payments`` with its release pipeline."""

from __future__ import annotations

import pytest

from app.auth.credentials import Role
from tests.attestations.submissions import register
from tests.builders.credentials import bearer
from tests.builders.identities import GENERATOR_IDENTITY, REBUILDER_IDENTITY, REBUILDER_RULE
from tests.builders.services import SERVICE
from tests.scoring.release_pipeline import Pipeline


@pytest.fixture
def second_admin_headers(make_token) -> dict[str, str]:
    """An admin other than ``admin_headers``'s: the one who approves exceptions."""
    return bearer(make_token(Role.ADMIN, name="second-admin"))


@pytest.fixture
def pipeline(
    client, admin_headers, second_admin_headers, pipeline_headers, auditor_headers, local_sigstore
) -> Pipeline:
    """What the release pipeline and the admins of ``payments`` do, before it is registered."""
    return Pipeline(
        client,
        admin=admin_headers,
        approver=second_admin_headers,
        pipeline=pipeline_headers,
        auditor=auditor_headers,
        sigstore=local_sigstore,
    )


@pytest.fixture
def payments(client, admin_headers, pipeline: Pipeline) -> Pipeline:
    """``payments`` registered with a policy that also lets the SLSA generator and the
    rebuild service sign, and trusts the rebuild service as a rebuilder of its own domain."""
    register(client, admin_headers)
    current = client.get(f"/v1/services/{SERVICE}/policy", headers=admin_headers).json()
    pipeline.policy(
        identities=[*current["identities"], GENERATOR_IDENTITY, REBUILDER_IDENTITY],
        trusted_builders=[REBUILDER_RULE],
    )
    return pipeline
