"""workload-identity over HTTP: the signer's kind comes from the policy, its ref from the tags.

``payments`` (tests/scoring/conftest.py) reaches level 3 with the release
workflow's signature and hosted build (``up_to``). Each test then adds one
signer, as an attacker or a legitimate pipeline would, and reads the level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.builders.bundles import DIGEST
from tests.builders.identities import BRANCH, RELEASE
from tests.builders.services import SERVICE
from tests.provenance.statements import TAG
from tests.scoring.reads import check_of
from tests.scoring.release_pipeline import Pipeline, up_to
from tests.sigstore_local import GitHubClaims, SignerIdentity

GITLAB = "https://gitlab.com"
GOOGLE = "https://accounts.google.com"
SERVICE_ACCOUNT = "rebuilder@acme-ci.iam.gserviceaccount.com"
REBUILDER_RULE = {
    "id": "https://rebuild.acme.example/builder",
    "signer": {"issuer": GOOGLE, "subject": SERVICE_ACCOUNT},
    "max_level": 2,
    "trust_domain": "acme-rebuild",
    "description": "acme's rebuilder",
}


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


def allow(payments: Pipeline, *identities: dict[str, Any], **fields: Any) -> None:
    """Add ``identities`` to the policy in force, with other ``fields`` changed."""
    current = payments.client.get(f"/v1/services/{SERVICE}/policy", headers=payments.admin)
    payments.policy(identities=[*current.json()["identities"], *identities], **fields)


def signed(payments: Pipeline, signer: SignerIdentity) -> dict[str, Any]:
    """The artifact signed once more by ``signer``; the receipt's signer."""
    receipt: dict[str, Any] = payments.signature(signer)["receipt"]["signer"]
    return receipt


def test_a_persons_e_mail_address_on_a_ci_issuer_is_no_workload(payments):
    """An e-mail address spelled like a URL, certified by GitLab.com's issuer: before, the
    check took any subject holding '://' from a CI issuer for a pipeline run, and the
    service stayed at level 3. The certificate says it is an e-mail address: a person."""
    alice = SignerIdentity(identity="https://alice@acme.example", issuer=GITLAB, san_type="email")
    allow(payments, {"issuer": GITLAB, "subject": alice.identity})
    assert up_to(payments, 3)["level"] == 3

    assert signed(payments, alice)["kind"] == "person"
    after = payments.maturity()
    assert after["level"] == 2
    workload = check_of(after, "workload-identity")
    assert workload["status"] == "fail"
    assert f"https://alice@acme.example ({GITLAB})" in workload["detail"]


def test_a_gitlab_pipeline_is_a_workload_like_a_github_workflow(payments):
    pipeline = SignerIdentity(
        identity=f"https://gitlab.com/acme/payments//.gitlab-ci.yml@{TAG}",
        issuer=GITLAB,
        github=GitHubClaims(source_repository_ref=TAG, runner_environment="gitlab-hosted"),
    )
    allow(payments, {"issuer": GITLAB, "subject_regex": r"https://gitlab\.com/acme/payments//.+"})
    up_to(payments, 3)

    assert signed(payments, pipeline)["kind"] == "workload"
    after = payments.maturity()
    assert after["level"] == 3
    assert check_of(after, "workload-identity")["status"] == "pass"


def test_a_trusted_builders_service_account_is_a_workload(payments):
    """A rebuilder signing with a cloud service account's e-mail identity: before, every
    e-mail signer counted as a person, so trusting the rebuilder cost the service level 3."""
    rebuilder = SignerIdentity.email(SERVICE_ACCOUNT, issuer=GOOGLE)
    allow(payments, {"issuer": GOOGLE, "subject": SERVICE_ACCOUNT})
    up_to(payments, 3)

    assert signed(payments, rebuilder)["kind"] == "person"  # listed, but not as a builder
    assert payments.maturity()["level"] == 2

    allow(payments, trusted_builders=[REBUILDER_RULE])
    # Its receipt is made again when the evidence is verified again under the new policy.
    reverified = payments.client.post(f"/v1/artifacts/{DIGEST}/reverify", headers=payments.admin)
    assert reverified.status_code == 200, reverified.text
    kinds = [item["receipt"]["signer"]["kind"] for item in reverified.json()["evidence"]]
    assert kinds == ["workload"] * len(kinds)
    after = payments.maturity()
    assert after["level"] == 3
    assert check_of(after, "workload-identity")["status"] == "pass"


def test_a_branch_build_does_not_lift_the_service_above_level_2(payments):
    """Everything built and signed from refs/heads/main under the default policy: before,
    workload-identity passed on any CI signer, whatever its ref; only the provenance's
    source binding held the level at 2. Now neither counts above level 2."""
    payments.sbom("good.cdx.json")
    assert signed(payments, BRANCH)["kind"] == "workload"
    built = payments.build("good-branch-ref.json", BRANCH)
    assert built["provenance"]["slsa_level"] == 2
    assert built["provenance"]["source_bound"] is False

    branch = payments.maturity()
    assert branch["level"] == 2
    statuses = {check["id"]: check["status"] for check in branch["checks"]}
    assert statuses["artifact-signed"] == statuses["provenance-present"] == "pass"
    assert statuses["workload-identity"] == statuses["hosted-builder"] == "fail"
    detail = check_of(branch, "workload-identity")["detail"]
    assert "only for refs/heads/main, none of the release refs 'refs/tags/.+'" in detail

    # The tag's release run lifts it; the branch's signature neither helps nor hurts.
    payments.signature(RELEASE)
    payments.build("good-attest-build-provenance-runner.json", RELEASE)
    tagged = payments.maturity()
    assert tagged["level"] == 3
    assert check_of(tagged, "workload-identity")["status"] == "pass"


def test_release_refs_say_which_refs_release(payments):
    allow(payments, release_refs="refs/heads/main")
    payments.sbom("good.cdx.json")
    payments.signature(BRANCH)
    payments.build("good-branch-ref.json", BRANCH)

    assert payments.maturity()["level"] == 3
