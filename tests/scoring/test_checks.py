"""The maturity checks catalogue (app/scoring/checks.py) on facts built here, and the maturity
fields of the service policy (app/scoring/policy.py, app/provenance/policy.py).

Every builder below returns a mature service by default (level 5, score 100): each test
changes only the facts it is about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import pytest
from pydantic import ValidationError

from app.policy.document import ServicePolicyDocument, policy_digest
from app.policy.identities import GITHUB_ACTIONS_ISSUER, AllowedIdentity, IdentityPolicy
from app.policy.maturity import (
    CHECK_LEVELS,
    DEFAULT_ENVIRONMENTS,
    MaturityPolicy,
    SbomProfile,
    Severity,
)
from app.sboms.profiles import COMPONENT_ELEMENTS, DOCUMENT_ELEMENTS, Measures
from app.scoring.checks import CATALOGUE, CHECKS, SCORE_TOLERANCE, CheckResult, Maturity, evaluate
from app.scoring.facts import (
    ArtifactFacts,
    BuildFact,
    BundleFact,
    ExceptionFact,
    ReleaseFacts,
    SbomFact,
    ServiceFacts,
)
from app.vulnerabilities.findings import Finding
from tests.builders.vex import URLLIB3, attested, finding, listed, statement

NOW: Final = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
SERVICE: Final = "payments"
REPOSITORY: Final = "https://github.com/acme/payments"
RELEASE: Final = "payments@1.0.0"
OLDER_RELEASE: Final = "payments@0.9.0"
DIGEST_A: Final = "sha256:" + "a" * 64
DIGEST_B: Final = "sha256:" + "b" * 64
TAG: Final = "refs/tags/v1.0.0"
RELEASE_WORKFLOW: Final = f"https://github.com/acme/payments/.github/workflows/release.yml@{TAG}"
SLSA_GENERATOR: Final = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
    "generator_generic_slsa3.yml@refs/tags/v2.1.0"
)
PROVENANCE_PREDICATE: Final = "https://slsa.dev/provenance/v1"
GOOGLE: Final = "https://accounts.google.com"
PERSON: Final = "alice@acme.example"
REBUILDER: Final = "rebuilder@acme-ci.iam.gserviceaccount.com"

# The design's table: the level of each check.
CATALOGUE_LEVELS: Final = {
    "service-repository": 1,
    "sbom-present": 1,
    "sbom-quality": 2,
    "artifact-signed": 2,
    "provenance-present": 2,
    "workload-identity": 3,
    "hosted-builder": 3,
    "release-coverage": 3,
    "build-level-3": 4,
    "subjects-consistent": 4,
    "exceptions-controlled": 4,
    "sbom-minimum-elements": 4,
    "vex-present": 4,
    "reproducible": 5,
    "few-exceptions": 5,
    "no-open-anomaly": 5,
    "full-coverage": 5,
    "score-trend": 5,
}
DEFAULT_WEIGHT_OF_LEVEL: Final = {1: 5.0, 2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}
# Checks that judge the target release and fail when the service has none.
TARGET_CHECKS: Final = (
    "sbom-present",
    "sbom-quality",
    "artifact-signed",
    "provenance-present",
    "workload-identity",
    "hosted-builder",
    "build-level-3",
    "subjects-consistent",
    "sbom-minimum-elements",
    "vex-present",
    "reproducible",
)


# --- fact builders ------------------------------------------------------------------------------


def elements(*, primary_lacks: tuple[str, ...] = (), covered: int = 20) -> Measures:
    """An SBOM of 20 components, ``covered`` of them carrying each component element, with
    every document element, and a primary component lacking only ``primary_lacks``."""
    return Measures(
        components=20,
        primary={element: element not in primary_lacks for element in COMPONENT_ELEMENTS},
        covered=dict.fromkeys(COMPONENT_ELEMENTS, covered),
        document=dict.fromkeys(DOCUMENT_ELEMENTS, True),
    )


COMPLETE: Final = elements()


def sbom(
    sbom_id: int = 1, *, quality: float = 10.0, measured: Measures | None = COMPLETE
) -> SbomFact:
    """Complete by default: quality 10 and every element of every profile."""
    return SbomFact(id=sbom_id, quality_score=quality, signed=False, elements=measured)


def bundle(
    attestation_id: int = 2,
    *,
    subject: str = RELEASE_WORKFLOW,
    issuer: str = GITHUB_ACTIONS_ISSUER,
    verified: bool = True,
    predicate_type: str | None = None,
    kind: str | None = "workload",
    ref: str | None = TAG,
) -> BundleFact:
    """A message signature, or an attestation when ``predicate_type`` is given; by a
    workload at the release tag unless told otherwise."""
    return BundleFact(
        attestation_id=attestation_id,
        kind="signature" if predicate_type is None else "attestation",
        predicate_type=predicate_type,
        verified=verified,
        signer_subject=subject,
        signer_issuer=issuer,
        signer_kind=kind,
        signer_ref=ref,
    )


def person_signature(attestation_id: int = 2) -> BundleFact:
    return bundle(attestation_id, subject=PERSON, issuer=GOOGLE, kind="person", ref=None)


def build(
    attestation_id: int = 3, *, level: int = 3, source_bound: bool = True, verified: bool = True
) -> BuildFact:
    return BuildFact(
        attestation_id=attestation_id,
        builder_id=SLSA_GENERATOR.split("@", 1)[0],
        slsa_level=level,
        source_bound=source_bound,
        verified=verified,
    )


def artifact(
    digest: str = DIGEST_A,
    *,
    first_id: int = 1,
    sboms: tuple[SbomFact, ...] | None = None,
    bundles: tuple[BundleFact, ...] | None = None,
    builds: tuple[BuildFact, ...] | None = None,
    findings: tuple[str, ...] = (),
    vulnerabilities: tuple[Finding, ...] | None = (),
) -> ArtifactFacts:
    """Complete by default: SBOM ``first_id``, signature ``first_id + 1``, L3 provenance
    ``first_id + 2``, no vulnerability listed. Each provenance is also a bundle naming the
    artifact, as stored."""
    builds = (build(first_id + 2),) if builds is None else builds
    provenance_bundles = tuple(
        bundle(
            b.attestation_id,
            subject=SLSA_GENERATOR,
            verified=b.verified,
            predicate_type=PROVENANCE_PREDICATE,
        )
        for b in builds
    )
    return ArtifactFacts(
        digest=digest,
        sboms=(sbom(first_id),) if sboms is None else sboms,
        bundles=(*((bundle(first_id + 1),) if bundles is None else bundles), *provenance_bundles),
        builds=builds,
        findings=findings,
        vulnerabilities=vulnerabilities,
    )


def release(
    key: str = RELEASE,
    *,
    artifacts: tuple[ArtifactFacts, ...] | None = None,
    age_days: int = 1,
    reproducibility: Literal["reproducible", "mismatch", "unverified"] = "reproducible",
    findings: tuple[str, ...] = (),
) -> ReleaseFacts:
    return ReleaseFacts(
        key=key,
        released_at=NOW - timedelta(days=age_days),
        artifacts=(artifact(),) if artifacts is None else artifacts,
        reproducibility=reproducibility,
        independent_builders=2 if reproducibility == "reproducible" else 1,
        findings=findings,
    )


MATURE_RELEASE: Final = release()


def service(
    target: ReleaseFacts | None = MATURE_RELEASE,
    *,
    recent: tuple[ReleaseFacts, ...] | None = None,
    repository: str | None = REPOSITORY,
    exceptions: tuple[ExceptionFact, ...] = (),
    reference_score: float | None = None,
) -> ServiceFacts:
    """``recent`` defaults to the target release alone (none without a target)."""
    if recent is None:
        recent = () if target is None else (target,)
    return ServiceFacts(
        service=SERVICE,
        repository=repository,
        now=NOW,
        target=target,
        recent=recent,
        exceptions=exceptions,
        reference_score=reference_score,
    )


def exception(
    exception_id: int = 1,
    check: str = "workload-identity",
    *,
    requested_by: str = "alice",
    approved_by: str | None = "bob",
    expires_in_days: float = 7,
    revoked: bool = False,
) -> ExceptionFact:
    """Approved by another admin and running for a week, unless told otherwise."""
    return ExceptionFact(
        id=exception_id,
        check=check,
        requested_by=requested_by,
        expires_at=NOW + timedelta(days=expires_in_days),
        approved_by=approved_by,
        revoked=revoked,
    )


def person_signed_service(**changes: Any) -> ServiceFacts:
    """Signed by a person's e-mail account: workload-identity (level 3) fails, all else holds."""
    return service(release(artifacts=(artifact(bundles=(person_signature(),)),)), **changes)


