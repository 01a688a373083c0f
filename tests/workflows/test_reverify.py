"""reverify_artifact: stored evidence verified again against the policy in force now.

The artifact and attestation records (``get_artifact``, ``get_attestation``) are
read back here too: they show the newest receipt.
"""

from __future__ import annotations

import pytest

from app.artifacts.errors import ArtifactNotFound
from app.attestations.models import VerificationReceipt
from app.attestations.records import AttestationNotFound
from app.policy.schemas import PolicyUpdate
from app.workflows.accept_bundle import accept_bundle
from app.workflows.artifact_record import get_artifact
from app.workflows.attestation_record import get_attestation
from app.workflows.change_policy import change_policy
from app.workflows.reverify import reverify_artifact
from tests.attestations.submissions import stored_counts
from tests.builders.bundles import DIGEST, signature
from tests.builders.credentials import pipeline
from tests.builders.evidence import bundle_upload
from tests.builders.identities import FORK
from tests.builders.services import SERVICE
from tests.sboms.uploads import audit_events
from tests.scoring.reads import stored_snapshots


def check_status(snapshot, check_id: str) -> str:
    (status,) = [check["status"] for check in snapshot.checks if check["id"] == check_id]
    return status


# A policy that allows only the fork's workflow: the release workflow no longer signs.
ONLY_THE_FORK = PolicyUpdate.model_validate(
    {"identities": [{"issuer": FORK.issuer, "subject": FORK.identity}]}
)


def test_evidence_the_policy_no_longer_allows_gets_a_receipt_that_says_why(
    run_use_case, service, trust_roots, local_sigstore, run_in_session
):
    accepted = run_use_case(
        accept_bundle,
        pipeline(SERVICE),
        bundle_upload(signature(local_sigstore)),
        trust_roots=trust_roots,
    )
    policy = run_use_case(change_policy, SERVICE, ONLY_THE_FORK)

    result = run_use_case(reverify_artifact, DIGEST, trust_roots=trust_roots)

    assert (result.digest, result.service) == (DIGEST, SERVICE)
    (evidence,) = result.evidence
    assert evidence.attestation_id == accepted.record.id
    receipt = evidence.receipt
    assert receipt.id != accepted.record.receipt.id
    assert receipt.verified is False
    assert [reason.split(":", 1)[0] for reason in receipt.reasons] == ["identity-mismatch"]
    assert receipt.policy_version == policy.version == 2
    assert receipt.audit_index == result.audit_index
    # The upload's receipt, the policy change's re-check of it, and this one.
    assert stored_counts(run_in_session)["verification_receipts"] == 3

    leaf = audit_events(run_in_session)[-1]
    assert leaf["action"] == "artifact.reverified"
    assert leaf["index"] == result.audit_index
    assert leaf["result"]["evidence"] == [
        {"attestation_id": accepted.record.id, "receipt_id": receipt.id, "verified": False}
    ]
    # The policy change itself judged the evidence under version 2 (app.workflows.recheck).
    accepted_at, changed, last = stored_snapshots(run_in_session)[-3:]
    assert [row.trigger for row in (accepted_at, changed, last)] == [
        "attestation.accepted",
        "policy.updated",
        "artifact.reverified",
    ]
    assert last.policy_version == 2
    assert [check_status(row, "artifact-signed") for row in (accepted_at, changed, last)] == [
        "pass",
        "fail",
        "fail",
    ]

    # The records read back show the newest receipt; the first one is kept as it was.
    record = run_in_session(lambda session: get_attestation(session, accepted.record.id))
    assert record.receipt == receipt
    artifact = run_in_session(lambda session: get_artifact(session, DIGEST))
    (signed,) = artifact.signatures
    assert (signed.id, signed.verified) == (accepted.record.id, False)
    assert signed.receipt.id == receipt.id
    first = run_in_session(
        lambda session: session.get_one(VerificationReceipt, accepted.record.receipt.id)
    )
    assert (first.verified, first.reasons, first.policy_version) == (True, [], 1)


def test_an_unknown_digest_is_refused(run_use_case, service, trust_roots, run_in_session):
    leaves = audit_events(run_in_session)
    with pytest.raises(ArtifactNotFound):
        run_use_case(reverify_artifact, DIGEST, trust_roots=trust_roots)
    with pytest.raises(ArtifactNotFound):
        run_in_session(lambda session: get_artifact(session, DIGEST))
    with pytest.raises(AttestationNotFound):
        run_in_session(lambda session: get_attestation(session, 1))

    assert audit_events(run_in_session) == leaves
    assert len(stored_snapshots(run_in_session)) == 1
