"""Migration 0014 reads the SBOMs and OpenVEX attestations stored before it, as an upload
would read them now, and downgrades to the 0013 tables."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.orm import Session

from app.db import migrate
from app.sboms.extraction import extract
from app.sboms.loading import load_sbom
from app.sboms.models import Sbom
from app.sboms.repository import SbomRepository
from app.vulnerabilities.openvex import read_openvex
from app.vulnerabilities.repository import VexRepository
from tests.builders.vex import openvex, signed_vex, vex_statement
from tests.databases import column_names, database_at, sbom_columns, store_sboms
from tests.provenance.statements import statement as provenance_statement
from tests.sboms.sbom_files import read
from tests.sigstore_local import LocalSigstore, dsse_bundle

CDX_JSON = "application/vnd.cyclonedx+json"
CDX_XML = "application/vnd.cyclonedx+xml"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
OPENVEX = "https://openvex.dev/ns/v0.2.0"
STORED_AT = datetime(2026, 12, 1, tzinfo=UTC)  # after the statements' time (tests/builders/vex.py)
LATER = "2026-12-02T00:00:00Z"  # a statement dated after its attestation was stored

# (label, sboms.format, bytes, what 0014 finds: (count, unanalyzed, open by severity))
SBOMS_BEFORE = [
    (
        "json",
        "cyclonedx-json",
        read("cyclonedx-1.6-vulnerabilities.json"),
        (5, 2, {"critical": 1, "high": 1, "unknown": 2}),
    ),
    (
        "xml",
        "cyclonedx-xml",
        read("cyclonedx-1.6-vulnerabilities.xml"),
        (5, 2, {"critical": 1, "high": 1, "unknown": 2}),
    ),
    ("spdx", "spdx-json", read("spdx-2.3.json"), (0, 0, {})),
    ("bad-json", "cyclonedx-json", read("bad-cyclonedx-1.6-truncated.json"), (None, None, None)),
    ("unknown-format", "cyclonedx-protobuf", b"\x0a\x02", (None, None, None)),
]
TWO_STATEMENTS = openvex(vex_statement(), vex_statement("affected", vulnerability="CVE-2024-0002"))


@pytest.fixture
def database_at_0013(tmp_path) -> Iterator[str]:
    with database_at("0013", tmp_path) as url:
        yield url


def _bundles(sigstore: LocalSigstore) -> dict[str, tuple[str, bytes]]:
    """label: (predicate type as stored, bundle bytes) of the attestations stored before."""
    malformed = openvex(vex_statement("exploitable"))
    post_dated = openvex(vex_statement(), timestamp=LATER)
    provenance = dsse_bundle(sigstore, provenance_statement("good-slsa-generator-v1.json"))
    return {
        "openvex": (OPENVEX, signed_vex(sigstore, TWO_STATEMENTS).content),
        # Refused now: kept before, they get no statement and close nothing.
        "malformed": (OPENVEX, signed_vex(sigstore, malformed).content),
        "post-dated": (OPENVEX, signed_vex(sigstore, post_dated).content),
        "not-a-bundle": (OPENVEX, b'{"mediaType": "nothing"}'),
        "provenance": ("https://slsa.dev/provenance/v1", provenance.content),
    }


def _store_attestations(url: str, bundles: dict[str, tuple[str, bytes]]) -> dict[str, int]:
    """Each bundle stored as 0013 stores an attestation of the service store_sboms made."""
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine, only=["services", "blobs", "attestations"])
    services, blobs, attestations = (
        tables.tables[name] for name in ("services", "blobs", "attestations")
    )
    ids = {}
    try:
        with engine.begin() as connection:
            service_id = connection.execute(select(services.c.id)).scalar_one()
            for label, (predicate_type, content) in bundles.items():
                digest = "sha256:" + hashlib.sha256(content).hexdigest()
                connection.execute(
                    blobs.insert().values(
                        digest=digest,
                        size=len(content),
                        media_type=BUNDLE,
                        content=content,
                        created_at=STORED_AT,
                    )
                )
                (ids[label],) = connection.execute(
                    attestations.insert().values(
                        digest=digest,
                        service_id=service_id,
                        kind="attestation",
                        bundle_version="0.3",
                        predicate_type=predicate_type,
                        uploaded_by="pipeline",
                        audit_index=0,
                        created_at=STORED_AT,
                    )
                ).inserted_primary_key
    finally:
        engine.dispose()
    return ids


def _in_session(url: str, work):
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return work(session)
    finally:
        engine.dispose()


def test_migration_0014_reads_the_sboms_and_openvex_attestations_stored_before_it(
    database_at_0013, local_sigstore
):
    sboms = store_sboms(database_at_0013, [(label, f, body) for label, f, body, _ in SBOMS_BEFORE])
    attestations = _store_attestations(database_at_0013, _bundles(local_sigstore))

    migrate.upgrade(database_at_0013, "0014")

    counts = _in_session(
        database_at_0013,
        lambda session: {
            sbom_id: rest
            for sbom_id, *rest in session.execute(
                select(
                    Sbom.id,
                    Sbom.vulnerability_count,
                    Sbom.unanalyzed_vulnerability_count,
                    Sbom.open_vulnerabilities,
                )
            )
        },
    )
    assert {label: tuple(counts[sboms[label]]) for label in sboms} == {
        label: expected for label, _, _, expected in SBOMS_BEFORE
    }
    # Each vulnerability as the same bytes uploaded now would list it.
    listed = _in_session(
        database_at_0013, lambda session: SbomRepository(session).vulnerabilities(sboms["xml"])
    )
    assert listed == extract(load_sbom(CDX_XML, SBOMS_BEFORE[1][2])).vulnerabilities
    statements = _in_session(
        database_at_0013,
        lambda session: VexRepository(session).of_attestations(list(attestations.values())),
    )
    assert [(s.attestation_id, s.index, s.statement) for s in statements] == [
        (attestations["openvex"], index, statement)
        for index, statement in enumerate(read_openvex(TWO_STATEMENTS, received=STORED_AT))
    ]


def test_migration_0014_downgrades_to_the_0013_tables(database_at_0013, local_sigstore):
    sboms = store_sboms(database_at_0013, [(label, f, body) for label, f, body, _ in SBOMS_BEFORE])
    _store_attestations(database_at_0013, _bundles(local_sigstore))
    migrate.upgrade(database_at_0013, "0014")

    command.downgrade(migrate.alembic_config(database_at_0013), "0013")

    assert "open_vulnerabilities" not in column_names(database_at_0013, "sboms")
    engine = create_engine(database_at_0013)
    try:
        tables = MetaData()
        tables.reflect(engine)
        assert {"sbom_vulnerabilities", "vex_statements"}.isdisjoint(tables.tables)
    finally:
        engine.dispose()
    assert set(sbom_columns(database_at_0013)) == set(sboms.values())