def releases_with_gaps(total: int, incomplete: int) -> tuple[ReleaseFacts, ...]:
    """``total`` releases, newest first, the oldest ``incomplete`` of them without an SBOM."""
    return tuple(
        release(
            f"payments@1.0.{total - index}",
            age_days=index + 1,
            artifacts=(artifact(sboms=()),) if index >= total - incomplete else None,
        )
        for index in range(total)
    )


def rules(**policy_fields: Any) -> MaturityPolicy:
    """The maturity rules of a service policy with ``policy_fields``."""
    return ServicePolicyDocument.model_validate(policy_fields).maturity()


def judged(facts: ServiceFacts, **policy_fields: Any) -> Maturity:
    return evaluate(facts, rules(**policy_fields))


def result_of(maturity: Maturity, check_id: str) -> CheckResult:
    return next(result for result in maturity.checks if result.id == check_id)


def check(facts: ServiceFacts, check_id: str, **policy_fields: Any) -> CheckResult:
    return result_of(judged(facts, **policy_fields), check_id)


# Facts on which each check fails, all else as in a mature service.
FAILING: Final[dict[str, ServiceFacts]] = {
    "service-repository": service(repository=None),
    "sbom-present": service(release(artifacts=(artifact(sboms=()),))),
    "sbom-quality": service(release(artifacts=(artifact(sboms=(sbom(quality=5.9),)),))),
    "artifact-signed": service(release(artifacts=(artifact(bundles=(), builds=()),))),
    "provenance-present": service(release(artifacts=(artifact(builds=()),))),
    "workload-identity": person_signed_service(),
    "hosted-builder": service(release(artifacts=(artifact(builds=(build(level=1),)),))),
    "release-coverage": service(recent=releases_with_gaps(2, 1)),
    "build-level-3": service(release(artifacts=(artifact(builds=(build(level=2),)),))),
    "subjects-consistent": service(
        release(artifacts=(artifact(findings=("the SBOM names another digest",)),))
    ),
    "exceptions-controlled": service(exceptions=(exception(approved_by="alice"),)),
    # No hash on the primary component: cisa-2025 fails, ntia-2021 (level 2) asks for none.
    "sbom-minimum-elements": service(
        release(
            artifacts=(
                artifact(sboms=(sbom(measured=elements(primary_lacks=("component-hash",))),)),
            )
        )
    ),
    "vex-present": service(release(artifacts=(artifact(vulnerabilities=(finding(),)),))),
    "reproducible": service(release(reproducibility="unverified")),
    "few-exceptions": service(exceptions=(exception(1), exception(2, "reproducible"))),
    "no-open-anomaly": service(release(reproducibility="mismatch")),
    "full-coverage": service(recent=releases_with_gaps(2, 1)),
    "score-trend": service(release(reproducibility="unverified"), reference_score=100.0),
}


# --- the catalogue ------------------------------------------------------------------------------


def test_scoring_judges_exactly_the_checks_the_policy_knows_in_the_same_order() -> None:
    # Policies name checks (weights, environments) by the ids of app.policy.maturity.
    assert [c.id for c in CATALOGUE] == list(CHECK_LEVELS)


def test_catalogue_holds_the_designed_checks_at_their_levels() -> None:
    assert {c.id: c.level for c in CATALOGUE} == CATALOGUE_LEVELS
    assert [c.id for c in CATALOGUE] == list(CHECKS)
    assert {c.id for c in CATALOGUE if not c.waivable} == {
        "service-repository",
        "exceptions-controlled",
        "few-exceptions",
    }
    assert all(c.title and c.remediation for c in CATALOGUE)


def test_a_mature_service_passes_every_check_that_applies() -> None:
    maturity = judged(service())

    statuses = {c.id: c.status for c in maturity.checks}
    assert {i for i, s in statuses.items() if s == "not_applicable"} == {
        "vex-present",
        "score-trend",
    }
    assert {i for i, s in statuses.items() if s == "pass"} == set(CHECKS) - {
        "vex-present",
        "score-trend",
    }
    assert all(c.remediation == "" for c in maturity.checks if c.status == "pass")
    assert all(c.score == 10.0 for c in maturity.checks if c.status == "pass")
    assert (maturity.level, maturity.level_name, maturity.score) == (5, "Optimize", 100.0)
    assert [c.id for c in maturity.checks] == list(CHECKS)  # catalogue order


def test_failing_facts_cover_the_catalogue() -> None:
    assert set(FAILING) == set(CHECKS)


