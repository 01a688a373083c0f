"""Vulnerabilities and VEX over HTTP: what closes a vulnerability, what the gate denies.

``payments`` reaches level 4 (tests/scoring/release_pipeline.py); then its release
gets an SBOM listing CVE-2024-37891 in urllib3 (pkg:pypi/urllib3@2.2.3), rated
critical, and the tests submit analyses and signed OpenVEX attestations as a pipeline
would. Each attack is shown refused next to the legitimate submission that still passes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.vulnerabilities.models import VexStatement
from tests.attestations.submissions import submit
from tests.builders.bundles import DIGEST, DIGEST_HEX
from tests.builders.identities import FORK, GENERATOR, GENERATOR_IDENTITY
from tests.builders.vex import CVE, URLLIB3, openvex, signed_vex, vex_statement
from tests.problems import assert_problem
from tests.scoring.reads import check_of
from tests.scoring.release_pipeline import SBOMS, Pipeline, up_to

OPEN_CRITICAL = (
    f"open-vulnerability: {CVE} (critical) in {URLLIB3}: no closing analysis or VEX statement"
)


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def vulnerable_sbom(analysis: dict[str, Any] | None = None, severity: str = "critical") -> bytes:
    """tests/scoring/sboms/vulnerable.cdx.json, its one vulnerability rated and analysed."""
    document = json.loads((SBOMS / "vulnerable.cdx.json").read_bytes())
    (vulnerability,) = document["vulnerabilities"]
    vulnerability["ratings"] = [{"source": {"name": "NVD"}, "severity": severity}]
    if analysis is not None:
        vulnerability["analysis"] = analysis
    return json.dumps(document).encode()


@pytest.fixture
def vulnerable(payments: Pipeline) -> Pipeline:
    """``payments`` at level 4, then an SBOM of its release listing an open critical CVE."""
    assert up_to(payments, 4)["level"] == 4
    payments.sbom_document(vulnerable_sbom())
    return payments


def vex_present(payments: Pipeline) -> dict[str, Any]:
    return check_of(payments.maturity(), "vex-present")


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- the SBOM's own analysis ---------------------------------------------------------------------

NOT_CLOSING = [
    pytest.param({"state": "exploitable", "response": ["update"]}, id="exploitable"),
    pytest.param({"state": "in_triage"}, id="in_triage"),
    pytest.param({"state": "not_affected"}, id="not_affected-without-justification"),
]
CLOSING = [
    pytest.param({"state": "not_affected", "justification": "code_not_reachable"}, id="justified"),
    pytest.param({"state": "resolved"}, id="resolved"),
    pytest.param({"state": "false_positive"}, id="false_positive"),
]


@pytest.mark.parametrize("analysis", NOT_CLOSING)
def test_an_analysis_that_closes_nothing_leaves_the_vulnerability_open(payments, analysis):
    """Before: any analysis state counted as VEX, so vex-present passed, the release stayed
    at level 4 and production allowed it with an exploitable critical vulnerability."""
    up_to(payments, 4)
    sbom = payments.sbom_document(vulnerable_sbom(analysis))
    assert sbom["vulnerabilities"] == {
        "count": 1,
        "unanalyzed": 0,
        "open": 1,
        "open_by_severity": {"critical": 1},
    }

    check = vex_present(payments)
    assert check["status"] == "fail"
    assert (
        f"1 of 1 listed vulnerabilities are open: {CVE} (critical) in {URLLIB3}" in check["detail"]
    )
    verdict = payments.verdict("production")
    assert verdict["decision"] == "deny"
    assert verdict["level"] == 3
    assert any(
        reason.startswith(f"open-vulnerability: {CVE} (critical)") for reason in verdict["reasons"]
    )


@pytest.mark.parametrize("analysis", CLOSING)
def test_an_analysis_that_closes_the_vulnerability_passes(payments, analysis):
    up_to(payments, 4)
    sbom = payments.sbom_document(vulnerable_sbom(analysis))
    assert (sbom["vulnerabilities"]["open"], sbom["vulnerabilities"]["open_by_severity"]) == (0, {})

    check = vex_present(payments)
    assert check["status"] == "pass"
    assert check["evidence"] == [f"sbom:{sbom['id']}"]
    verdict = payments.verdict("production")
    assert (verdict["decision"], verdict["level"], verdict["reasons"]) == ("allow", 4, [])


# --- OpenVEX statements --------------------------------------------------------------------------

OTHER_DIGEST = "sha256:" + "1" * 64
COUNTING_FOR_NOTHING = [
    pytest.param(openvex(vex_statement(vulnerability="CVE-2099-0001")), id="another-vulnerability"),
    pytest.param(openvex(vex_statement(products=[{"@id": OTHER_DIGEST}])), id="another-artifact"),
    pytest.param(
        openvex(vex_statement(products=[{"@id": "pkg:pypi/urllib3@2.2.2"}])),
        id="another-version-of-the-component",
    ),
    pytest.param(
        openvex(
            vex_statement(
                products=[
                    {
                        "@id": f"sha256:{DIGEST_HEX}",
                        "subcomponents": [{"@id": "pkg:pypi/idna@3.10"}],
                    }
                ]
            )
        ),
        id="another-subcomponent",
    ),
    pytest.param(openvex(vex_statement("under_investigation")), id="under_investigation"),
    pytest.param(openvex(vex_statement("affected")), id="affected"),
    pytest.param(
        openvex(
            vex_statement(justification=None, impact_statement="We think the code is not reached.")
        ),
        id="not_affected-with-free-text-only",
    ),
]


@pytest.mark.parametrize("document", COUNTING_FOR_NOTHING)
def test_an_openvex_attestation_closes_only_what_it_says(vulnerable, run_in_session, document):
    """Before: any verified OpenVEX attestation naming the artifact passed vex-present
    unread, whatever vulnerability, product or status it spoke of."""
    attestation = accepted(vulnerable.vex(document))

    check = vex_present(vulnerable)
    assert check["status"] == "fail", check
    verdict = vulnerable.verdict("production")
    assert verdict["decision"] == "deny"
    assert verdict["level"] == 3
    (reason,) = [r for r in verdict["reasons"] if r.startswith("open-vulnerability:")]
    assert reason.startswith(f"open-vulnerability: {CVE} (critical) in {URLLIB3}: ")
    # The statements were read and kept all the same.
    stored = run_in_session(
        lambda session: session.scalar(
            select(func.count()).where(VexStatement.attestation_id == attestation["id"])
        )
    )
    assert stored == 1


CLOSING_STATEMENTS = [
    pytest.param(openvex(vex_statement()), id="the-artifact-by-digest"),
    pytest.param(openvex(vex_statement(products=[])), id="the-subjects"),
    pytest.param(openvex(vex_statement(products=[{"@id": URLLIB3}])), id="the-component"),
    pytest.param(
        openvex(vex_statement(products=[{"identifiers": {"purl": "pkg:pypi/urllib3@2.2.3"}}])),
        id="the-component-by-identifier",
    ),
    pytest.param(
        openvex(
            vex_statement(
                products=[{"hashes": {"sha-256": DIGEST_HEX}, "subcomponents": [{"@id": URLLIB3}]}]
            )
        ),
        id="the-artifact-and-subcomponent",
    ),
    pytest.param(openvex(vex_statement("fixed")), id="fixed"),
    pytest.param(
        openvex(
            vex_statement(vulnerability="GHSA-34jh-p97f-mpxf")
            | {"vulnerability": {"name": "GHSA-34jh-p97f-mpxf", "aliases": [CVE]}}
        ),
        id="by-alias",
    ),
]


@pytest.mark.parametrize("document", CLOSING_STATEMENTS)
def test_a_justified_statement_closes_the_vulnerability_and_the_gate_allows(vulnerable, document):
    attestation = accepted(vulnerable.vex(document))

    check = vex_present(vulnerable)
    assert check["status"] == "pass", check
    assert f"attestation:{attestation['id']}" in check["evidence"]
    verdict = vulnerable.verdict("production")
    assert (verdict["decision"], verdict["level"], verdict["reasons"]) == ("allow", 4, [])


def test_a_newer_affected_statement_reopens_what_an_older_not_affected_closed(vulnerable):
    """Before: the first OpenVEX attestation counted for good; a later one saying the
    artifact is affected changed nothing."""
    accepted(vulnerable.vex(openvex(vex_statement(), timestamp="2026-11-20T12:00:00Z")))
    assert vulnerable.verdict("production")["decision"] == "allow"

    newer = accepted(
        vulnerable.vex(openvex(vex_statement("affected"), timestamp="2026-11-21T09:00:00Z"))
    )

    assert vex_present(vulnerable)["status"] == "fail"
    verdict = vulnerable.verdict("production")
    assert verdict["decision"] == "deny"
    assert (
        f"open-vulnerability: {CVE} (critical) in {URLLIB3}: the latest VEX statement "
        f"(attestation {newer['id']}) says affected" in verdict["reasons"]
    )


def test_an_older_statement_submitted_later_does_not_override_a_newer_one(vulnerable):
    accepted(vulnerable.vex(openvex(vex_statement("affected"), timestamp="2026-11-21T09:00:00Z")))
    accepted(vulnerable.vex(openvex(vex_statement(), timestamp="2026-11-20T12:00:00Z")))

    assert vex_present(vulnerable)["status"] == "fail"
    assert vulnerable.verdict("production")["decision"] == "deny"


def test_a_statement_dated_in_the_future_is_refused(vulnerable, run_in_session):
    """The latest statement decides: without this rule, a not_affected dated 2099 would
    outrank every statement made until then, an affected one found next week included."""
    response = vulnerable.vex(openvex(vex_statement(), timestamp="2099-01-01T00:00:00Z"))

    body = assert_problem(response, 422, "vex-malformed")
    assert body["reasons"] == [
        "timestamp: 2099-01-01T00:00:00Z is later than the attestation was received"
    ]
    assert run_in_session(lambda session: session.scalar(select(func.count(VexStatement.id)))) == 0
    assert vulnerable.verdict("production")["decision"] == "deny"


def test_a_statement_overrides_the_sboms_own_analysis(payments):
    up_to(payments, 4)
    payments.sbom_document(
        vulnerable_sbom({"state": "not_affected", "justification": "code_not_reachable"})
    )
    assert vex_present(payments)["status"] == "pass"

    accepted(payments.vex(openvex(vex_statement("affected"))))

    assert vex_present(payments)["status"] == "fail"
    assert payments.verdict("production")["decision"] == "deny"


def test_a_vex_signed_by_an_identity_the_policy_does_not_allow_counts_for_nothing(
    vulnerable, run_in_session
):
    """This held before too (verification refuses the signer, and only a receipt verified
    under the policy in force counts); it shows that statements follow their receipt."""
    refused = vulnerable.vex(openvex(vex_statement()), signer=FORK)
    body = assert_problem(refused, 422, "bundle-rejected")
    assert any("identity" in reason for reason in body["reasons"]), body["reasons"]
    assert run_in_session(lambda session: session.scalar(select(func.count(VexStatement.id)))) == 0
    assert vulnerable.verdict("production")["decision"] == "deny"

    # Signed by an identity the policy allows now (the SLSA generator), then no longer.
    accepted(vulnerable.vex(openvex(vex_statement()), signer=GENERATOR))
    assert vulnerable.verdict("production")["decision"] == "allow"
    current = vulnerable.client.get("/v1/services/payments/policy", headers=vulnerable.admin).json()
    vulnerable.policy(
        identities=[
            identity
            for identity in current["identities"]
            if identity.get("subject_regex") != GENERATOR_IDENTITY["subject_regex"]
        ]
    )

    assert vex_present(vulnerable)["status"] == "fail"
    verdict = vulnerable.verdict("production")
    assert verdict["decision"] == "deny"
    assert OPEN_CRITICAL in verdict["reasons"]


def test_a_malformed_openvex_document_is_refused_and_nothing_is_kept(vulnerable, run_in_session):
    before = vulnerable.client.get(f"/v1/artifacts/{DIGEST}", headers=vulnerable.auditor).json()
    document = openvex(
        vex_statement(justification=None),  # not_affected without why
        vex_statement("affected", action_statement=None) | {"timestamp": "yesterday"},
        vex_statement("exploitable"),
    )

    response = vulnerable.vex(document)

    body = assert_problem(response, 422, "vex-malformed")
    assert body["reasons"] == [
        "statements[0]: not_affected needs a justification or an impact_statement",
        "statements[1].action_statement: must be a non-empty string of at most 2000 characters",
        "statements[1].timestamp: must be an RFC 3339 date-time with its offset",
        "statements[2].status: must be one of not_affected, affected, fixed, "
        "under_investigation, not 'exploitable'",
    ]
    after = vulnerable.client.get(f"/v1/artifacts/{DIGEST}", headers=vulnerable.auditor).json()
    assert after["attestations"] == before["attestations"]
    assert run_in_session(lambda session: session.scalar(select(func.count(VexStatement.id)))) == 0
    # The well-formed document with the same statement is accepted.
    accepted(vulnerable.vex(openvex(vex_statement())))


# --- the gate ------------------------------------------------------------------------------------


def test_the_gate_denies_production_an_open_critical_vulnerability_that_a_waiver_hides(vulnerable):
    """Before: a waiver of vex-present lifted the release to level 4 and production allowed
    it with an open critical vulnerability; the gate had no rule of its own."""
    vulnerable.waive("vex-present")

    production = vulnerable.verdict("production")
    staging = vulnerable.verdict("staging")

    assert (production["decision"], production["level"]) == ("deny", 4)
    assert production["reasons"] == [OPEN_CRITICAL]
    assert (staging["decision"], staging["reasons"]) == ("allow", [])


def test_deny_open_severity_sets_the_severity_each_environment_refuses(payments):
    up_to(payments, 4)
    payments.sbom_document(vulnerable_sbom(severity="high"))
    payments.waive("vex-present")
    # High is below the default critical: production allows on the waiver.
    assert payments.verdict("production")["decision"] == "allow"

    payments.policy(deny_open_severity={"production": "high", "staging": "unknown"})
    production, staging = payments.verdict("production"), payments.verdict("staging")
    high = f"open-vulnerability: {CVE} (high) in {URLLIB3}: no closing analysis or VEX statement"
    assert (production["decision"], production["reasons"]) == ("deny", [high])
    assert (staging["decision"], staging["reasons"]) == ("deny", [high])

    payments.policy(deny_open_severity={})
    assert payments.verdict("production")["decision"] == "allow"
    payments.policy(deny_open_severity=None)
    assert payments.client.get("/v1/services/payments/policy", headers=payments.auditor).json()[
        "deny_open_severity"
    ] == {"production": "critical"}


BAD_SEVERITY_MAPS = [
    pytest.param({"moon": "critical"}, "deny_open_severity names moon", id="unnamed-environment"),
    pytest.param({"production": "severe"}, "Input should be 'critical'", id="unknown-severity"),
    pytest.param({"Production": "high"}, "should match pattern", id="malformed-environment"),
]


@pytest.mark.parametrize(("value", "said"), BAD_SEVERITY_MAPS)
def test_deny_open_severity_takes_known_severities_of_named_environments(payments, value, said):
    before = payments.client.get("/v1/services/payments/policy", headers=payments.auditor).json()

    response = payments.client.put(
        "/v1/services/payments/policy", json={"deny_open_severity": value}, headers=payments.admin
    )

    body = assert_problem(response, 422, "invalid-request")
    assert said in json.dumps(body)
    after = payments.client.get("/v1/services/payments/policy", headers=payments.auditor).json()
    assert after["version"] == before["version"]


def test_environments_cannot_drop_one_that_deny_open_severity_names(payments):
    payments.policy(deny_open_severity={"staging": "high"})

    response = payments.client.put(
        "/v1/services/payments/policy",
        json={"environments": {"production": 4}},
        headers=payments.admin,
    )

    body = assert_problem(response, 422, "invalid-request")
    assert body["reasons"] == [
        "Value error, deny_open_severity names staging, which the policy's environments "
        "(production) do not list"
    ]
    both = payments.policy(environments={"production": 4}, deny_open_severity={})
    assert (both["environments"], both["deny_open_severity"]) == ({"production": 4}, {})


# --- which SBOM is judged ------------------------------------------------------------------------


def test_the_newest_sbom_of_the_artifact_is_judged(payments):
    """Before, every SBOM of the artifact was read: an old SBOM's unanalysed vulnerability
    failed the check for good, and a newer SBOM saying in_triage passed it. Now the newest
    SBOM is judged, as the other SBOM checks judge it."""
    up_to(payments, 4)
    payments.sbom_document(vulnerable_sbom())
    assert vex_present(payments)["status"] == "fail"

    fixed = payments.sbom_document(vulnerable_sbom({"state": "resolved"}))
    assert vex_present(payments)["evidence"] == [f"sbom:{fixed['id']}"]
    assert payments.verdict("production")["decision"] == "allow"

    payments.sbom_document(vulnerable_sbom({"state": "in_triage"}))
    assert vex_present(payments)["status"] == "fail"


def test_a_vex_about_another_artifact_does_not_close_this_ones(vulnerable):
    """Its products are its subjects (no products given), and its subject is another digest."""
    bundle = signed_vex(
        vulnerable.sigstore, openvex(vex_statement(products=[])), digest_hex="1" * 64
    )
    accepted(submit(vulnerable.client, vulnerable.pipeline, bundle))

    verdict = vulnerable.verdict("production")  # about DIGEST
    assert verdict["decision"] == "deny"
    assert OPEN_CRITICAL in verdict["reasons"]
