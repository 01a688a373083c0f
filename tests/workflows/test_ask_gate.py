"""ask_gate: the deploy gate's verdict, signed and recorded, and the refusals before it."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.artifacts.errors import ArtifactNotFound
from app.errors import Forbidden
from app.policy.schemas import PolicyUpdate
from app.scoring.schemas import ExceptionCreate, VerdictRequest
from app.scoring.verdicts import UnknownEnvironment
from app.scoring.vsa import GATE_FIELD, VsaInvalid, open_summary
from app.signing import ServiceKey
from app.workflows.accept_bundle import accept_bundle
from app.workflows.accept_sbom import accept_sbom
from app.workflows.ask_gate import ask_gate
from app.workflows.change_policy import change_policy
from app.workflows.manage_exceptions import approve_exception, request_exception
from tests.builders.bundles import DIGEST, DIGEST_HEX, NAME, build, signature
from tests.builders.credentials import admin, auditor, pipeline
from tests.builders.evidence import bundle_upload, sbom_upload
from tests.builders.identities import SELF_HOSTED
from tests.builders.services import SERVICE
from tests.sboms.uploads import audit_events
from tests.scoring.reads import stored_snapshots
from tests.scoring.release_pipeline import SBOMS

PIPELINE = pipeline(SERVICE)
UNKNOWN = "sha256:" + "3" * 64
PUBLIC_URL = "https://attestd.example"
VALIDITY = timedelta(days=1)


@pytest.fixture
def evidence(run_use_case, service, trust_roots, local_sigstore):
    """``evidence(*kinds)``: the release's good SBOM, signature or builds, as the pipeline sends."""

    def add(*kinds: str) -> None:
        for kind in kinds:
            if kind == "sbom":
                body = (SBOMS / "good.cdx.json").read_bytes()
                run_use_case(accept_sbom, PIPELINE, sbom_upload(body, artifact=DIGEST))
                continue
            bundle = {
                "signature": lambda: signature(local_sigstore),
                "hosted build": lambda: build(
                    local_sigstore, "good-attest-build-provenance-runner.json"
                ),
                "self-hosted build": lambda: build(
                    local_sigstore, "good-self-hosted-runner.json", SELF_HOSTED
                ),
            }[kind]()
            run_use_case(accept_bundle, PIPELINE, bundle_upload(bundle), trust_roots=trust_roots)

    return add


@pytest.fixture
def ask(run_use_case, audit_log):
    """``ask(environment=None, digest=DIGEST, principal=PIPELINE, key=None)``: the verdict,
    signed with ``key`` (default: the audit log's key, as when no summary key is configured)."""

    def run(environment=None, digest=DIGEST, principal=PIPELINE, key=None):
        request = VerdictRequest(digest=digest, environment=environment)
        return run_use_case(
            ask_gate,
            principal,
            request,
            key=key or audit_log.key,
            public_url=PUBLIC_URL,
            validity=VALIDITY,
        )

    return run


@pytest.fixture
def waive_hosted_builder(run_use_case, clock):
    """``waive_hosted_builder(lasting)``: an approved exception for hosted-builder, ending then."""

    def waive(lasting):
        requested = run_use_case(
            request_exception,
            admin(1, "admin-token"),
            ExceptionCreate(
                service=SERVICE,
                check="hosted-builder",
                justification="The hosted runners are being set up; tracked in SEC-1234.",
                expires_at=clock.now() + lasting,
            ),
        )
        run_use_case(approve_exception, admin(4, "second-admin"), requested.id)
        return requested

    return waive


def verdicts(run_in_session):
    return [leaf for leaf in audit_events(run_in_session) if leaf["action"] == "verdict.issued"]


def test_an_unknown_digest_is_not_found_and_no_verdict(ask, service, run_in_session):
    with pytest.raises(ArtifactNotFound) as refused:
        ask(digest=UNKNOWN)

    assert refused.value.reasons == [f"artifact-unknown: {UNKNOWN}"]
    assert verdicts(run_in_session) == []


def test_a_pipeline_token_of_another_service_is_forbidden(ask, evidence, run_in_session):
    evidence("sbom")
    with pytest.raises(Forbidden):
        ask(principal=pipeline("billing", name="billing-deployer"))

    # Admins and auditors may ask about any service.
    assert ask(principal=auditor()).decision == "deny"
    assert ask(principal=admin()).decision == "deny"
    assert len(verdicts(run_in_session)) == 2


def test_an_environment_the_policy_does_not_name_is_refused(ask, evidence, run_in_session):
    evidence("sbom")
    with pytest.raises(UnknownEnvironment) as refused:
        ask("moon")

    assert refused.value.reasons == ["unknown-environment: moon"]
    assert verdicts(run_in_session) == []


