"""Change a service's policy: store the new version, then refresh the service's maturity."""

from __future__ import annotations

from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.policy.registry import update_policy
from app.policy.schemas import PolicyOut, PolicyUpdate
from app.scoring.snapshots import refresh_maturity


def change_policy(trail: AuditTrail, service_name: str, update: PolicyUpdate) -> PolicyOut:
    """Apply the fields sent; a result equal to the policy in force stores nothing."""
    change = update_policy(trail, service_name, update)
    if change.changed:
        refresh_maturity(
            trail.session, change.service, trigger=Action.POLICY_UPDATED, now=trail.clock.now()
        )
    return change.policy