@pytest.mark.parametrize("check_id", list(FAILING))
def test_each_check_fails_with_its_remediation(check_id: str) -> None:
    result = check(FAILING[check_id], check_id)

    assert result.status == "fail"
    assert result.remediation == CHECKS[check_id].remediation != ""
    assert result.detail
    assert 0.0 <= result.score < 10.0
    assert result.waived_by is None


@pytest.mark.parametrize("check_id", TARGET_CHECKS)
def test_checks_of_the_target_release_fail_when_there_is_none(check_id: str) -> None:
    result = check(service(None), check_id)

    assert (result.status, result.score) == ("fail", 0.0)
    assert result.detail == "service payments has no artifact yet"


# --- level 1 ------------------------------------------------------------------------------------


def test_service_repository_names_the_service() -> None:
    passed = check(service(), "service-repository")
    failed = check(service(repository=None), "service-repository")

    assert passed.status == "pass"
    assert passed.evidence == ("service:payments",)
    assert REPOSITORY in passed.detail
    assert (failed.status, failed.score) == ("fail", 0.0)
    assert "payments" in failed.detail
    assert failed.remediation


def test_sbom_present_names_the_sboms_and_the_artifacts_without_one() -> None:
    passed = check(service(), "sbom-present")
    two = release(
        artifacts=(artifact(DIGEST_A), artifact(DIGEST_B, first_id=11, sboms=())),
    )
    failed = check(service(two), "sbom-present")

    assert (passed.status, passed.evidence, passed.remediation) == ("pass", ("sbom:1",), "")
    assert RELEASE in passed.detail
    assert (failed.status, failed.score) == ("fail", 5.0)  # one of two artifacts
    assert DIGEST_B in failed.detail
    assert DIGEST_A not in failed.detail
    assert failed.evidence == ("sbom:1",)
    assert failed.remediation


# --- level 2 ------------------------------------------------------------------------------------


def test_sbom_quality_exactly_at_the_threshold_passes() -> None:
    facts = service(release(artifacts=(artifact(sboms=(sbom(quality=6.0),)),)))

    result = check(facts, "sbom-quality")

    assert result.status == "pass"
    assert result.score == 6.0  # a pass keeps the measured quality as its score
    assert result.evidence == ("sbom:1",)
    assert result.remediation == ""
    assert "6.0" in result.detail


def test_sbom_quality_below_the_threshold_fails_and_names_the_artifact() -> None:
    result = check(FAILING["sbom-quality"], "sbom-quality")

    assert (result.status, result.score) == ("fail", 5.9)
    assert DIGEST_A in result.detail
    assert "5.9/10" in result.detail
    assert "6.0" in result.detail
    assert result.evidence == ("sbom:1",)


def test_sbom_quality_threshold_comes_from_the_policy() -> None:
    facts = service(release(artifacts=(artifact(sboms=(sbom(quality=7.5),)),)))

    assert check(facts, "sbom-quality").status == "pass"
    strict = check(facts, "sbom-quality", min_sbom_quality=8.0)
    assert strict.status == "fail"
    assert "8.0" in strict.detail
    assert check(facts, "sbom-quality", min_sbom_quality=7.5).status == "pass"


def test_sbom_quality_judges_each_artifacts_newest_sbom_and_the_weakest_artifact() -> None:
    """A good SBOM uploaded once no longer vouches for a poor one uploaded after it (the
    best SBOM of each artifact used to be judged)."""
    good_then_poor = service(
        release(
            artifacts=(
                artifact(
                    sboms=(sbom(1), sbom(4, quality=3.0)),
                ),
            )
        )
    )
    poor_then_good = service(
        release(
            artifacts=(
                artifact(
                    sboms=(sbom(1, quality=3.0), sbom(4)),
                ),
            )
        )
    )
    weakest_decides = service(
        release(
            artifacts=(
                artifact(DIGEST_A, sboms=(sbom(1, quality=9.0),)),
                artifact(DIGEST_B, first_id=11, sboms=(sbom(11, quality=4.0),)),
            )
        )
    )

    newer_poor = check(good_then_poor, "sbom-quality")
    assert (newer_poor.status, newer_poor.score) == ("fail", 3.0)
    assert "the newest SBOM of" in newer_poor.detail
    assert newer_poor.evidence == ("sbom:4",)
    assert check(poor_then_good, "sbom-quality").status == "pass"
    failed = check(weakest_decides, "sbom-quality")
    assert (failed.status, failed.score) == ("fail", 4.0)
    assert DIGEST_B in failed.detail
    assert failed.evidence == ("sbom:1", "sbom:11")


def test_sbom_quality_fails_an_sbom_missing_an_element_of_the_level_2_profile() -> None:
    """A high average no longer hides a missing element (quality alone used to decide)."""
    unidentified = sbom(quality=9.9, measured=elements(primary_lacks=("software-identifier",)))
    facts = service(release(artifacts=(artifact(sboms=(unidentified,)),)))

    result = check(facts, "sbom-quality")

    assert (result.status, result.score) == ("fail", 0.0)  # the one artifact misses it
    assert f"the newest SBOM of {DIGEST_A} (sbom 1) does not meet ntia-2021" in result.detail
    assert "software-identifier: the primary component lacks a valid purl" in result.detail
    assert result.evidence == ("sbom:1",)
    assert check(service(), "sbom-quality").detail.endswith(
        "meets ntia-2021 and scores 10.0/10 at least (the policy asks for 6.0)"
    )


def test_the_profile_each_level_requires_comes_from_the_policy() -> None:
    unhashed = service(
        release(
            artifacts=(
                artifact(sboms=(sbom(measured=elements(primary_lacks=("component-hash",))),)),
            )
        )
    )

    assert check(unhashed, "sbom-quality").status == "pass"  # ntia-2021 asks for no hash
    stricter = check(unhashed, "sbom-quality", sbom_profiles={"2": "cisa-2025"})
    assert stricter.status == "fail"
    assert "does not meet cisa-2025" in stricter.detail
    # A level the policy leaves out requires no profile.
    assert check(unhashed, "sbom-quality", sbom_profiles={"4": "cisa-2025"}).detail.endswith(
        "artifact scores 10.0/10 at least (the policy asks for 6.0)"
    )
    lenient = check(unhashed, "sbom-minimum-elements", sbom_profiles={"2": "ntia-2021"})
    assert (lenient.status, lenient.evidence) == ("not_applicable", ())
    assert lenient.detail == "the policy requires no SBOM profile at level 4"


