"""SBOM profiles in the maturity checks, over HTTP: the attacks they stop and what still passes.

``payments`` is the service of the maturity scenarios (tests/scoring/release_pipeline.py):
its release pipeline sends SBOMs, a signature and provenance from the local test Sigstore.
Each attack below is a test that would have passed before the profiles, next to the
legitimate release that still reaches its level.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.config import Settings
from tests.builders.bundles import DIGEST, DIGEST_HEX
from tests.builders.identities import GENERATOR, RELEASE, SELF_HOSTED
from tests.builders.services import SERVICE
from tests.problems import assert_problem
from tests.scoring.reads import check_of
from tests.scoring.release_pipeline import SBOMS, Pipeline, up_to


@pytest.fixture
def settings(settings: Settings, local_root_file) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def good() -> dict[str, Any]:
    """good.cdx.json: meets ntia-2021 and cisa-2025, quality 9.9."""
    document: dict[str, Any] = json.loads((SBOMS / "good.cdx.json").read_text())
    return document


def send(payments: Pipeline, document: dict[str, Any] | bytes) -> dict[str, Any]:
    """Upload ``document`` as payments' SBOM of the release artifact; the answer."""
    response = payments.client.post(
        "/v1/sboms",
        params={"service": SERVICE, "artifact": DIGEST},
        content=document if isinstance(document, bytes) else json.dumps(document).encode(),
        headers={**payments.pipeline, "Content-Type": "application/vnd.cyclonedx+json"},
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def signed_and_built(payments: Pipeline, *, level_3_builder: bool = True) -> None:
    payments.signature()
    payments.build("good-self-hosted-runner.json", SELF_HOSTED)
    payments.build("good-attest-build-provenance-runner.json", RELEASE)
    if level_3_builder:
        payments.build("good-slsa-generator-v1.json", GENERATOR)


def profile(record: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [item for item in record["profiles"] if item["profile"] == name]
    return found


def failing(maturity: dict[str, Any]) -> set[str]:
    return {check["id"] for check in maturity["checks"] if check["status"] == "fail"}


def test_an_sbom_missing_whole_elements_no_longer_passes_level_2_on_its_average(payments):
    """No hash, licence, supplier or dependency anywhere, yet a quality of 6.4, above the
    default 6.0: before the profiles, sbom-quality passed and this evidence took the service
    to level 3. Now the level 2 profile (ntia-2021) names what is missing: level 1."""
    hollow = good()
    for component in (hollow["metadata"]["component"], *hollow["components"]):
        for element in ("hashes", "licenses", "supplier"):
            component.pop(element, None)
    del hollow["dependencies"]

    answer = send(payments, hollow)
    signed_and_built(payments, level_3_builder=False)

    assert answer["quality"]["score"] == 6.4
    assert profile(answer, "ntia-2021")["passed"] is False
    assert profile(answer, "ntia-2021")["reasons"] == [
        "software-producer: the primary component lacks a supplier (software producer); 0 of "
        "20 components (0 %) carry a supplier (software producer); ntia-2021 needs 95 %",
        "dependency-relationships: the primary component lacks a dependency relationship; 0 "
        "of 20 components (0 %) carry a dependency relationship; ntia-2021 needs 95 %",
    ]
    maturity = payments.maturity()
    assert maturity["level"] == 1
    quality = check_of(maturity, "sbom-quality")
    assert quality["status"] == "fail"
    assert "does not meet ntia-2021: software-producer:" in quality["detail"]
    assert quality["evidence"] == [f"sbom:{answer['id']}"]

    # The legitimate release: an SBOM with every element reaches level 3 with the same evidence.
    fixed = send(payments, good())
    assert [p["passed"] for p in fixed["profiles"]] == [True, True, False]
    assert payments.maturity()["level"] == 3


def test_a_one_component_sbom_is_not_level_4_quality(payments):
    """Its one component is complete, so its quality is 10/10 and before the profiles the
    release reached level 4. Its primary component (the artifact) has no hash and no licence:
    it still meets ntia-2021 at level 2, but the new level 4 check judges cisa-2025."""
    one = good()
    one["metadata"]["component"].pop("hashes")
    one["metadata"]["component"].pop("licenses")
    one["components"] = one["components"][:1]
    one["dependencies"] = [
        {"ref": "payments", "dependsOn": ["pkg-a"]},
        {"ref": "pkg-a", "dependsOn": []},
    ]

    answer = send(payments, one)
    signed_and_built(payments)

    assert answer["quality"]["score"] == 10.0
    assert (profile(answer, "ntia-2021")["passed"], profile(answer, "cisa-2025")["passed"]) == (
        True,
        False,
    )
    maturity = payments.maturity()
    assert maturity["level"] == 3
    assert failing(maturity) == {"sbom-minimum-elements", "reproducible"}
    elements = check_of(maturity, "sbom-minimum-elements")
    assert elements["level"] == 4
    assert elements["detail"] == (
        f"release payments-1.4.0.tar.gz@v1.4.0: the newest SBOM of {DIGEST} (sbom "
        f"{answer['id']}) does not meet cisa-2025: component-hash: the primary component lacks "
        "a SHA-256 or stronger hash; license: the primary component lacks a license"
    )
    assert elements["remediation"]

    # The legitimate release: the complete SBOM of the same artifact reaches level 4.
    send(payments, good())
    after = payments.maturity()
    assert after["level"] == 4
    assert check_of(after, "sbom-minimum-elements")["status"] == "pass"


def test_a_poor_sbom_sent_after_a_good_one_is_the_one_judged(payments):
    """Before, each artifact's best SBOM was judged: the good SBOM sent once kept the release
    at level 2 whatever poorer SBOM followed. Now the newest accepted SBOM is judged."""
    assert up_to(payments, 2)["level"] == 2

    poor = payments.sbom("poor-next.cdx.json")  # names only: quality 0.9, no profile met
    after_poor = payments.maturity()
    assert after_poor["level"] == 1
    quality = check_of(after_poor, "sbom-quality")
    assert quality["evidence"] == [f"sbom:{poor['id']}"]
    assert (
        f"the newest SBOM of {DIGEST} scores 0.9/10 (the policy asks for 6.0)"
        in (quality["detail"])
    )

    # Sending the good bytes again adds no evidence (200, the stored record): no way back.
    again = send(payments, (SBOMS / "good.cdx.json").read_bytes())
    assert again["maturity"] is None
    assert payments.maturity()["level"] == 1

    # The legitimate way back: a new SBOM as good as the first.
    fresh = good()
    fresh["serialNumber"] = "urn:uuid:5d0b7c1e-0f4e-4a8e-9c3a-2b7d4e6f8a10"
    assert send(payments, fresh)["maturity"]["level"] == 2


def test_the_policy_chooses_the_profiles_and_the_share(payments):
    up_to(payments, 4)
    assert payments.maturity()["level"] == 4

    # good.cdx.json has 19 of 20 components with a supplier and 19 with a license: 95 %.
    payments.policy(sbom_component_share=1.0)
    strict = payments.maturity()
    assert strict["level"] == 1
    assert (
        "software-producer: 19 of 20 components (95 %) carry a supplier (software producer); "
        "ntia-2021 needs 100 %"
    ) in check_of(strict, "sbom-quality")["detail"]
    assert (
        "license: 19 of 20 components (95 %) carry a license; cisa-2025 needs 100 %"
        in (check_of(strict, "sbom-minimum-elements")["detail"])
    )
    record = payments.client.get(
        f"/v1/sboms/{check_of(strict, 'sbom-quality')['evidence'][0].removeprefix('sbom:')}",
        headers=payments.auditor,
    ).json()
    assert profile(record, "cisa-2025")["component_share"] == 1.0
    assert profile(record, "cisa-2025")["passed"] is False

    # No SBOM meets BSI TR-03183-2 here: required at level 2, it holds the level at 1.
    policy = payments.policy(
        sbom_component_share=None, sbom_profiles={"2": "bsi-tr-03183-2", "4": "cisa-2025"}
    )
    assert policy["sbom_profiles"] == {"2": "bsi-tr-03183-2", "4": "cisa-2025"}
    assert payments.maturity()["level"] == 1

    # Leaving level 4 out requires no profile there: the check does not apply.
    payments.policy(sbom_profiles={"2": "ntia-2021"})
    lenient = payments.maturity()
    assert check_of(lenient, "sbom-minimum-elements")["status"] == "not_applicable"
    assert lenient["level"] == 4


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param(
            "sbom_profiles",
            {"3": "cisa-2025"},
            "no check judges an SBOM profile at level 3",
            id="a level without a profile check",
        ),
        pytest.param("sbom_profiles", {"6": "cisa-2025"}, "less than or equal to 5", id="level 6"),
        pytest.param("sbom_profiles", {"2": "cisa-2026"}, "'ntia-2021'", id="unknown profile"),
        pytest.param("sbom_profiles", {}, "at least one level", id="no level"),
        pytest.param("sbom_component_share", 0, "greater than 0", id="share 0"),
        pytest.param("sbom_component_share", 1.01, "less than or equal to 1", id="share over 1"),
    ],
)
def test_a_wrong_profile_rule_is_refused_with_its_reason_and_stores_nothing(
    payments, field, value, message
):
    before = payments.client.get(f"/v1/services/{SERVICE}/policy", headers=payments.admin).json()

    response = payments.client.put(
        f"/v1/services/{SERVICE}/policy", json={field: value}, headers=payments.admin
    )

    problem = assert_problem(response, 422, "invalid-request")
    assert any(message in reason for reason in problem["reasons"]), problem
    after = payments.client.get(f"/v1/services/{SERVICE}/policy", headers=payments.admin).json()
    assert after == before


def test_the_artifact_record_shows_each_sboms_profiles(payments):
    payments.sbom("poor.cdx.json")
    payments.sbom("good.cdx.json")

    record = payments.client.get(f"/v1/artifacts/{DIGEST}", headers=payments.auditor).json()

    assert [[p["passed"] for p in sbom["profiles"]] for sbom in record["sboms"]] == [
        [False, False, False],
        [True, True, False],
    ]
    poor_ntia = record["sboms"][0]["profiles"][0]
    assert poor_ntia["reasons"][0].startswith("primary-component:")
    assert record["digest"] == f"sha256:{DIGEST_HEX}"
