"""Request, approve and revoke exceptions: each change, then the service's maturity again."""

from __future__ import annotations

from collections.abc import Sequence

from app.attestations.trust import TrustRoot
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.auth.credentials import Principal
from app.scoring import exceptions
from app.scoring.exceptions import ExceptionChange
from app.scoring.schemas import ExceptionCreate, ExceptionOut
from app.workflows.recheck import refresh


def request_exception(
    trail: AuditTrail,
    principal: Principal,
    body: ExceptionCreate,
    *,
    trust_roots: Sequence[TrustRoot],
) -> ExceptionOut:
    """A pending exception, checked and stored; then the service's maturity again."""
    change = exceptions.request_exception(trail, principal, body)
    return _refreshed(trail, change, Action.EXCEPTION_REQUESTED, trust_roots)


def approve_exception(
    trail: AuditTrail, principal: Principal, exception_id: int, *, trust_roots: Sequence[TrustRoot]
) -> ExceptionOut:
    """An exception approved by an admin other than its requester; it now waives its check."""
    change = exceptions.approve_exception(trail, principal, exception_id)
    return _refreshed(trail, change, Action.EXCEPTION_APPROVED, trust_roots)


def revoke_exception(
    trail: AuditTrail, principal: Principal, exception_id: int, *, trust_roots: Sequence[TrustRoot]
) -> ExceptionOut:
    """An exception revoked; revoking it again changes nothing."""
    change = exceptions.revoke_exception(trail, principal, exception_id)
    return _refreshed(trail, change, Action.EXCEPTION_REVOKED, trust_roots)


def _refreshed(
    trail: AuditTrail, change: ExceptionChange, action: Action, trust_roots: Sequence[TrustRoot]
) -> ExceptionOut:
    if change.changed:
        refresh(trail, change.service, trigger=action, trust_roots=trust_roots, now=change.at)
    return change.out()