def test_sbom_minimum_elements_needs_the_policy_share_of_components() -> None:
    def with_covered(covered: int) -> ServiceFacts:
        return service(
            release(artifacts=(artifact(sboms=(sbom(measured=elements(covered=covered)),)),))
        )

    assert check(with_covered(19), "sbom-minimum-elements").status == "pass"  # 95 % of 20
    short = check(with_covered(18), "sbom-minimum-elements")
    assert (short.status, short.score) == ("fail", 0.0)
    assert (
        "component-hash: 18 of 20 components (90 %) carry a SHA-256 or stronger hash; "
        "cisa-2025 needs 95 %" in short.detail
    )
    assert check(with_covered(18), "sbom-minimum-elements", sbom_component_share=0.9).status == (
        "pass"
    )
    assert check(with_covered(19), "sbom-minimum-elements", sbom_component_share=1).status == (
        "fail"
    )


def test_sbom_minimum_elements_scores_the_share_of_artifacts_meeting_the_profile() -> None:
    one_short = service(
        release(
            artifacts=(
                artifact(DIGEST_A),
                artifact(DIGEST_B, first_id=11, sboms=(sbom(11, measured=elements(covered=0)),)),
            )
        )
    )

    result = check(one_short, "sbom-minimum-elements")

    assert (result.status, result.score) == ("fail", 5.0)
    assert DIGEST_B in result.detail
    assert DIGEST_A not in result.detail
    assert result.evidence == ("sbom:1", "sbom:11")
    passed = check(service(), "sbom-minimum-elements")
    assert (
        passed.detail == f"release {RELEASE}: the newest SBOM of every artifact (1) meets cisa-2025"
    )


def test_an_sbom_whose_elements_were_not_measured_meets_no_profile() -> None:
    facts = service(release(artifacts=(artifact(sboms=(sbom(measured=None),)),)))

    for check_id in ("sbom-quality", "sbom-minimum-elements"):
        result = check(facts, check_id)
        assert result.status == "fail"
        assert "minimum-elements: not measured for this SBOM" in result.detail


def test_artifact_signed_counts_only_verified_bundles() -> None:
    passed = check(service(), "artifact-signed")
    unverified = service(
        release(
            artifacts=(
                artifact(bundles=(bundle(2, verified=False),), builds=(build(verified=False),)),
            )
        )
    )
    failed = check(unverified, "artifact-signed")

    assert passed.status == "pass"
    assert passed.evidence == ("attestation:2", "attestation:3")
    assert (failed.status, failed.score, failed.evidence) == ("fail", 0.0, ())
    assert DIGEST_A in failed.detail
    assert "2 bundles failed verification" in failed.detail


def test_provenance_present_needs_verified_provenance() -> None:
    passed = check(service(), "provenance-present")
    unverified = service(release(artifacts=(artifact(builds=(build(verified=False),)),)))

    assert (passed.status, passed.evidence) == ("pass", ("attestation:3",))
    for facts in (FAILING["provenance-present"], unverified):
        failed = check(facts, "provenance-present")
        assert (failed.status, failed.score, failed.evidence) == ("fail", 0.0, ())
        assert DIGEST_A in failed.detail


# --- level 3 ------------------------------------------------------------------------------------


def test_workload_identity_github_actions_uri_san_passes() -> None:
    result = check(service(), "workload-identity")

    assert result.status == "pass"
    assert result.evidence == ("attestation:2", "attestation:3")
    assert RELEASE_WORKFLOW in result.detail
    assert result.remediation == ""


def test_workload_identity_a_persons_signature_fails() -> None:
    result = check(person_signed_service(), "workload-identity")

    assert result.status == "fail"
    assert result.score == 5.0  # the provenance is still signed by the generator's workflow
    assert f"{PERSON} ({GOOGLE})" in result.detail
    assert result.evidence == ("attestation:2", "attestation:3")
    assert result.remediation


@pytest.mark.parametrize(
    ("signer", "status"),
    [
        pytest.param(
            bundle(kind="person"), "fail", id="a GitHub workflow the policy calls a person"
        ),
        pytest.param(bundle(kind=None), "fail", id="a receipt that states no kind"),
        pytest.param(
            bundle(subject=REBUILDER, issuer=GOOGLE, kind="workload", ref=None),
            "pass",
            id="a build service's e-mail account the policy calls a workload",
        ),
    ],
)
def test_workload_identity_reads_the_kind_the_receipt_states_not_the_issuer(
    signer: BundleFact, status: str
) -> None:
    facts = service(release(artifacts=(artifact(bundles=(signer,)),)))

    assert check(facts, "workload-identity").status == status


def test_workload_identity_counts_no_signer_from_another_ref_than_the_release_refs() -> None:
    on_main = bundle(ref="refs/heads/main")
    only_main = service(release(artifacts=(artifact(bundles=(on_main,), builds=()),)))
    also_tagged = service(release(artifacts=(artifact(bundles=(on_main, bundle(4))),)))

    refused = check(only_main, "workload-identity")
    assert (refused.status, refused.score) == ("fail", 0.0)
    assert "only for refs/heads/main, none of the release refs 'refs/tags/.+'" in refused.detail
    # A branch signature does not count, neither for nor against: the tag's signers decide.
    assert check(also_tagged, "workload-identity").status == "pass"
    # The policy's release refs say which refs release.
    assert check(only_main, "workload-identity", release_refs="refs/heads/main").status == "pass"


def test_workload_identity_ignores_unverified_bundles() -> None:
    only_unverified = service(
        release(
            artifacts=(
                artifact(bundles=(bundle(verified=False),), builds=(build(verified=False),)),
            )
        )
    )
    one_unverified = service(
        release(artifacts=(artifact(bundles=(bundle(verified=True), bundle(5, verified=False))),))
    )

    failed = check(only_unverified, "workload-identity")
    assert (failed.status, failed.score) == ("fail", 0.0)
    assert "no verified signature" in failed.detail
    assert check(one_unverified, "workload-identity").evidence == (
        "attestation:2",
        "attestation:3",
    )


def test_hosted_builder_level_2_bound_to_the_source_passes() -> None:
    facts = service(release(artifacts=(artifact(builds=(build(level=2),)),)))

    result = check(facts, "hosted-builder")

    assert (result.status, result.evidence, result.remediation) == (
        "pass",
        ("attestation:3",),
        "",
    )


@pytest.mark.parametrize("check_id", ["hosted-builder", "build-level-3"])
@pytest.mark.parametrize(
    "provenance",
    [
        pytest.param(build(level=3, source_bound=False), id="level 3 not source-bound"),
        pytest.param(build(level=3, verified=False), id="level 3 unverified"),
        pytest.param(build(level=1), id="level 1"),
    ],
)
def test_builder_checks_count_only_verified_source_bound_provenance(
    check_id: str, provenance: BuildFact
) -> None:
    facts = service(release(artifacts=(artifact(builds=(provenance,)),)))

    result = check(facts, check_id)

    assert (result.status, result.score, result.evidence) == ("fail", 0.0, ())
    assert DIGEST_A in result.detail


