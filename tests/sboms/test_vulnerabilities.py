"""Vulnerabilities an SBOM lists and their VEX analyses: extraction, the counts over HTTP,
the backfill of migration 0007, and OpenVEX statements passing the statement checks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sigstore.verify.policy import Identity
from sqlalchemy import select, update

from app.attestations.bundles import BundleRejected, parse_bundle
from app.attestations.trust import load_trust_root
from app.attestations.verification import PREDICATE_TYPES, Verified, verify
from app.db import migrate
from app.policy.maturity import Severity
from app.sboms.contents import SbomContents, Vulnerability
from app.sboms.extraction import extract
from app.sboms.loading import load_sbom
from app.sboms.models import Sbom, SbomVulnerability
from tests.databases import column_names, database_at, sbom_columns, store_sboms
from tests.sboms.sbom_files import read
from tests.sboms.uploads import upload
from tests.sigstore_local import DEFAULT_SIGNER, dsse_bundle, statement

CDX_JSON = "application/vnd.cyclonedx+json"
CDX_XML = "application/vnd.cyclonedx+xml"
SPDX_JSON = "application/spdx+json"

REQUESTS = "pkg:pypi/requests@2.32.3"
URLLIB3 = "pkg:pypi/urllib3@2.2.2"
# What cyclonedx-1.6-vulnerabilities.json and .xml list, in order.
LISTED_1_6 = (
    Vulnerability(
        "CVE-2024-35195", "not_affected", justification="code_not_reachable", affects=(REQUESTS,)
    ),
    # Rated medium by one source and high by another: the highest counts.
    Vulnerability("CVE-2024-37891", "exploitable", severity=Severity.HIGH, affects=(URLLIB3,)),
    Vulnerability(  # no analysis at all
        "GHSA-9hjg-9r4m-mvj7", None, severity=Severity.CRITICAL, affects=(REQUESTS,)
    ),
    Vulnerability("CVE-2025-50181", None, affects=(URLLIB3,)),  # an analysis without a state
    Vulnerability("", "in_triage", affects=(URLLIB3,)),  # no id: still counted
)
LISTED_1_4 = (
    # The XML pads the id with spaces.
    Vulnerability(
        "CVE-2024-35195", "not_affected", justification="code_not_reachable", affects=(REQUESTS,)
    ),
    Vulnerability("CVE-2024-37891", None, affects=(URLLIB3,)),
    Vulnerability("CVE-2023-43804", "resolved", affects=(URLLIB3,)),
)


def counts(count: int, unanalyzed: int, **open_by_severity: int) -> dict[str, object]:
    """The ``vulnerabilities`` of an SBOM record."""
    return {
        "count": count,
        "unanalyzed": unanalyzed,
        "open": sum(open_by_severity.values()),
        "open_by_severity": open_by_severity,
    }


# (file, Content-Type, the record's vulnerabilities) for every kind of document.
COUNTED = [
    pytest.param(
        "cyclonedx-1.6-vulnerabilities.json",
        CDX_JSON,
        counts(5, 2, critical=1, high=1, unknown=2),
        id="cdx-1.6-json",
    ),
    pytest.param(
        "cyclonedx-1.6-vulnerabilities.xml",
        CDX_XML,
        counts(5, 2, critical=1, high=1, unknown=2),
        id="cdx-1.6-xml",
    ),
    pytest.param(
        "cyclonedx-1.4-vulnerabilities.xml", CDX_XML, counts(3, 1, unknown=1), id="cdx-1.4-xml"
    ),
    pytest.param("cyclonedx-1.6.json", CDX_JSON, counts(0, 0), id="cdx-none"),
    pytest.param("cyclonedx-1.2.xml", CDX_XML, counts(0, 0), id="cdx-1.2-xml"),
    pytest.param("spdx-2.3.json", SPDX_JSON, counts(0, 0), id="spdx-2.3"),
]


def _extract(content_type: str, body: bytes) -> SbomContents:
    return extract(load_sbom(content_type, body))


# --- extraction -------------------------------------------------------------------------


def test_cyclonedx_json_lists_every_vulnerability_with_its_analysis_state():
    contents = _extract(CDX_JSON, read("cyclonedx-1.6-vulnerabilities.json"))

    assert contents.vulnerabilities == LISTED_1_6
    assert contents.unanalyzed_vulnerability_count == 2
    assert [v.analyzed for v in contents.vulnerabilities] == [True, True, False, False, True]


def test_cyclonedx_xml_gives_the_same_vulnerabilities_as_the_same_json():
    json_contents = _extract(CDX_JSON, read("cyclonedx-1.6-vulnerabilities.json"))
    xml_contents = _extract(CDX_XML, read("cyclonedx-1.6-vulnerabilities.xml"))

    assert xml_contents.vulnerabilities == json_contents.vulnerabilities == LISTED_1_6
    # The vulnerabilities change nothing else that is read.
    assert dataclasses.replace(xml_contents, vulnerabilities=()) == _extract(
        CDX_XML, read("cyclonedx-1.6.xml")
    )


def test_cyclonedx_1_4_xml_vulnerabilities_are_read_with_trimmed_ids():
    contents = _extract(CDX_XML, read("cyclonedx-1.4-vulnerabilities.xml"))

    assert contents.vulnerabilities == LISTED_1_4
    assert contents.unanalyzed_vulnerability_count == 1


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("spdx-2.2.json", SPDX_JSON),
        ("spdx-2.3.json", SPDX_JSON),
        ("cyclonedx-1.6.json", CDX_JSON),
        ("cyclonedx-1.6.xml", CDX_XML),
        ("cyclonedx-1.3.xml", CDX_XML),
    ],
)
def test_a_document_without_vulnerabilities_lists_none(name, content_type):
    contents = _extract(content_type, read(name))

    assert contents.vulnerabilities == ()
    assert contents.unanalyzed_vulnerability_count == 0


def test_an_analysis_state_is_trimmed_and_an_empty_one_is_no_analysis():
    bom = json.loads(read("cyclonedx-1.6.json"))
    bom["vulnerabilities"] = [
        {"id": "  CVE-2024-0001\t", "analysis": {"state": "false_positive"}},
        {"id": "CVE-2024-0002", "analysis": {}},
        {"id": "CVE-2024-0003", "analysis": {"justification": "requires_environment"}},
    ]

    contents = _extract(CDX_JSON, json.dumps(bom).encode())

    assert contents.vulnerabilities == (
        Vulnerability("CVE-2024-0001", "false_positive"),
        Vulnerability("CVE-2024-0002", None),
        Vulnerability("CVE-2024-0003", None, justification="requires_environment"),
    )
    assert contents.unanalyzed_vulnerability_count == 2


def test_an_id_listed_twice_counts_twice():
    bom = json.loads(read("cyclonedx-1.6.json"))
    entry = {"id": "CVE-2024-37891", "affects": [{"ref": "pkg:pypi/urllib3@2.2.2"}]}
    bom["vulnerabilities"] = [entry, {**entry, "analysis": {"state": "resolved"}}]

    contents = _extract(CDX_JSON, json.dumps(bom).encode())

    assert len(contents.vulnerabilities) == 2
    assert contents.unanalyzed_vulnerability_count == 1


def test_contents_built_without_vulnerabilities_list_none_and_vulnerabilities_are_frozen():
    contents = SbomContents(
        components=(),
        dependencies=(),
        subject_name=None,
        subject_version=None,
        subject_digests=(),
        authors=(),
        producer=None,
        tools=(),
        timestamp=None,
        lifecycles=(),
    )
    assert contents.vulnerabilities == ()
    assert contents.unanalyzed_vulnerability_count == 0

    vulnerability = Vulnerability(id="CVE-2024-1", analysis_state=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        vulnerability.analysis_state = "resolved"  # type: ignore[misc]
    assert not hasattr(vulnerability, "__dict__")


# --- over HTTP --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content_type", "expected"), COUNTED)
def test_an_upload_answers_and_stores_its_vulnerability_counts(
    name, content_type, expected, client, service, pipeline_headers, auditor_headers, run_in_session
):
    response = upload(client, pipeline_headers, read(name), content_type)
    assert response.status_code == 201, response.text
    sbom = response.json()
    assert sbom["vulnerabilities"] == expected

    again = client.get(f"/v1/sboms/{sbom['id']}", headers=auditor_headers)
    assert again.json()["vulnerabilities"] == expected
    artifact = client.get(f"/v1/artifacts/{sbom['artifact']['digest']}", headers=auditor_headers)
    (listed,) = artifact.json()["sboms"]
    assert listed["vulnerabilities"] == expected

    stored = run_in_session(
        lambda session: session.execute(
            select(Sbom.vulnerability_count, Sbom.unanalyzed_vulnerability_count)
        ).one()
    )
    assert tuple(stored) == (expected["count"], expected["unanalyzed"])
    rows = run_in_session(
        lambda session: session.scalars(select(SbomVulnerability.vulnerability_id)).all()
    )
    assert len(rows) == expected["count"]


def test_the_same_bytes_again_answer_the_same_counts(client, service, pipeline_headers):
    body = read("cyclonedx-1.6-vulnerabilities.json")
    first = upload(client, pipeline_headers, body)
    again = upload(client, pipeline_headers, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["vulnerabilities"] == counts(5, 2, critical=1, high=1, unknown=2)


def test_counts_that_could_not_be_read_are_null(
    client, service, pipeline_headers, auditor_headers, run_in_session
):
    sbom = upload(client, pipeline_headers, read("cyclonedx-1.6-vulnerabilities.json")).json()
    # What migrations 0007 and 0014 leave on an SBOM stored before whose bytes they could
    # not read.
    run_in_session(
        lambda session: session.execute(
            update(Sbom).values(
                vulnerability_count=None,
                unanalyzed_vulnerability_count=None,
                open_vulnerabilities=None,
            )
        )
    )

    response = client.get(f"/v1/sboms/{sbom['id']}", headers=auditor_headers)

    assert response.status_code == 200
    assert response.json()["vulnerabilities"] == {
        "count": None,
        "unanalyzed": None,
        "open": None,
        "open_by_severity": None,
    }


# --- migration 0007 backfills the SBOMs stored before it ----------------------------------


@pytest.fixture
def database_at_0006(tmp_path) -> Iterator[str]:
    with database_at("0006", tmp_path) as url:
        yield url


# (label, sboms.format as 0006 stores it, bytes, counts 0007 should find)
STORED_BEFORE = [
    ("json", "cyclonedx-json", read("cyclonedx-1.6-vulnerabilities.json"), (5, 2)),
    ("xml", "cyclonedx-xml", read("cyclonedx-1.6-vulnerabilities.xml"), (5, 2)),
    ("xml-1.4", "cyclonedx-xml", read("cyclonedx-1.4-vulnerabilities.xml"), (3, 1)),
    ("none", "cyclonedx-json", read("cyclonedx-1.6.json"), (0, 0)),
    ("spdx", "spdx-json", read("spdx-2.3.json"), (0, 0)),
    ("bad-json", "cyclonedx-json", read("bad-cyclonedx-1.6-truncated.json"), (None, None)),
    ("bad-xml", "cyclonedx-xml", read("bad-cyclonedx-1.6-truncated.xml"), (None, None)),
    # Readable bytes under a format this revision does not know.
    (
        "unknown-format",
        "cyclonedx-protobuf",
        read("cyclonedx-1.6-vulnerabilities.json") + b"\n",
        (None, None),
    ),
]


def _store_as_0006_would(url: str) -> dict[str, int]:
    return store_sboms(
        url, [(label, sbom_format, body) for label, sbom_format, body, _ in STORED_BEFORE]
    )


def _stored_counts(url: str) -> dict[int, tuple[int | None, int | None]]:
    return {
        sbom_id: (row["vulnerability_count"], row["unanalyzed_vulnerability_count"])
        for sbom_id, row in sbom_columns(url).items()
    }


def test_migration_0007_counts_the_vulnerabilities_of_sboms_stored_before_it(database_at_0006):
    ids = _store_as_0006_would(database_at_0006)
    assert "vulnerability_count" not in column_names(database_at_0006, "sboms")

    migrate.upgrade(database_at_0006, "0007")

    counts = _stored_counts(database_at_0006)
    assert {label: counts[ids[label]] for label in ids} == {
        label: expected for label, _, _, expected in STORED_BEFORE
    }


def test_migration_0007_counts_as_attestd_itself_does():
    """The migration's own reading of the bytes agrees with ``extract`` on every file."""
    readable = {"json": CDX_JSON, "xml": CDX_XML, "xml-1.4": CDX_XML, "none": CDX_JSON}
    for label, _, body, expected in STORED_BEFORE:
        if label in readable:
            contents = _extract(readable[label], body)
            assert (len(contents.vulnerabilities), contents.unanalyzed_vulnerability_count) == (
                expected
            ), label


