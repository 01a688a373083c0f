"""accept_sbom: an SBOM stored for its service, a repeat, and the refusals, without HTTP."""

from __future__ import annotations

import pytest

from app.audit.actions import Action
from app.audit.events import Actor
from app.errors import AppError
from app.services.errors import ServiceNotFound
from app.workflows.accept_sbom import accept_sbom
from app.workflows.intake import ServiceNotWritable
from tests.builders.credentials import admin, auditor, pipeline
from tests.builders.evidence import sbom_upload
from tests.builders.services import SERVICE
from tests.sboms.sbom_files import read
from tests.sboms.uploads import DIGEST_A, NOTHING_STORED, audit_events, stored_counts
from tests.scoring.reads import stored_snapshots

PIPELINE = pipeline(SERVICE)


def test_a_new_sbom_is_stored_and_moves_the_maturity(run_use_case, service, run_in_session):
    upload = sbom_upload(read("cyclonedx-1.6.json"))
    accepted = run_use_case(accept_sbom, PIPELINE, upload)

    assert accepted.created is True
    record = accepted.record
    assert record.digest == upload.digest
    assert record.artifact.digest == DIGEST_A
    assert record.service == SERVICE
    maturity = record.maturity
    assert maturity is not None
    assert (maturity.level, maturity.level_change) == (1, 1)
    assert maturity.score_change > 0

    counts = stored_counts(run_in_session)
    assert (counts["blobs"], counts["artifacts"], counts["sboms"]) == (1, 1, 1)
    assert counts["components"] > 0
    registered, after = stored_snapshots(run_in_session)
    assert registered.trigger == Action.SERVICE_CREATED
    assert (after.id, after.trigger, after.level) == (maturity.snapshot_id, "sbom.accepted", 1)
    leaf = audit_events(run_in_session)[-1]
    assert leaf["action"] == "sbom.accepted"
    assert leaf["actor"] == {"type": "token", "name": PIPELINE.name, "role": "pipeline"}
    assert leaf["index"] == record.audit_index


def test_the_same_bytes_again_are_a_repeat_that_adds_nothing(run_use_case, service, run_in_session):
    upload = sbom_upload(read("cyclonedx-1.6.json"))
    first = run_use_case(accept_sbom, PIPELINE, upload)
    counts = stored_counts(run_in_session)
    snapshots = stored_snapshots(run_in_session)

    again = run_use_case(accept_sbom, PIPELINE, upload)

    assert again.created is False
    assert again.record.id == first.record.id
    assert again.record.maturity is None
    assert stored_counts(run_in_session) == counts
    assert [row.id for row in stored_snapshots(run_in_session)] == [row.id for row in snapshots]
    leaf = audit_events(run_in_session)[-1]
    assert leaf["action"] == "sbom.repeated"
    assert leaf["object"] == {"kind": "sbom", "id": str(first.record.id)}


def test_a_token_of_another_service_is_refused_and_only_the_rejection_is_recorded(
    run_use_case, service, run_in_session, audit_log
):
    leaves = audit_events(run_in_session)
    snapshots = stored_snapshots(run_in_session)
    upload = sbom_upload(read("cyclonedx-1.6.json"))

    refused_by = pipeline("billing", name="billing-pipeline")
    with pytest.raises(ServiceNotWritable) as refused:
        run_use_case(accept_sbom, refused_by, upload)

    # The HTTP layer rolls the request back, then records this change alone.
    change = refused.value.audit_change
    assert change is not None
    assert change.action == Action.SBOM_REJECTED
    assert (change.object_kind, change.object_id) == ("sbom", upload.digest)
    assert change.document_sha256 == upload.digest.removeprefix("sha256:")
    assert change.result == {
        "service": SERVICE,
        "artifact": DIGEST_A,
        "status": 403,
        "problem": "service-not-writable",
        "reasons": [],
    }
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert audit_events(run_in_session) == leaves
    assert len(stored_snapshots(run_in_session)) == len(snapshots)

    # What the session dependency then appends, in a transaction of its own.
    run_in_session(
        lambda session: audit_log.append(
            session, actor=Actor.of(refused_by), request_id="rejected", change=change
        )
    )
    (rejection,) = audit_events(run_in_session)[len(leaves) :]
    assert (rejection["action"], rejection["result"]) == ("sbom.rejected", change.result)
    assert rejection["actor"]["name"] == refused_by.name
    assert stored_counts(run_in_session) == NOTHING_STORED


@pytest.mark.parametrize("caller", [admin(), auditor()], ids=["admin", "auditor"])
def test_only_a_pipeline_token_submits_evidence_whoever_calls_the_use_case(
    run_use_case, service, run_in_session, caller
):
    # The routes admit pipeline tokens only; the use case holds to it on its own.
    upload = sbom_upload(read("cyclonedx-1.6.json"))
    with pytest.raises(ServiceNotWritable) as refused:
        run_use_case(accept_sbom, caller, upload)
    assert f"has the role {caller.role.value}" in refused.value.detail
    assert stored_counts(run_in_session) == NOTHING_STORED


@pytest.mark.parametrize(
    ("file", "content_type", "slug", "reason"),
    [
        (
            "bad-cyclonedx-1.6-component-without-name.json",
            "application/vnd.cyclonedx+json",
            "sbom-schema-invalid",
            "/components/0: ",
        ),
        (
            "bad-cyclonedx-1.6-truncated.json",
            "application/vnd.cyclonedx+json",
            "sbom-malformed",
            "line ",
        ),
        ("bad-not-an-sbom.json", "application/json", "sbom-unsupported-format", "bomFormat"),
    ],
)
def test_an_invalid_document_is_refused_with_its_slug(
    run_use_case, service, run_in_session, file, content_type, slug, reason
):
    upload = sbom_upload(read(file), content_type=content_type)
    with pytest.raises(AppError) as refused:
        run_use_case(accept_sbom, PIPELINE, upload)

    error = refused.value
    assert error.slug == slug
    assert any(reason in text for text in error.reasons), error.reasons
    change = error.audit_change
    assert change is not None
    assert change.action == Action.SBOM_REJECTED
    assert change.result["problem"] == slug
    assert change.result["reasons"] == error.reasons[:5]
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert [row.trigger for row in stored_snapshots(run_in_session)] == ["service.created"]


def test_an_unknown_service_is_refused_as_a_rejection(run_use_case, run_in_session):
    upload = sbom_upload(read("cyclonedx-1.6.json"), service="billing")
    with pytest.raises(ServiceNotFound) as refused:
        run_use_case(accept_sbom, pipeline(), upload)

    change = refused.value.audit_change
    assert change is not None
    assert change.action == Action.SBOM_REJECTED
    assert change.result["problem"] == "service-not-found"
    assert stored_counts(run_in_session) == NOTHING_STORED
    assert audit_events(run_in_session) == []
