"""accept_bundle: signatures, provenance, signed SBOMs and OpenVEX verified and stored, without
HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.attestations.bundles import BundleRejected
from app.audit.actions import Action
from app.provenance.repository import ProvenanceRepository
from app.sboms.models import Sbom
from app.vulnerabilities.openvex import VexMalformed, read_openvex
from app.vulnerabilities.repository import VexRepository
from app.workflows.accept_bundle import accept_bundle
from app.workflows.intake import ServiceNotWritable
from tests.attestations.submissions import NOTHING_STORED, attestation_events, stored_counts
from tests.builders.bundles import CYCLONEDX_PREDICATE, DIGEST, NAME, build, signature, signed_sbom
from tests.builders.credentials import pipeline
from tests.builders.evidence import bundle_upload
from tests.builders.identities import FORK, RELEASE
from tests.builders.services import SERVICE
from tests.builders.vex import OPENVEX_V020, openvex, signed_vex, vex_statement
from tests.provenance.statements import COMMIT, TAG
from tests.sboms.sbom_files import read
from tests.sboms.uploads import audit_events
from tests.scoring.reads import stored_snapshots

PIPELINE = pipeline(SERVICE)
HOSTED_BUILD = "good-attest-build-provenance-runner.json"


@pytest.fixture
def accept(run_use_case, trust_roots):
    """``accept(bundle, principal=…, **upload)``: the bundle as the pipeline submits it."""

    def run(bundle, principal=PIPELINE, **upload):
        return run_use_case(
            accept_bundle, principal, bundle_upload(bundle, **upload), trust_roots=trust_roots
        )

    return run


def test_a_message_signature_is_accepted_with_its_receipt(
    accept, service, local_sigstore, run_in_session
):
    accepted = accept(signature(local_sigstore))

    assert accepted.created is True
    record = accepted.record
    assert (record.kind, record.service, record.predicate_type) == ("signature", SERVICE, None)
    assert [(s.name, s.digest) for s in record.subjects] == [(None, DIGEST)]
    receipt = record.receipt
    assert receipt.verified is True
    assert receipt.reasons == []
    assert (receipt.signer.subject, receipt.signer.issuer) == (RELEASE.identity, RELEASE.issuer)
    assert receipt.policy_version == 1
    assert receipt.audit_index == record.audit_index
    assert (record.provenance, record.sbom) == (None, None)
    assert record.uploaded_by == PIPELINE.name

    counts = stored_counts(run_in_session)
    assert (counts["attestations"], counts["verification_receipts"]) == (1, 1)
    assert (counts["artifacts"], counts["attestation_subjects"], counts["sboms"]) == (1, 1, 0)
    (leaf,) = attestation_events(run_in_session)
    assert (leaf["action"], leaf["index"]) == ("attestation.accepted", record.audit_index)
    snapshot = stored_snapshots(run_in_session)[-1]
    assert record.maturity is not None
    assert (snapshot.id, snapshot.trigger) == (record.maturity.snapshot_id, "attestation.accepted")


def test_a_slsa_provenance_is_stored_with_its_check(
    accept, service, local_sigstore, run_in_session
):
    accepted = accept(build(local_sigstore, HOSTED_BUILD))

    record = accepted.record
    assert record.kind == "attestation"
    assert record.predicate_type == "https://slsa.dev/provenance/v1"
    assert [(s.name, s.digest) for s in record.subjects] == [(NAME, DIGEST)]
    provenance = record.provenance
    assert provenance is not None
    assert (provenance.attestation_id, provenance.slsa_level) == (record.id, 2)
    assert provenance.source_bound is True
    assert provenance.source is not None
    assert (provenance.source.ref, provenance.source.commit) == (TAG, COMMIT)

    def stored_check(session):
        found = ProvenanceRepository(session).of_attestation(record.id)
        assert found is not None
        _, check = found
        return check.receipt_id, check.slsa_level, check.source_bound, check.policy_version

    assert run_in_session(stored_check) == (record.receipt.id, 2, True, 1)
    (leaf,) = attestation_events(run_in_session)
    assert leaf["result"]["provenance"]["slsa_level"] == 2
    assert stored_snapshots(run_in_session)[-1].trigger == "attestation.accepted"


def test_an_sbom_predicate_is_stored_as_a_signed_sbom(
    accept, service, local_sigstore, run_in_session
):
    accepted = accept(signed_sbom(local_sigstore, read("cyclonedx-1.6.json")))

    record = accepted.record
    assert record.predicate_type == CYCLONEDX_PREDICATE
    assert record.sbom is not None

    def stored_sbom(session):
        sbom = session.scalars(select(Sbom)).one()
        return sbom.id, sbom.digest, sbom.attestation_id, sbom.component_count

    sbom_id, digest, attestation_id, components = run_in_session(stored_sbom)
    assert (sbom_id, digest) == (record.sbom.id, record.sbom.digest)
    assert attestation_id == record.id
    assert components > 0
    actions = [leaf["action"] for leaf in audit_events(run_in_session)]
    assert actions[-2:] == ["attestation.accepted", "sbom.accepted"]
    assert stored_snapshots(run_in_session)[-1].trigger == "attestation.accepted"


def test_a_signer_the_policy_does_not_allow_is_refused_and_nothing_is_kept(
    accept, service, local_sigstore, run_in_session
):
    snapshots = stored_snapshots(run_in_session)

    with pytest.raises(BundleRejected) as refused:
        accept(signature(local_sigstore, signer=FORK))

    error = refused.value
    assert error.slugs == ("identity-mismatch",)
    assert error.reasons[0].startswith("identity-mismatch: ")
    change = error.audit_change
    assert change is not None
    assert change.action == Action.ATTESTATION_REJECTED
    assert change.result["problem"] == "bundle-rejected"
    assert change.result["reasons"] == error.reasons
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert attestation_events(run_in_session) == []
    assert len(stored_snapshots(run_in_session)) == len(snapshots)


def test_an_openvex_attestation_is_stored_with_its_statements(
    accept, service, local_sigstore, run_in_session
):
    document = openvex(vex_statement(), vex_statement("fixed", vulnerability="CVE-2024-0002"))

    accepted = accept(signed_vex(local_sigstore, document))

    record = accepted.record
    assert (record.kind, record.predicate_type) == ("attestation", OPENVEX_V020)
    statements = run_in_session(lambda session: VexRepository(session).of_attestations([record.id]))
    assert [(s.attestation_id, s.index, s.statement) for s in statements] == [
        (record.id, index, statement)
        for index, statement in enumerate(read_openvex(document, received=record.created_at))
    ]
    assert stored_counts(run_in_session)["vex_statements"] == 2


def test_a_malformed_openvex_attestation_is_refused_and_nothing_is_kept(
    accept, service, local_sigstore, run_in_session
):
    """It verifies, but its predicate is no OpenVEX the spec allows: nothing of it counts."""
    document = openvex(vex_statement(), vex_statement("not_affected", justification=None))

    with pytest.raises(VexMalformed) as refused:
        accept(signed_vex(local_sigstore, document))

    assert refused.value.reasons == [
        "statements[1]: not_affected needs a justification or an impact_statement"
    ]
    change = refused.value.audit_change
    assert change is not None
    assert change.action == Action.ATTESTATION_REJECTED
    assert stored_counts(run_in_session) == NOTHING_STORED


def test_the_same_bundle_again_is_a_repeat(accept, service, local_sigstore, run_in_session):
    bundle = signature(local_sigstore)
    first = accept(bundle)
    counts = stored_counts(run_in_session)
    snapshots = len(stored_snapshots(run_in_session))

    again = accept(bundle)

    assert again.created is False
    assert again.record.id == first.record.id
    assert again.record.receipt == first.record.receipt
    assert again.record.maturity is None
    assert stored_counts(run_in_session) == counts
    assert len(stored_snapshots(run_in_session)) == snapshots
    actions = [leaf["action"] for leaf in attestation_events(run_in_session)]
    assert actions == ["attestation.accepted", "attestation.repeated"]


def test_a_token_of_another_service_is_refused(accept, service, local_sigstore, run_in_session):
    with pytest.raises(ServiceNotWritable) as refused:
        accept(signature(local_sigstore), principal=pipeline("billing", name="billing-pipeline"))

    change = refused.value.audit_change
    assert change is not None
    assert change.action == Action.ATTESTATION_REJECTED
    assert change.result["problem"] == "service-not-writable"
    assert stored_counts(run_in_session) == NOTHING_STORED