def test_migration_0007_downgrades_to_the_0006_table(database_at_0006):
    ids = _store_as_0006_would(database_at_0006)
    migrate.upgrade(database_at_0006, "0007")

    command.downgrade(migrate.alembic_config(database_at_0006), "0006")

    columns = column_names(database_at_0006, "sboms")
    assert "vulnerability_count" not in columns
    assert "unanalyzed_vulnerability_count" not in columns
    assert set(sbom_columns(database_at_0006)) == set(ids.values())


# --- OpenVEX statements pass the statement checks ---------------------------------------

OPENVEX_TYPES = ("https://openvex.dev/ns/v0.2.0", "https://openvex.dev/ns")
ARTIFACT = hashlib.sha256(b"payments-1.4.0.tar.gz").digest()


def _openvex(predicate_type: str) -> dict[str, object]:
    """An in-toto statement whose predicate is an OpenVEX document about ARTIFACT."""
    product = f"pkg:generic/payments@1.4.0?checksum=sha256:{ARTIFACT.hex()}"
    return statement(
        {"payments-1.4.0.tar.gz": ARTIFACT},
        predicate_type,
        {
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://attestd.test/vex/payments-1.4.0",
            "author": "security@attestd.test",
            "timestamp": "2026-11-01T12:00:00Z",
            "version": 1,
            "statements": [
                {
                    "vulnerability": {"name": "CVE-2024-35195"},
                    "products": [{"@id": product}],
                    "status": "not_affected",
                    "justification": "vulnerable_code_not_in_execute_path",
                }
            ],
        },
    )


