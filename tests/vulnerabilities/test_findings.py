"""Which listed vulnerabilities stay open (app/vulnerabilities/findings.py): the SBOM's own
analysis, the statements that speak of a vulnerability, the latest of them, and purl matching."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.vulnerabilities.findings import decide, purl_matches, statement_status
from app.vulnerabilities.openvex import Product
from tests.builders.bundles import DIGEST
from tests.builders.vex import CVE, ISSUED_AT, URLLIB3, attested, listed, statement

OTHER_DIGEST = "sha256:" + "1" * 64
LATER = ISSUED_AT + timedelta(days=1)


def status_of(vulnerability, *statements) -> str:
    (finding,) = decide([vulnerability], list(statements), DIGEST)
    return finding.status


# --- the SBOM's own analysis (CycloneDX) -------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "justification", "status"),
    [
        (None, None, "open"),
        ("exploitable", None, "open"),
        ("in_triage", None, "open"),
        ("not_affected", None, "open"),
        ("not_affected", "code_not_reachable", "not_affected"),
        ("resolved", None, "fixed"),
        ("resolved_with_pedigree", None, "fixed"),
        ("false_positive", None, "false_positive"),
        ("exploitable", "code_not_reachable", "open"),  # a justification closes nothing alone
    ],
)
def test_without_a_statement_the_sboms_analysis_decides(state, justification, status):
    vulnerability = listed(state=state, justification=justification)

    (finding,) = decide([vulnerability], [], DIGEST)

    assert (finding.status, finding.decided_by, finding.open) == (status, None, status == "open")


# --- what a statement concludes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "status"),
    [
        (statement("not_affected"), "not_affected"),
        (statement("not_affected", justification=None), "open"),  # free text only
        (statement("fixed"), "fixed"),
        (statement("affected"), "open"),
        (statement("under_investigation"), "open"),
    ],
)
def test_a_statement_closes_with_a_justification_label_or_a_fix(item, status):
    assert statement_status(item) == status
    assert status_of(listed(), attested(item)) == status


def test_a_statement_overrides_the_sboms_analysis_either_way():
    closed_by_sbom = listed(state="not_affected", justification="code_not_reachable")
    affected = attested(statement("affected"), attestation_id=4)

    (finding,) = decide([closed_by_sbom], [affected], DIGEST)

    assert (finding.status, finding.decided_by) == ("open", affected)
    assert finding.why_open() == "the latest VEX statement (attestation 4) says affected"
    assert status_of(listed(state="exploitable"), attested(statement())) == "not_affected"


# --- which statements speak of a vulnerability -------------------------------------------------


def test_a_statement_names_the_vulnerability_by_name_or_alias_in_any_case():
    assert status_of(listed(), attested(statement(vulnerability=CVE.lower()))) == "not_affected"
    by_alias = statement(vulnerability="GHSA-34jh-p97f-mpxf", aliases=(CVE,))
    assert status_of(listed(), attested(by_alias)) == "not_affected"
    assert status_of(listed(), attested(statement(vulnerability="CVE-2099-0001"))) == "open"
    assert status_of(listed(""), attested(statement(vulnerability=""))) == "open"


@pytest.mark.parametrize(
    ("products", "speaks"),
    [
        pytest.param(None, True, id="the attestation's subjects"),
        pytest.param((Product(digests=(DIGEST,)),), True, id="the artifact"),
        pytest.param((Product(digests=(OTHER_DIGEST,)),), False, id="another artifact"),
        pytest.param((Product(purls=(URLLIB3,)),), True, id="the affected component"),
        pytest.param((Product(purls=("pkg:pypi/urllib3@2.2.2",)),), False, id="another version"),
        pytest.param((Product(purls=("pkg:pypi/idna@3.10",)),), False, id="another component"),
        pytest.param(
            (Product(digests=(DIGEST,), subcomponents=((URLLIB3,),)),),
            True,
            id="the artifact, through the affected component",
        ),
        pytest.param(
            (Product(digests=(DIGEST,), subcomponents=(("pkg:pypi/idna@3.10",),)),),
            False,
            id="the artifact, through another component",
        ),
        pytest.param(
            (Product(digests=(DIGEST,), subcomponents=((),)),),
            False,
            id="the artifact, through a component named without a purl",
        ),
        pytest.param(
            (Product(digests=(OTHER_DIGEST,), subcomponents=((URLLIB3,),)),),
            False,
            id="another artifact with the same component",
        ),
        pytest.param(
            (Product(digests=(OTHER_DIGEST,)), Product(purls=(URLLIB3,))),
            True,
            id="any of its products",
        ),
        pytest.param((), False, id="no product attestd can match"),
    ],
)
def test_a_statement_speaks_of_the_artifact_or_the_affected_component(products, speaks):
    item = attested(statement(products=products))

    assert status_of(listed(), item) == ("not_affected" if speaks else "open")


def test_a_vulnerability_affecting_no_named_component_is_matched_by_the_artifact_alone():
    unplaced = listed(affects=())

    assert status_of(unplaced, attested(statement(products=(Product(digests=(DIGEST,)),)))) == (
        "not_affected"
    )
    assert status_of(unplaced, attested(statement(products=(Product(purls=(URLLIB3,)),)))) == (
        "open"
    )


# --- the latest statement decides --------------------------------------------------------------


def test_the_latest_statement_decides_whatever_the_order_submitted():
    older = attested(statement("not_affected"), attestation_id=9)
    newer = attested(statement("affected", timestamp=LATER), attestation_id=5)

    assert status_of(listed(), older, newer) == "open"
    assert status_of(listed(), newer, older) == "open"
    assert status_of(listed(), older) == "not_affected"


def test_a_tie_goes_to_the_later_attestation_then_the_later_statement():
    in_five = attested(statement("affected"), attestation_id=5)
    in_nine = attested(statement("not_affected"), attestation_id=9)
    assert status_of(listed(), in_nine, in_five) == "not_affected"

    first = attested(statement("not_affected"), attestation_id=9, index=0)
    second = attested(statement("under_investigation"), attestation_id=9, index=1)
    assert status_of(listed(), second, first) == "open"


def test_a_statement_that_does_not_speak_of_it_never_decides_even_if_later():
    speaking = attested(statement("not_affected"))
    elsewhere = attested(
        statement("affected", timestamp=LATER, products=(Product(digests=(OTHER_DIGEST,)),))
    )

    assert status_of(listed(), speaking, elsewhere) == "not_affected"


def test_each_vulnerability_is_decided_on_its_own():
    first, second = listed(CVE), listed("CVE-2024-0002", state="resolved")

    findings = decide([first, second], [attested(statement("affected"))], DIGEST)

    assert [finding.status for finding in findings] == ["open", "fixed"]


def test_an_open_finding_says_what_leaves_it_open():
    (bare,) = decide([listed(state="not_affected")], [], DIGEST)
    (unanalysed,) = decide([listed(affects=())], [], DIGEST)
    (free_text,) = decide(
        [listed()], [attested(statement(justification=None), attestation_id=3)], DIGEST
    )

    assert bare.describe(DIGEST) == f"{CVE} (critical) in {URLLIB3}"
    assert bare.why_open() == (
        "no closing analysis or VEX statement (the SBOM says not_affected without a justification)"
    )
    assert unanalysed.describe(DIGEST) == f"{CVE} (critical) in {DIGEST}"
    assert unanalysed.why_open() == "no closing analysis or VEX statement"
    assert free_text.why_open() == (
        "the latest VEX statement (attestation 3) says not_affected without a justification label"
    )


# --- purls -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "matches"),
    [
        ("pkg:pypi/urllib3@2.2.3", "pkg:pypi/urllib3@2.2.3", True),
        ("pkg:pypi/urllib3@2.2.3", "pkg:pypi/urllib3@2.2.2", False),
        ("pkg:pypi/urllib3", "pkg:pypi/urllib3@2.2.3", False),  # every version: no statement
        ("pkg:pypi/urllib3", "pkg:pypi/urllib3", False),
        ("pkg:pypi/urllib3@2.2.3", "pkg:npm/urllib3@2.2.3", False),
        ("pkg:PyPI/URLLib3@2.2.3", "pkg:pypi/urllib3@2.2.3", True),  # compared canonical
        ("pkg:apk/wolfi/git@2.39.0-r1", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", True),
        (
            "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
            "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
            False,
        ),
        (
            "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
            "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64&distro=wolfi-20230201",
            True,
        ),
        ("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", "pkg:apk/wolfi/git@2.39.0-r1", False),
        ("pkg:golang/x/net@v0.1.0#http2", "pkg:golang/x/net@v0.1.0#http2", True),
        ("pkg:golang/x/net@v0.1.0#http2", "pkg:golang/x/net@v0.1.0#html", False),
        ("pkg:golang/x/net@v0.1.0", "pkg:golang/x/net@v0.1.0#http2", True),
        ("pkg:pypi/urllib3@2.2.3", "payments-urllib3", False),  # a bom-ref, not a purl
        ("not a purl", "not a purl", False),
    ],
)
def test_a_statement_purl_names_the_component_it_matches(ours, theirs, matches):
    assert purl_matches(ours, theirs) is matches