def test_the_gate_denies_with_reasons_then_allows_once_the_evidence_arrives(
    ask, evidence, audit_log, run_in_session
):
    evidence("sbom")
    denied = ask("staging")

    assert (denied.decision, denied.level, denied.required_level) == ("deny", 1, 2)
    assert denied.reasons[0].startswith(
        f"required-level: staging needs level 2 (Operate); {DIGEST} reaches level 1"
    )
    failing = {reason.split(":", 1)[0] for reason in denied.reasons[1:]}
    assert failing == {"artifact-signed", "provenance-present"}
    failed = open_summary(denied.vsa, audit_log.key.public)
    assert failed["predicate"]["verificationResult"] == "FAILED"

    evidence("signature", "hosted build")
    allowed = ask("staging")

    assert (allowed.decision, allowed.service, allowed.environment) == ("allow", SERVICE, "staging")
    assert allowed.level >= 2
    assert allowed.reasons == []
    summary = open_summary(allowed.vsa, audit_log.key.public)
    assert summary["subject"] == [{"name": NAME, "digest": {"sha256": DIGEST_HEX}}]
    predicate = summary["predicate"]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifier"]["id"] == PUBLIC_URL
    assert predicate["policy"]["uri"] == (
        f"{PUBLIC_URL}/v1/services/{SERVICE}/policy/versions/1/document"
    )
    assert predicate[GATE_FIELD] == {
        "service": SERVICE,
        "environment": "staging",
        "requiredLevel": 2,
        "level": allowed.level,
        "policyVersion": 1,
        "validUntil": (allowed.verified_at + VALIDITY).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "waivers": [],
    }
    assert allowed.valid_until == allowed.verified_at + VALIDITY
    # The SBOM and the two verified bundles, each by its raw URI and digest.
    assert len(predicate["inputAttestations"]) == 3

    deny_leaf, allow_leaf = verdicts(run_in_session)
    assert (deny_leaf["index"], allow_leaf["index"]) == (denied.audit_index, allowed.audit_index)
    assert allow_leaf["object"] == {"kind": "artifact", "id": DIGEST}
    assert allow_leaf["result"]["decision"] == "allow"
    assert deny_leaf["result"]["reasons"] == denied.reasons
    payload = base64.b64decode(allowed.vsa["payload"])
    assert allow_leaf["document_sha256"] == hashlib.sha256(payload).hexdigest()


def test_the_gate_sees_an_exception_expire_when_the_clock_moves(
    ask, evidence, run_use_case, run_in_session, clock, waive_hosted_builder
):
    # Level 2: the only build ran on a self-hosted runner, so hosted-builder (level 3) fails.
    evidence("sbom", "signature", "self-hosted build")
    run_use_case(
        change_policy,
        SERVICE,
        PolicyUpdate(environments={"production": 4, "staging": 2, "qa": 3}),
    )
    assert ask("qa").decision == "deny"
    requested = waive_hosted_builder(timedelta(days=10))
    # The snapshot the approval stored is valid until the exception expires.
    assert stored_snapshots(run_in_session)[-1].valid_until == requested.expires_at

    waived = ask("qa")
    assert (waived.decision, waived.level) == ("allow", 3)
    assert waived.waived == [f"hosted-builder: exception {requested.id}"]

    clock.advance(timedelta(days=11))
    expired = ask("qa")
    assert expired.decision == "deny"
    assert expired.waived == []
    assert any(reason.startswith("hosted-builder: ") for reason in expired.reasons)
    assert expired.verified_at - waived.verified_at >= timedelta(days=11)


def test_a_summary_resting_on_an_exception_ends_when_the_exception_does(
    ask, evidence, run_use_case, audit_log, waive_hosted_builder
):
    """Before, a summary carried no end: an allow owed to a waiver outlived the waiver."""
    evidence("sbom", "signature", "self-hosted build")
    run_use_case(change_policy, SERVICE, PolicyUpdate(environments={"production": 3}))
    requested = waive_hosted_builder(timedelta(hours=2))

    waived = ask()
    assert waived.decision == "allow"
    assert waived.valid_until == requested.expires_at
    gate = open_summary(waived.vsa, audit_log.key.public)["predicate"][GATE_FIELD]
    assert gate["validUntil"] == requested.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The summary says it rests on a waiver, and whose.
    assert gate["waivers"] == [
        {
            "check": "hosted-builder",
            "exception": requested.id,
            "approvedBy": "second-admin",
            "expires": requested.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ]


def test_the_summary_is_signed_with_the_key_given_for_summaries(ask, evidence, audit_log):
    evidence("sbom")
    summary_key = ServiceKey(Ed25519PrivateKey.generate())
    verdict = ask(key=summary_key)
    assert open_summary(verdict.vsa, summary_key.public)["predicate"][GATE_FIELD]
    with pytest.raises(VsaInvalid, match="names the key"):
        open_summary(verdict.vsa, audit_log.key.public)
