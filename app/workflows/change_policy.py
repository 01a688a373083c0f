"""Change a service's policy: store the new version, then judge the service's evidence under it.

The evidence of the service's window was judged under the policy it replaces: it
is checked again under the new version (``app.workflows.recheck``) before the
maturity is recomputed, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.policy.registry import update_policy
from app.policy.schemas import PolicyOut, PolicyUpdate
from app.workflows.recheck import refresh


def change_policy(
    trail: AuditTrail,
    service_name: str,
    update: PolicyUpdate,
    *,
    trust_roots: Sequence[TrustRoot],
) -> PolicyOut:
    """Apply the fields sent; a result equal to the policy in force stores nothing."""
    change = update_policy(trail, service_name, update)
    if change.changed:
        refresh(trail, change.service, trigger=Action.POLICY_UPDATED, trust_roots=trust_roots)
    return change.policy