def test_builder_checks_are_scored_by_the_share_of_artifacts() -> None:
    facts = service(
        release(
            artifacts=(
                artifact(DIGEST_A),
                artifact(DIGEST_B, first_id=11, builds=(build(13, level=2),)),
            )
        )
    )

    hosted = check(facts, "hosted-builder")
    level_3 = check(facts, "build-level-3")

    assert hosted.status == "pass"
    assert hosted.evidence == ("attestation:3", "attestation:13")
    assert (level_3.status, level_3.score, level_3.evidence) == ("fail", 5.0, ("attestation:3",))
    assert DIGEST_B in level_3.detail
    assert DIGEST_A not in level_3.detail


def test_release_coverage_passes_at_90_percent() -> None:
    result = check(service(recent=releases_with_gaps(10, 1)), "release-coverage")

    assert result.status == "pass"
    assert "9 of 10 releases in the last 30 days" in result.detail
    assert len(result.evidence) == 9
    assert "release:payments@1.0.10" in result.evidence
    assert "release:payments@1.0.1" not in result.evidence  # the incomplete one


def test_release_coverage_below_90_percent_fails_and_names_the_gaps() -> None:
    result = check(service(recent=releases_with_gaps(10, 2)), "release-coverage")

    assert (result.status, result.score) == ("fail", 8.0)
    assert "payments@1.0.1" in result.detail
    assert "payments@1.0.2" in result.detail
    assert len(result.evidence) == 8


@pytest.mark.parametrize("check_id", ["release-coverage", "full-coverage"])
def test_coverage_does_not_apply_without_a_recent_release(check_id: str) -> None:
    old = release(age_days=90)
    result = check(service(old, recent=()), check_id, coverage_window_days=7)

    assert (result.status, result.score, result.evidence) == ("not_applicable", 0.0, ())
    assert result.detail == "no release in the last 7 days"


# --- level 4 ------------------------------------------------------------------------------------


def test_subjects_consistent_names_the_evidence_compared() -> None:
    result = check(service(), "subjects-consistent")

    assert result.status == "pass"
    assert result.evidence == ("sbom:1", "attestation:2", "attestation:3")
    assert RELEASE in result.detail


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(FAILING["subjects-consistent"], id="artifact finding"),
        pytest.param(
            service(release(findings=("the SBOM names another digest",))), id="release finding"
        ),
    ],
)
def test_subjects_consistent_fails_with_a_finding(facts: ServiceFacts) -> None:
    result = check(facts, "subjects-consistent")

    assert (result.status, result.score) == ("fail", 0.0)
    assert "the SBOM names another digest" in result.detail
    assert result.evidence == ("sbom:1", "attestation:2", "attestation:3")


def test_subjects_consistent_fails_when_an_artifact_lacks_provenance() -> None:
    facts = service(
        release(artifacts=(artifact(DIGEST_A), artifact(DIGEST_B, first_id=11, builds=())))
    )

    result = check(facts, "subjects-consistent")

    assert (result.status, result.score) == ("fail", 0.0)
    assert DIGEST_B in result.detail
    assert DIGEST_A not in result.detail


def test_vex_present_does_not_apply_without_listed_vulnerabilities() -> None:
    result = check(service(), "vex-present")

    assert (result.status, result.score, result.evidence) == ("not_applicable", 0.0, ())
    assert "no SBOM lists a vulnerability" in result.detail


def test_vex_present_passes_when_every_listed_vulnerability_is_closed() -> None:
    by_statement = finding("not_affected", decided_by=attested(statement(), attestation_id=4))
    by_analysis = finding("fixed", vulnerability=listed("CVE-2023-43804", "resolved"))
    facts = service(release(artifacts=(artifact(vulnerabilities=(by_statement, by_analysis)),)))

    result = check(facts, "vex-present")

    assert (result.status, result.score, result.remediation) == ("pass", 10.0, "")
    assert result.evidence == ("sbom:1", "attestation:4")
    assert "every listed vulnerability (2)" in result.detail


def test_vex_present_fails_naming_the_open_vulnerabilities_scored_by_the_share_closed() -> None:
    """Before: any analysis state, exploitable included, or any OpenVEX attestation at all
    counted as VEX; now only what closes a vulnerability does."""
    exploitable = listed(state="exploitable")
    affected = attested(statement("affected"), attestation_id=7)
    facts = service(
        release(
            artifacts=(
                artifact(
                    DIGEST_A, vulnerabilities=(finding("fixed"), finding(vulnerability=exploitable))
                ),
                artifact(
                    DIGEST_B,
                    first_id=11,
                    vulnerabilities=(finding("open", decided_by=affected), finding("not_affected")),
                ),
            )
        )
    )

    result = check(facts, "vex-present")

    assert (result.status, result.score) == ("fail", 5.0)
    assert "2 of 4 listed vulnerabilities are open" in result.detail
    assert f"CVE-2024-37891 (critical) in {URLLIB3}" in result.detail
    assert result.evidence == ("sbom:1", "sbom:11", "attestation:7")
    assert result.remediation


def test_vex_present_names_a_vulnerability_without_component_by_its_artifact() -> None:
    unplaced = finding(vulnerability=listed("", affects=()))
    facts = service(release(artifacts=(artifact(vulnerabilities=(unplaced,)),)))

    result = check(facts, "vex-present")

    assert result.status == "fail"
    assert f"a vulnerability without id (critical) in {DIGEST_A}" in result.detail


def test_vex_present_fails_when_the_vulnerabilities_are_not_known() -> None:
    facts = service(
        release(
            artifacts=(
                artifact(DIGEST_A, vulnerabilities=None),
                artifact(DIGEST_B, first_id=11, vulnerabilities=(finding("fixed"),)),
            )
        )
    )

    result = check(facts, "vex-present")

    assert (result.status, result.score) == ("fail", 0.0)
    assert "not known" in result.detail
    assert DIGEST_A in result.detail
    assert DIGEST_B not in result.detail


# --- level 5 ------------------------------------------------------------------------------------


def test_reproducible_passes_when_target_and_recent_releases_are() -> None:
    older = release(OLDER_RELEASE, age_days=5)

    result = check(service(recent=(MATURE_RELEASE, older)), "reproducible")

    assert result.status == "pass"
    assert result.evidence == (f"release:{RELEASE}", f"release:{OLDER_RELEASE}")
    assert "2 releases" in result.detail


