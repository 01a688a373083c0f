"""Reading OpenVEX documents (app/vulnerabilities/openvex.py): what is kept of each statement,
and every document the spec does not allow refused with its reasons."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.vulnerabilities.openvex import (
    CLOCK_SKEW,
    MAX_STATEMENTS,
    Product,
    Statement,
    VexMalformed,
    products_from_json,
    read_openvex,
    statement_row,
)
from tests.builders.bundles import DIGEST, DIGEST_HEX
from tests.builders.vex import CVE, ISSUED_AT, JUSTIFICATION, URLLIB3, openvex, vex_statement

SHA512_HEX = "5e" * 64
RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)  # when the attestation is accepted


def refused(document: Any) -> list[str]:
    with pytest.raises(VexMalformed) as raised:
        read_openvex(document, received=RECEIVED)
    assert raised.value.status == 422
    assert raised.value.slug == "vex-malformed"
    return raised.value.reasons


def test_a_statement_keeps_its_vulnerability_products_status_and_timestamp():
    document = openvex(
        vex_statement(
            products=[
                {
                    "@id": URLLIB3,
                    "identifiers": {"purl": "pkg:PyPI/urllib3@2.2.3", "cpe23": "cpe:2.3:a:x"},
                    "hashes": {"sha-256": DIGEST_HEX.upper(), "sha-512": SHA512_HEX, "md5": "x"},
                    "subcomponents": [{"@id": "pkg:pypi/idna@3.10"}, {"@id": "urn:other"}],
                },
                {"@id": DIGEST},
                {"@id": "https://acme.example/payments"},
            ],
        )
        | {
            "vulnerability": {
                "@id": "https://nvd.nist.gov/vuln/detail/CVE-2024-37891",
                "name": CVE,
                "aliases": ["GHSA-34jh-p97f-mpxf", CVE],
            }
        }
    )

    (statement,) = read_openvex(document, received=RECEIVED)

    assert statement == Statement(
        vulnerability=CVE,
        aliases=("https://nvd.nist.gov/vuln/detail/CVE-2024-37891", "GHSA-34jh-p97f-mpxf", CVE),
        status="not_affected",
        justification=JUSTIFICATION,
        timestamp=ISSUED_AT,
        products=(
            Product(
                digests=(DIGEST, f"sha512:{SHA512_HEX}"),
                purls=(URLLIB3,),  # the identifier, canonical, is the same purl
                subcomponents=(("pkg:pypi/idna@3.10",), ()),
            ),
            Product(digests=(DIGEST,)),
            Product(),  # an IRI that is neither purl nor digest names nothing attestd matches
        ),
    )


def test_inheritance_no_products_speaks_of_the_subjects_and_the_document_dates_statements():
    document = openvex(
        vex_statement("fixed", products=[]),
        vex_statement("under_investigation", timestamp="2026-11-21T10:30:00.123456789+02:00")
        | {"products": None},
        timestamp="2026-11-20T12:00:00Z",
    )

    first, second = read_openvex(document, received=RECEIVED)

    assert (first.products, first.timestamp) == (None, ISSUED_AT)
    assert (second.products, second.timestamp) == (
        None,
        datetime(2026, 11, 21, 8, 30, 0, 123456, tzinfo=UTC),
    )


def test_a_vulnerability_given_as_a_string_is_its_name():
    """OpenVEX before 0.0.2 wrote the vulnerability as a plain string."""
    (statement,) = read_openvex(
        openvex(vex_statement() | {"vulnerability": f" {CVE} "}), received=RECEIVED
    )

    assert (statement.vulnerability, statement.aliases) == (CVE, ())


def test_statuses_keep_only_a_not_affected_justification():
    document = openvex(
        vex_statement("affected", justification=JUSTIFICATION),
        vex_statement("not_affected", justification=None, impact_statement="Not reached."),
    )

    affected, free_text = read_openvex(document, received=RECEIVED)

    assert (affected.status, affected.justification) == ("affected", None)
    assert (free_text.status, free_text.justification) == ("not_affected", None)


def test_a_statement_is_stored_and_read_back_unchanged():
    (statement,) = read_openvex(
        openvex(vex_statement(products=[{"@id": DIGEST, "subcomponents": [{"@id": URLLIB3}]}])),
        received=RECEIVED,
    )

    row = statement_row(7, 3, statement)

    assert row["attestation_id"] == 7
    assert row["position"] == 3
    assert products_from_json(row["products"]) == statement.products
    assert products_from_json(None) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(
            {"status": "exploitable"},
            "statements[0].status: must be one of not_affected, affected, fixed, "
            "under_investigation, not 'exploitable'",
            id="unknown status",
        ),
        pytest.param(
            {"justification": None},
            "statements[0]: not_affected needs a justification or an impact_statement",
            id="not_affected without why",
        ),
        pytest.param(
            {"justification": "requires_configuration"},
            "statements[0].justification: 'requires_configuration' is not a VEX justification",
            id="a CycloneDX justification",
        ),
        pytest.param(
            {"justification": None, "impact_statement": "  "},
            "statements[0].impact_statement: must be a non-empty string",
            id="blank impact statement",
        ),
        pytest.param(
            {"status": "affected", "justification": None},
            "statements[0].action_statement: must be a non-empty string",
            id="affected without action",
        ),
        pytest.param(
            {"vulnerability": {"aliases": [CVE]}},
            "statements[0].vulnerability.name: must be a non-empty string",
            id="vulnerability without name",
        ),
        pytest.param(
            {"vulnerability": {"name": CVE, "aliases": CVE}},
            "statements[0].vulnerability.aliases: must be an array",
            id="aliases not a list",
        ),
        pytest.param(
            {"vulnerability": ["CVE"]},
            "statements[0].vulnerability: must be an object",
            id="vulnerability a list",
        ),
        pytest.param(
            {"vulnerability": {"name": "x" * 2001}},
            "statements[0].vulnerability.name: must be a non-empty string of at most 2000",
            id="name too long",
        ),
        pytest.param(
            {"timestamp": "2026-11-20"},
            "statements[0].timestamp: must be an RFC 3339 date-time with its offset",
            id="date without time",
        ),
        pytest.param(
            {"timestamp": "2026-11-20T12:00:00"},
            "statements[0].timestamp: must be an RFC 3339",
            id="no offset",
        ),
        pytest.param(
            {"products": {"@id": DIGEST}}, "statements[0].products: must be an array", id="object"
        ),
        pytest.param(
            {"products": [DIGEST]}, "statements[0].products[0]: must be an object", id="string"
        ),
        pytest.param(
            {"products": [{"@id": "pkg:/nothing"}]},
            "statements[0].products[0].@id: 'pkg:/nothing' is not a valid purl",
            id="bad purl",
        ),
        pytest.param(
            {"products": [{"hashes": {"sha-256": "abc"}}]},
            "statements[0].products[0].hashes.sha-256: is not a hex digest of its length",
            id="short hash",
        ),
        pytest.param(
            {"products": [{"@id": DIGEST, "subcomponents": [{"identifiers": []}]}]},
            "statements[0].products[0].subcomponents[0].identifiers: must be an object",
            id="identifiers a list",
        ),
        pytest.param(
            {"products": [{"@id": 7}]},
            "statements[0].products[0].@id: must be a non-empty string",
            id="id a number",
        ),
    ],
)
def test_a_statement_the_spec_does_not_allow_is_refused(change, reason):
    document = openvex(vex_statement() | change)

    reasons = refused(document)

    assert len(reasons) == 1, reasons
    assert reasons[0].startswith(reason), reasons


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param(["not", "a", "document"], "predicate: must be an object", id="a list"),
        pytest.param(None, "predicate: must be an object", id="no predicate"),
        pytest.param(
            openvex(vex_statement()) | {"@context": "https://example.com/vex"},
            "@context: must be an OpenVEX context",
            id="foreign context",
        ),
        pytest.param(
            {k: v for k, v in openvex(vex_statement()).items() if k != "timestamp"},
            "timestamp: must be an RFC 3339 date-time",
            id="no document timestamp",
        ),
        pytest.param(openvex(), "statements: lists no statement", id="no statement"),
        pytest.param(
            openvex(vex_statement()) | {"statements": {"0": vex_statement()}},
            "statements: must be an array",
            id="statements an object",
        ),
        pytest.param(openvex("CVE-1"), "statements[0]: must be an object", id="a string"),
    ],
)
def test_a_document_the_spec_does_not_allow_is_refused(document, reason):
    (only,) = refused(document)
    assert only.startswith(reason)


def test_a_time_after_the_attestation_was_received_is_refused():
    """The latest statement decides: one dated in the future would outrank every statement
    made until then, an affected one found next week included."""
    ahead = (RECEIVED + CLOCK_SKEW + timedelta(seconds=1)).isoformat()
    within = (RECEIVED + CLOCK_SKEW).isoformat()

    assert refused(openvex(vex_statement(), timestamp=ahead)) == [
        f"timestamp: {ahead} is later than the attestation was received"
    ]
    assert refused(openvex(vex_statement(timestamp="2099-01-01T00:00:00Z"))) == [
        "statements[0].timestamp: 2099-01-01T00:00:00Z is later than the attestation was received"
    ]
    # An author's clock a little fast is no problem.
    (statement,) = read_openvex(openvex(vex_statement(), timestamp=within), received=RECEIVED)
    assert statement.timestamp == RECEIVED + CLOCK_SKEW


def test_every_problem_is_named_up_to_twenty():
    document = openvex(*[vex_statement("exploitable") for _ in range(25)])

    reasons = refused(document)

    assert len(reasons) == 21
    assert reasons[0].startswith("statements[0].status:")
    assert reasons[-1] == "… and 5 more"


def test_more_statements_than_attestd_reads_are_refused():
    document = openvex(vex_statement())
    document["statements"] = [copy.deepcopy(document["statements"][0])] * (MAX_STATEMENTS + 1)

    assert refused(document) == [
        f"statements: lists {MAX_STATEMENTS + 1} items; attestd reads at most {MAX_STATEMENTS}"
    ]
