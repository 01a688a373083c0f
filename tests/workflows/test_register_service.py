"""register_service and change_service: the registry, the first policy, the first snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.attestations.bundles import BundleRejected
from app.policy.models import ServicePolicy
from app.policy.registry import get_policy
from app.services.errors import ServiceExists
from app.services.schemas import ServiceUpdate
from app.workflows.accept_bundle import accept_bundle
from app.workflows.register_service import change_service, register_service
from tests.builders.bundles import signature
from tests.builders.credentials import pipeline
from tests.builders.evidence import bundle_upload
from tests.builders.services import REPOSITORY, REPOSITORY_URL, SERVICE, service_create
from tests.sboms.uploads import audit_events
from tests.scoring.reads import stored_snapshots

GITLAB = "https://gitlab.com/acme/payments"


def stored_policies(run_in_session) -> int:
    def count(session):
        return session.scalar(select(func.count()).select_from(ServicePolicy))

    result: int = run_in_session(count)
    return result


def test_a_github_service_gets_its_workflows_as_policy_version_1(run_use_case, run_in_session):
    registered = run_use_case(register_service, service_create())

    assert (registered.name, registered.repository) == (SERVICE, REPOSITORY_URL)
    policy = run_in_session(lambda session: get_policy(session, SERVICE))
    assert policy.version == 1
    (identity,) = policy.identities
    assert identity.repository == REPOSITORY
    assert stored_policies(run_in_session) == 1
    leaves = audit_events(run_in_session)
    assert [leaf["action"] for leaf in leaves] == ["service.created", "policy.created"]
    assert leaves[0]["actor"]["role"] == "admin"
    (first,) = stored_snapshots(run_in_session)
    assert (first.trigger, first.policy_version, first.level) == ("service.created", 1, 0)
    assert first.computed_at == registered.created_at


@pytest.mark.xfail(
    strict=True,
    raises=BundleRejected,
    reason="GitHub owner and repository names are case-insensitive and Fulcio certifies "
    "them in the repository's own case, but the repository URL keeps the case it was "
    "typed in and the default policy matches the signer case-sensitively: a service "
    "registered as github.com/Acme/Payments refuses every workflow of acme/payments",
)
def test_a_github_repository_typed_in_another_case_accepts_its_own_workflows(
    run_use_case, trust_roots, local_sigstore
):
    run_use_case(register_service, service_create(repository="https://github.com/Acme/Payments"))

    accepted = run_use_case(
        accept_bundle,
        pipeline(SERVICE),
        bundle_upload(signature(local_sigstore)),
        trust_roots=trust_roots,
    )

    assert accepted.record.receipt.verified is True


def test_a_service_on_another_host_stores_no_policy(run_use_case, run_in_session):
    run_use_case(register_service, service_create(repository=GITLAB))

    policy = run_in_session(lambda session: get_policy(session, SERVICE))
    assert (policy.version, policy.identities) == (0, [])
    assert stored_policies(run_in_session) == 0
    assert [leaf["action"] for leaf in audit_events(run_in_session)] == ["service.created"]
    (first,) = stored_snapshots(run_in_session)
    assert (first.trigger, first.policy_version) == ("service.created", 0)


def test_a_taken_name_is_refused_and_nothing_is_written(run_use_case, service, run_in_session):
    leaves = audit_events(run_in_session)

    with pytest.raises(ServiceExists):
        run_use_case(register_service, service_create(repository=GITLAB))

    assert audit_events(run_in_session) == leaves
    assert len(stored_snapshots(run_in_session)) == 1


def test_a_change_that_changes_nothing_writes_nothing(run_use_case, service, run_in_session):
    leaves = audit_events(run_in_session)

    same = run_use_case(change_service, SERVICE, ServiceUpdate(repository=REPOSITORY_URL))

    assert same.updated_at == service.updated_at
    assert audit_events(run_in_session) == leaves
    assert [row.trigger for row in stored_snapshots(run_in_session)] == ["service.created"]


def test_a_change_is_recorded_and_moves_the_maturity(run_use_case, service, run_in_session):
    changed = run_use_case(change_service, SERVICE, ServiceUpdate(repository=GITLAB))

    assert changed.repository == GITLAB
    leaf = audit_events(run_in_session)[-1]
    assert leaf["action"] == "service.updated"
    assert leaf["result"] == {"changed": {"repository": GITLAB}}
    last = stored_snapshots(run_in_session)[-1]
    assert (last.trigger, last.computed_at) == ("service.updated", changed.updated_at)