@pytest.mark.parametrize("status", ["unverified", "mismatch"])
def test_reproducible_fails_for_a_recent_release_that_is_not(status: str) -> None:
    older = release(OLDER_RELEASE, age_days=5, reproducibility=status)  # type: ignore[arg-type]

    result = check(service(recent=(MATURE_RELEASE, older)), "reproducible")

    assert (result.status, result.score) == ("fail", 5.0)
    assert f"{OLDER_RELEASE} ({status})" in result.detail
    assert result.evidence == (f"release:{RELEASE}",)


def test_reproducible_judges_the_target_even_outside_the_window() -> None:
    old_target = release(age_days=90, reproducibility="unverified")
    newer = release("payments@1.1.0")

    result = check(service(old_target, recent=(newer,)), "reproducible")

    assert (result.status, result.score) == ("fail", 5.0)
    assert f"{RELEASE} (unverified)" in result.detail
    assert "2 trust domains" in result.detail  # the policy's default quorum


def test_no_open_anomaly_names_what_looks_wrong() -> None:
    passed = check(service(), "no-open-anomaly")
    mismatch = check(
        service(recent=(MATURE_RELEASE, release(OLDER_RELEASE, reproducibility="mismatch"))),
        "no-open-anomaly",
    )
    unverified = check(
        service(release(artifacts=(artifact(bundles=(bundle(2), bundle(7, verified=False))),))),
        "no-open-anomaly",
    )
    finding = check(FAILING["subjects-consistent"], "no-open-anomaly")

    assert (passed.status, passed.remediation) == ("pass", "")
    assert f"release {OLDER_RELEASE}: builds disagree on the digest" in mismatch.detail
    assert f"{DIGEST_A}: attestation 7 no longer verifies" in unverified.detail
    assert f"{DIGEST_A}: the SBOM names another digest" in finding.detail
    assert all(r.status == "fail" for r in (mismatch, unverified, finding))


def test_full_coverage_needs_every_recent_release() -> None:
    complete = check(service(recent=releases_with_gaps(10, 0)), "full-coverage")
    nine_of_ten = judged(service(recent=releases_with_gaps(10, 1)))

    assert complete.status == "pass"
    assert len(complete.evidence) == 10
    assert result_of(nine_of_ten, "release-coverage").status == "pass"
    full = result_of(nine_of_ten, "full-coverage")
    assert (full.status, full.score) == ("fail", 9.0)
    assert "missing for payments@1.0.1" in full.detail


def test_few_exceptions_allows_one_active_exception() -> None:
    inactive = (
        exception(2, "reproducible", approved_by=None),
        exception(3, "hosted-builder", expires_in_days=-1),
        exception(4, "build-level-3", revoked=True),
    )
    result = check(service(exceptions=(exception(1), *inactive)), "few-exceptions")

    assert result.status == "pass"
    assert result.evidence == ("exception:1",)


def test_few_exceptions_fails_with_two_active() -> None:
    result = check(FAILING["few-exceptions"], "few-exceptions")

    assert (result.status, result.score) == ("fail", 8.0)
    assert result.evidence == ("exception:1", "exception:2")
    assert "workload-identity" in result.detail
    assert "reproducible" in result.detail


# --- exceptions ---------------------------------------------------------------------------------


def test_an_approved_exception_waives_a_failing_check_at_its_failing_score() -> None:
    unwaived = judged(person_signed_service())
    waived = judged(person_signed_service(exceptions=(exception(9),)))

    result = result_of(waived, "workload-identity")
    assert result.status == "waived"
    assert result.waived_by == 9
    assert result.score == result_of(unwaived, "workload-identity").score == 5.0
    assert result.evidence == ("attestation:2", "attestation:3", "exception:9")
    assert result.detail.startswith("waived by exception 9 (approved by bob")
    assert PERSON in result.detail
    assert result.remediation == CHECKS["workload-identity"].remediation
    assert waived.score == unwaived.score


def test_the_latest_expiring_exception_is_the_one_that_waives() -> None:
    exceptions = (exception(1, expires_in_days=3), exception(2, expires_in_days=20))

    result = check(person_signed_service(exceptions=exceptions), "workload-identity")

    assert (result.status, result.waived_by) == ("waived", 2)


@pytest.mark.parametrize(
    "waiver",
    [
        pytest.param(exception(approved_by=None), id="pending"),
        pytest.param(exception(expires_in_days=-1), id="expired"),
        pytest.param(exception(expires_in_days=0), id="expiring now"),
        pytest.param(exception(revoked=True), id="revoked"),
        pytest.param(exception(approved_by="alice"), id="self-approved"),
        pytest.param(exception(check="hosted-builder"), id="another check"),
    ],
)
def test_only_an_applying_exception_waives(waiver: ExceptionFact) -> None:
    result = check(person_signed_service(exceptions=(waiver,)), "workload-identity")

    assert result.status == "fail"
    assert result.waived_by is None
    assert "exception:1" not in result.evidence


def test_a_passing_check_is_not_turned_into_waived() -> None:
    result = check(service(exceptions=(exception(),)), "workload-identity")

    assert (result.status, result.waived_by) == ("pass", None)


def test_exceptions_controlled_fails_for_an_expired_exception_whose_check_still_fails() -> None:
    lapsed = exception(4, expires_in_days=-1)

    result = check(person_signed_service(exceptions=(lapsed,)), "exceptions-controlled")

    assert (result.status, result.score) == ("fail", 0.0)
    assert "exception 4 on workload-identity expired and the check still fails" in result.detail
    assert result.evidence == ("exception:4",)


def test_exceptions_controlled_passes_when_the_expired_exceptions_check_now_passes() -> None:
    lapsed = exception(4, expires_in_days=-1)

    result = check(service(exceptions=(lapsed,)), "exceptions-controlled")

    assert (result.status, result.remediation) == ("pass", "")
    assert result.evidence == ("exception:4",)


def test_exceptions_controlled_ignores_expired_exceptions_never_approved() -> None:
    never_approved = exception(4, approved_by=None, expires_in_days=-1)

    result = check(person_signed_service(exceptions=(never_approved,)), "exceptions-controlled")

    assert result.status == "pass"


def test_exceptions_controlled_fails_for_a_self_approved_exception() -> None:
    result = check(FAILING["exceptions-controlled"], "exceptions-controlled")

    assert (result.status, result.score) == ("fail", 0.0)
    assert "exception 1 on workload-identity approved by its requester" in result.detail


