"""change_policy: a new version and a snapshot under it; the same policy again stores nothing."""

from __future__ import annotations

import pytest

from app.policy.schemas import PolicyUpdate
from app.services.errors import ServiceNotFound
from app.workflows.change_policy import change_policy
from tests.builders.services import SERVICE
from tests.sboms.uploads import audit_events
from tests.scoring.reads import stored_snapshots

QUORUM_3 = PolicyUpdate(reproducibility_quorum=3)


def test_a_change_stores_a_new_version_and_a_snapshot_under_it(
    run_use_case, service, run_in_session
):
    policy = run_use_case(change_policy, SERVICE, QUORUM_3)

    assert (policy.version, policy.reproducibility_quorum) == (2, 3)
    leaf = audit_events(run_in_session)[-1]
    assert (leaf["action"], leaf["object"]["id"]) == ("policy.updated", SERVICE)
    assert leaf["result"]["version"] == 2
    assert leaf["result"]["digest"] == policy.digest
    snapshots = stored_snapshots(run_in_session)
    assert [row.trigger for row in snapshots] == ["service.created", "policy.updated"]
    assert (snapshots[-1].policy_version, snapshots[-1].policy_digest) == (2, policy.digest)


def test_the_same_policy_again_stores_nothing_and_no_snapshot(
    run_use_case, service, run_in_session
):
    first = run_use_case(change_policy, SERVICE, QUORUM_3)
    leaves = audit_events(run_in_session)
    snapshots = stored_snapshots(run_in_session)

    again = run_use_case(change_policy, SERVICE, QUORUM_3)

    assert again == first
    assert audit_events(run_in_session) == leaves
    assert [row.id for row in stored_snapshots(run_in_session)] == [row.id for row in snapshots]


def test_an_unknown_service_is_refused(run_use_case, run_in_session):
    with pytest.raises(ServiceNotFound):
        run_use_case(change_policy, SERVICE, QUORUM_3)

    assert audit_events(run_in_session) == []
