"""Migration 0012 gives the receipts stored before it the signer kind attestd judged them by."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, inspect, text

from app.db import migrate
from tests.databases import database_at

GITHUB = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1"
CIRCLECI = "https://oidc.circleci.com/org/4f6b2c1e-8d0a-4a43-9a57-2f1c3b8e7d10"
# label: (verified, subject, issuer, the kind 0012 gives it)
STORED_BEFORE = {
    "github-workflow": (True, WORKFLOW, GITHUB, "workload"),
    "gitlab-pipeline": (
        True,
        "https://gitlab.com/acme/p//.gitlab-ci.yml@x",
        "https://gitlab.com",
        "workload",
    ),
    "circleci": (True, "https://circleci.com/api/v2/projects/p", CIRCLECI, "workload"),
    "circleci-lookalike": (True, WORKFLOW, "https://oidc.circleci.com/orgs/", "person"),
    "google-account": (True, "alice@acme.example", "https://accounts.google.com", "person"),
    "email-from-ci": (True, "alice@acme.example", GITHUB, "person"),
    "other-issuer": (True, WORKFLOW, "https://ci.acme.example", "person"),
    "no-longer-verified": (False, WORKFLOW, GITHUB, None),
}


@pytest.fixture
def database_at_0008(tmp_path) -> Iterator[str]:
    with database_at("0008", tmp_path) as url:
        yield url


def _store_as_0008_would(url: str) -> dict[str, int]:
    """One attestation, and one receipt of it for each STORED_BEFORE entry."""
    engine = create_engine(url)
    tables = MetaData()
    names = ["services", "blobs", "attestations", "verification_receipts"]
    tables.reflect(engine, only=names)
    services, blobs, attestations, receipts = (tables.tables[name] for name in names)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    digest = "sha256:" + "b" * 64
    ids = {}
    try:
        with engine.begin() as connection:
            (service_id,) = connection.execute(
                services.insert().values(
                    name="payments",
                    repository="https://github.com/acme/payments",
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            connection.execute(
                blobs.insert().values(
                    digest=digest,
                    size=2,
                    media_type="application/json",
                    content=b"{}",
                    created_at=now,
                )
            )
            (attestation_id,) = connection.execute(
                attestations.insert().values(
                    digest=digest,
                    service_id=service_id,
                    kind="signature",
                    bundle_version="0.3",
                    uploaded_by="pipeline",
                    audit_index=0,
                    created_at=now,
                )
            ).inserted_primary_key
            for label, (verified, subject, issuer, _) in STORED_BEFORE.items():
                (ids[label],) = connection.execute(
                    receipts.insert().values(
                        attestation_id=attestation_id,
                        verified=verified,
                        reasons=[],
                        signer_subject=subject,
                        signer_issuer=issuer,
                        claims={},
                        log_index=1,
                        log_id="00",
                        trust_root_source="built-in",
                        trust_root_digest="sha256:" + "0" * 64,
                        policy_version=1,
                        policy_digest="sha256:" + "1" * 64,
                        sigstore_version="4.5.1",
                        verified_at=now,
                        audit_index=0,
                    )
                ).inserted_primary_key
    finally:
        engine.dispose()
    return ids


def _receipt_columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("verification_receipts")}
    finally:
        engine.dispose()


def test_migration_0012_gives_old_receipts_the_kind_they_were_judged_by(database_at_0008):
    ids = _store_as_0008_would(database_at_0008)

    migrate.upgrade(database_at_0008, "0012")

    engine = create_engine(database_at_0008)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, signer_kind, matched_identity FROM verification_receipts")
            ).all()
    finally:
        engine.dispose()
    stored = {row[0]: (row[1], row[2]) for row in rows}
    assert {label: stored[ids[label]] for label in STORED_BEFORE} == {
        label: (kind, None) for label, (_, _, _, kind) in STORED_BEFORE.items()
    }


def test_migration_0012_downgrades_to_the_0008_table(database_at_0008):
    _store_as_0008_would(database_at_0008)
    migrate.upgrade(database_at_0008, "0012")
    assert {"signer_kind", "matched_identity"} <= _receipt_columns(database_at_0008)

    command.downgrade(migrate.alembic_config(database_at_0008), "0008")

    assert not {"signer_kind", "matched_identity"} & _receipt_columns(database_at_0008)