@pytest.mark.parametrize("check_id", ["reproducible", "score-trend"])
def test_exceptions_controlled_fails_for_a_lapsed_exception_on_any_check(check_id: str) -> None:
    # The target was not rebuilt: reproducible fails, and the score falls from 100 to 97.6.
    facts = service(
        release(reproducibility="unverified"),
        reference_score=100.0,
        exceptions=(exception(4, check_id, expires_in_days=-1),),
    )

    maturity = judged(facts)

    assert result_of(maturity, check_id).status == "fail"
    controlled = result_of(maturity, "exceptions-controlled")
    assert controlled.status == "fail"
    assert f"exception 4 on {check_id} expired and the check still fails" in controlled.detail
    assert maturity.level == 3


@pytest.mark.parametrize(
    ("check_id", "facts"),
    [
        pytest.param(
            "service-repository",
            service(repository=None, exceptions=(exception(check="service-repository"),)),
            id="service-repository",
        ),
        pytest.param(
            "exceptions-controlled",
            service(
                exceptions=(
                    exception(1, "hosted-builder", approved_by="alice"),
                    exception(2, "exceptions-controlled"),
                )
            ),
            id="exceptions-controlled",
        ),
        pytest.param(
            "few-exceptions",
            service(exceptions=(exception(1), exception(2, "few-exceptions"))),
            id="few-exceptions",
        ),
    ],
)
def test_unwaivable_checks_stay_failed_under_an_approved_exception(
    check_id: str, facts: ServiceFacts
) -> None:
    result = check(facts, check_id)

    assert result.status == "fail"
    assert result.waived_by is None


# --- the level ----------------------------------------------------------------------------------


def test_level_is_0_when_a_level_1_check_fails() -> None:
    maturity = judged(service(repository=None))

    assert (maturity.level, maturity.level_name) == (0, "None")
    assert [c.id for c in maturity.failing(5)] == ["service-repository"]


def test_level_is_the_highest_whose_checks_and_all_lower_ones_hold() -> None:
    maturity = judged(FAILING["build-level-3"])

    assert (maturity.level, maturity.level_name) == (3, "Scale")
    assert [c.id for c in maturity.failing(5)] == ["build-level-3"]
    assert maturity.failing(3) == ()
    assert all(c.holds for c in maturity.checks if c.level == 5)


def test_a_failing_level_3_check_caps_the_level_at_2() -> None:
    maturity = judged(person_signed_service())

    assert [c.id for c in maturity.failing(5)] == ["workload-identity"]
    assert {c.status for c in maturity.checks if c.level in {4, 5}} == {"pass", "not_applicable"}
    assert (maturity.level, maturity.level_name) == (2, "Operate")


def test_waived_and_not_applicable_checks_do_not_block_the_level() -> None:
    maturity = judged(person_signed_service(exceptions=(exception(),)))

    statuses = {c.id: c.status for c in maturity.checks}
    assert statuses["workload-identity"] == "waived"
    assert statuses["vex-present"] == statuses["score-trend"] == "not_applicable"
    # Every level's checks hold, yet Optimize is reached on evidence alone: a waiver caps at 4.
    assert maturity.level == 4


# --- the score ----------------------------------------------------------------------------------


def test_default_weights_go_by_level() -> None:
    maturity = judged(service())

    assert {c.id: c.weight for c in maturity.checks} == {
        check_id: DEFAULT_WEIGHT_OF_LEVEL[level] for check_id, level in CATALOGUE_LEVELS.items()
    }


def test_score_is_the_weighted_mean_of_applicable_checks() -> None:
    # Applicable weights: 2x5 + 3x4 + 3x3 + 4x2 (vex-present does not apply)
    # + 4x1 (score-trend does not apply) = 43; service-repository's 5 score 0.
    assert judged(service(repository=None)).score == 88.4  # 10 x 380 / 43
    # workload-identity (weight 3) scores 5.0: 10 x (430 - 15) / 43
    assert judged(person_signed_service()).score == 96.5


def test_policy_weights_override_the_defaults() -> None:
    maturity = judged(service(repository=None), check_weights={"service-repository": 38})

    assert result_of(maturity, "service-repository").weight == 38.0
    assert result_of(maturity, "sbom-present").weight == 5.0
    assert maturity.score == 50.0  # 10 x 380 / (38 + 38)


def test_weight_0_leaves_a_check_out_of_the_score_not_out_of_the_level() -> None:
    maturity = judged(service(repository=None), check_weights={"service-repository": 0})

    assert maturity.score == 100.0
    assert maturity.level == 0


# Reproducible fails and weighs as much as all other applicable checks: base score 50.0.
HALF_SCORED_WEIGHTS: Final = {"reproducible": 42}


def half_scored(reference_score: float | None) -> Maturity:
    facts = service(release(reproducibility="unverified"), reference_score=reference_score)
    return judged(facts, check_weights=HALF_SCORED_WEIGHTS)


def test_score_trend_does_not_apply_without_a_reference_score() -> None:
    maturity = half_scored(None)

    trend = result_of(maturity, "score-trend")
    assert (trend.status, trend.evidence) == ("not_applicable", ())
    assert maturity.score == maturity.base_score == 50.0


@pytest.mark.parametrize("reference", [50.0 + SCORE_TOLERANCE, 50.0, 40.0])
def test_score_trend_passes_within_the_tolerance(reference: float) -> None:
    maturity = half_scored(reference)

    trend = result_of(maturity, "score-trend")
    assert (trend.status, trend.score, trend.remediation) == ("pass", 10.0, "")
    assert f"score 50.0, {reference:.1f} 30 days ago" == trend.detail
    assert maturity.base_score == 50.0
    assert maturity.score == 50.6  # 10 x (420 + 10) / 85: the trend counts in the score


def test_score_trend_fails_when_the_base_score_fell_by_more_than_the_tolerance() -> None:
    reference = 50.0 + SCORE_TOLERANCE + 0.1
    maturity = half_scored(reference)

    trend = result_of(maturity, "score-trend")
    assert (trend.status, trend.score) == ("fail", 9.9)  # 10 x 50.0 / 50.6
    assert trend.detail == "score fell from 50.6 to 50.0 within 30 days"
    assert trend.remediation
    assert maturity.base_score == 50.0  # score-trend is not part of what it compares


def test_score_trend_is_the_level_5_check_that_fails_on_a_fall() -> None:
    maturity = judged(FAILING["score-trend"])

    assert maturity.base_score == 97.7  # 10 x 420 / 43: reproducible failed
    assert result_of(maturity, "score-trend").status == "fail"
    assert maturity.level == 4


# --- the maturity fields of the service policy --------------------------------------------------


