"""Read maturity: a service's, its history, the fleet's, never older than the rules in force.

A stored snapshot answers a read while it holds: computed under the policy and
trust roots in force, and before its ``valid_until``. Otherwise it is computed
again first, with the service's evidence brought up to date
(``app.workflows.recheck``): a read by an attestd that loaded other trust roots
never answers with a level those roots would not give.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.attestations.trust import TrustRoot, roots_digest
from app.audit.log import AuditTrail
from app.scoring import snapshots
from app.scoring.models import MaturitySnapshot
from app.scoring.repository import MaturityRepository
from app.scoring.schemas import HistoryQuery, MaturityOut, MaturityPage, MaturityQuery, SnapshotPage
from app.services.models import Service
from app.services.repository import ServiceRepository
from app.workflows.recheck import in_force, refresh


def service_maturity(
    trail: AuditTrail, name: str, *, trust_roots: Sequence[TrustRoot]
) -> MaturityOut:
    """The service's maturity now."""
    service = ServiceRepository(trail.session).require(name)
    return snapshots.maturity_out(service.name, current_snapshot(trail, service, trust_roots))


def maturity_history(
    trail: AuditTrail, name: str, query: HistoryQuery, *, trust_roots: Sequence[TrustRoot]
) -> SnapshotPage:
    """The service's snapshots, newest first, the newest one holding now."""
    service = ServiceRepository(trail.session).require(name)
    current_snapshot(trail, service, trust_roots)
    return snapshots.maturity_history(trail.session, service, query)


def list_maturity(
    trail: AuditTrail, query: MaturityQuery, *, trust_roots: Sequence[TrustRoot]
) -> MaturityPage:
    """Every service's maturity now, filtered and sorted."""
    snapshots.check_listing(query)
    stale = MaturityRepository(trail.session).stale_services(
        trail.clock.now(), roots_digest(trust_roots)
    )
    for service in stale:
        current_snapshot(trail, service, trust_roots)
    return snapshots.list_maturity(trail.session, query)


def current_snapshot(
    trail: AuditTrail, service: Service, trust_roots: Sequence[TrustRoot]
) -> MaturitySnapshot:
    """The service's newest snapshot, computed again first when it no longer holds."""
    now = trail.clock.now()
    row = MaturityRepository(trail.session).latest_snapshot(service.id)
    why = snapshots.out_of_date(row, now, in_force(trail.session, service, trust_roots))
    if why is None and row is not None:
        return row
    return refresh(
        trail,
        service,
        trigger=why or snapshots.Recompute.FIRST_READ,
        trust_roots=trust_roots,
        now=now,
    )