def _verify(content: bytes, local_root_file, **options) -> Verified:
    return verify(
        parse_bundle(content, "application/json"),
        trust_roots=[load_trust_root(local_root_file)],
        policy=Identity(identity=DEFAULT_SIGNER.identity, issuer=DEFAULT_SIGNER.issuer),
        policy_digest="sha256:" + "ab" * 32,
        artifact="sha256:" + ARTIFACT.hex(),
        now=datetime.now(UTC),
        **options,
    )


def test_openvex_predicate_types_are_on_the_allow_list():
    assert set(OPENVEX_TYPES) <= PREDICATE_TYPES


@pytest.mark.parametrize("predicate_type", OPENVEX_TYPES)
def test_a_signed_openvex_statement_verifies(predicate_type, local_sigstore, local_root_file):
    built = dsse_bundle(local_sigstore, _openvex(predicate_type))

    verified = _verify(built.content, local_root_file)

    assert verified.predicate_type == predicate_type
    assert [subject.digest for subject in verified.subjects] == ["sha256:" + ARTIFACT.hex()]


def test_an_openvex_version_not_on_the_list_is_refused(local_sigstore, local_root_file):
    built = dsse_bundle(local_sigstore, _openvex("https://openvex.dev/ns/v0.1.0"))

    with pytest.raises(BundleRejected) as raised:
        _verify(built.content, local_root_file)

    assert raised.value.slugs == ("predicate-type",)