IDENTITY: Final = AllowedIdentity(issuer=GITHUB_ACTIONS_ISSUER, subject=RELEASE_WORKFLOW)


def test_policy_defaults() -> None:
    document = ServicePolicyDocument()

    assert document.effective_environments == {"production": 4, "staging": 2}
    assert document.maturity() == MaturityPolicy(
        min_sbom_quality=6.0,
        coverage_window=timedelta(days=30),
        weights={},
        quorum=2,
        release_refs="refs/tags/.+",
        sbom_profiles={2: SbomProfile.NTIA_2021, 4: SbomProfile.CISA_2025},
        sbom_component_share=0.95,
    )
    document.effective_environments["production"] = 0
    assert DEFAULT_ENVIRONMENTS == {"production": 4, "staging": 2}


def test_policy_fields_reach_the_rules() -> None:
    document = ServicePolicyDocument.model_validate(
        {
            "environments": {"production": 5, "qa-1.eu_west": 0},
            "min_sbom_quality": 10,
            "coverage_window_days": 365,
            "check_weights": {"sbom-present": 0, "score-trend": 2.5},
            "reproducibility_quorum": 3,
            "release_refs": r"refs/tags/v\d+\.\d+\.\d+",
            "sbom_profiles": {"2": "cisa-2025", "4": "bsi-tr-03183-2"},
            "sbom_component_share": 1,
            "deny_open_severity": {"qa-1.eu_west": "high"},
        }
    )

    assert document.effective_environments == {"production": 5, "qa-1.eu_west": 0}
    assert document.maturity() == MaturityPolicy(
        min_sbom_quality=10.0,
        coverage_window=timedelta(days=365),
        weights={"sbom-present": 0.0, "score-trend": 2.5},
        quorum=3,
        release_refs=r"refs/tags/v\d+\.\d+\.\d+",
        sbom_profiles={2: SbomProfile.CISA_2025, 4: SbomProfile.BSI_TR_03183_2},
        sbom_component_share=1.0,
        deny_open_severity={"qa-1.eu_west": Severity.HIGH},  # and none for production
    )
    stored = document.model_dump(mode="json", exclude_none=True)
    assert stored["sbom_profiles"] == {"2": "cisa-2025", "4": "bsi-tr-03183-2"}
    assert ServicePolicyDocument.model_validate(stored) == document


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"check_weights": {"no-such-check": 1}}, "no check is named", id="unknown"),
        pytest.param({"check_weights": {"sbom-present": -1}}, "greater than or equal", id="neg"),
        pytest.param({"check_weights": {"sbom-present": 101}}, "less than", id="too heavy"),
        pytest.param({"check_weights": {"sbom-present": float("inf")}}, "finite", id="inf"),
        pytest.param({"environments": {}}, "at least one environment", id="no environment"),
        pytest.param({"environments": {"Production": 4}}, "pattern", id="capitals"),
        pytest.param({"environments": {"prod env": 4}}, "pattern", id="space"),
        pytest.param({"environments": {"": 4}}, "pattern", id="empty name"),
        pytest.param({"environments": {"-prod": 4}}, "pattern", id="leading dash"),
        pytest.param({"environments": {"p" * 33: 4}}, "pattern", id="long name"),
        pytest.param({"environments": {"production": 6}}, "less than or equal", id="level 6"),
        pytest.param({"environments": {"production": -1}}, "greater than", id="level -1"),
        pytest.param({"environments": {"production": "4"}}, "integer", id="level as text"),
        pytest.param({"min_sbom_quality": 10.5}, "less than or equal", id="quality > 10"),
        pytest.param({"min_sbom_quality": -0.1}, "greater than", id="quality < 0"),
        pytest.param({"min_sbom_quality": float("nan")}, "finite", id="quality nan"),
        pytest.param({"coverage_window_days": 0}, "greater than", id="window 0"),
        pytest.param({"coverage_window_days": 366}, "less than", id="window > 365"),
        pytest.param({"coverage_window_days": 7.0}, "integer", id="window float"),
        pytest.param(
            {"sbom_profiles": {"3": "cisa-2025"}},
            "no check judges an SBOM profile at level 3; profiles apply at level 2 "
            "(sbom-quality), level 4 (sbom-minimum-elements)",
            id="profile at level 3",
        ),
        pytest.param({"sbom_profiles": {"6": "cisa-2025"}}, "less than or equal", id="level 6"),
        pytest.param({"sbom_profiles": {"0": "cisa-2025"}}, "greater than", id="level 0"),
        pytest.param({"sbom_profiles": {"two": "cisa-2025"}}, "integer", id="level as a word"),
        pytest.param({"sbom_profiles": {"2": "cisa-2024"}}, "ntia-2021", id="unknown profile"),
        pytest.param({"sbom_profiles": {}}, "at least one level", id="no profile"),
        pytest.param({"sbom_component_share": 0}, "greater than", id="share 0"),
        pytest.param({"sbom_component_share": 1.5}, "less than or equal", id="share > 1"),
        pytest.param({"sbom_component_share": float("nan")}, "finite", id="share nan"),
        pytest.param(
            {"deny_open_severity": {"staging": "severe"}}, "'critical'", id="unknown severity"
        ),
        pytest.param(
            {"deny_open_severity": {"qa": "high"}},
            "deny_open_severity names qa, which the policy's environments (production, "
            "staging) do not list",
            id="severity of an unnamed environment",
        ),
        pytest.param(
            {"environments": {"qa": 2}, "deny_open_severity": {"production": "critical"}},
            "names production",
            id="the default environments replaced",
        ),
    ],
)
def test_policy_refuses_bad_maturity_fields(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ServicePolicyDocument.model_validate(fields)

    assert message in str(refused.value)


def test_policy_without_maturity_fields_keeps_the_identity_policy_digest() -> None:
    identity_only = IdentityPolicy(identities=(IDENTITY,))
    spelled_null = ServicePolicyDocument.model_validate(
        {
            "identities": [IDENTITY.model_dump(exclude_none=True)],
            "environments": None,
            "min_sbom_quality": None,
            "coverage_window_days": None,
            "check_weights": None,
            "sbom_profiles": None,
            "sbom_component_share": None,
            "deny_open_severity": None,
        }
    )

    assert policy_digest(ServicePolicyDocument(identities=(IDENTITY,))) == policy_digest(
        identity_only
    )
    assert policy_digest(spelled_null) == policy_digest(identity_only)
    assert policy_digest(
        ServicePolicyDocument(identities=(IDENTITY,), min_sbom_quality=7.0)
    ) != policy_digest(identity_only)
