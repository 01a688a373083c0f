"""Policy exceptions: waivers of one check, requested by one admin and approved by another.

An exception is ``pending`` until a *different* admin approves it, then
``approved`` until it expires (at most 90 days after it was requested) or is
revoked. Only an approved, unexpired, unrevoked exception turns its check's
``fail`` into ``waived``; expiry needs no job, since every evaluation compares
``expires_at`` with the time it runs. Admins are told apart by token: the
approver's token must differ from the requester's in id and in name.

An exception may be scoped to an environment and to a release or one artifact's
digest; it then waives only where its scope covers the question (a deploy gate's,
or the service's own maturity). One check of one service is waived for at most 90
days in any 180, counting every exception of it, however they are split or
renewed: a request beyond that is refused with the dates.

The checks about exceptions themselves (``exceptions-controlled``,
``few-exceptions``) and ``service-repository`` cannot be waived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.auth.credentials import Principal
from app.db.base import CREATED_BY_MAX
from app.digests import normalise_digest
from app.errors import Conflict, Forbidden, InvalidRequest, NotFound
from app.pagination import clamp_limit, decode_position, encode_position
from app.policy.versions import current_policy
from app.scoring.checks import CHECKS
from app.scoring.gathering import exception_fact
from app.scoring.models import PolicyException
from app.scoring.repository import MaturityRepository
from app.scoring.schemas import (
    MAX_EXCEPTION_DAYS,
    ExceptionCreate,
    ExceptionOut,
    ExceptionPage,
    ExceptionQuery,
)
from app.services.models import Service
from app.services.repository import ServiceRepository

MAX_EXCEPTION_AGE = timedelta(days=MAX_EXCEPTION_DAYS)
# One (service, check) is waived for at most MAX_WAIVED in any WAIVER_WINDOW.
MAX_WAIVED = timedelta(days=90)
WAIVER_WINDOW = timedelta(days=180)


class ExceptionNotFound(NotFound):
    slug = "exception-not-found"
    title = "No such exception"


class SelfApproval(Forbidden):
    slug = "self-approval"
    title = "An exception must be approved by another admin"


class ExceptionNotPending(Conflict):
    slug = "exception-not-pending"
    title = "The exception is not waiting for approval"


class InvalidException(InvalidRequest):
    slug = "invalid-exception"
    title = "The exception cannot be requested"


@dataclass(frozen=True)
class ExceptionChange:
    """An exception after a request, an approval or a revocation, and its service."""

    row: PolicyException
    service: Service
    at: datetime  # when it happened
    changed: bool  # False: nothing was written (revoking a revoked exception)

    def out(self) -> ExceptionOut:
        return exception_out(self.row, self.service.name, self.at)


def request_exception(
    trail: AuditTrail, principal: Principal, body: ExceptionCreate
) -> ExceptionChange:
    """Store a pending exception; its check, justification and expiry are checked first."""
    now = trail.clock.now()
    service = ServiceRepository(trail.session).require(body.service)
    repository = MaturityRepository(trail.session)
    # Requests for one service queue here, so that none is judged against a budget another
    # is spending at the same time.
    repository.lock_service(service.id)
    reasons = _refusals(body, now)
    environments = current_policy(trail.session, service).policy.effective_environments
    if body.environment is not None and body.environment not in environments:
        known = ", ".join(sorted(environments))
        reasons.append(
            f"unknown-environment: the policy of {service.name} names no environment "
            f"{body.environment!r}; it names {known}"
        )
    if not reasons:
        earlier = [
            row for row in repository.exceptions_of(service.id) if row.check_id == body.check
        ]
        reasons.extend(_over_budget(earlier, body, now))
    if reasons:
        raise InvalidException(
            f"The exception for {body.check!r} cannot be requested: {'; '.join(reasons)}.",
            reasons=reasons,
        )
    row = PolicyException(
        service_id=service.id,
        check_id=body.check,
        justification=body.justification,
        expires_at=body.expires_at,
        requested_by=principal.name[:CREATED_BY_MAX],
        requested_by_token=principal.token_id,
        requested_at=now,
        scope_environment=body.environment,
        scope_release=body.release,
        scope_digest=normalise_digest(body.digest) if body.digest is not None else None,
        audit_index=0,
    )
    MaturityRepository(trail.session).add_exception(row)
    row.audit_index = trail.record(_change(Action.EXCEPTION_REQUESTED, row, service))
    return ExceptionChange(row, service, now, changed=True)


def _refusals(body: ExceptionCreate, now: datetime) -> list[str]:
    check = CHECKS.get(body.check)
    reasons: list[str] = []
    if check is None:
        reasons.append(f"unknown-check: no check is named {body.check!r}")
    elif not check.waivable:
        reasons.append(f"not-waivable: {body.check} cannot be waived")
    if body.expires_at <= now:
        reasons.append("expiry-in-past: expires_at must be in the future")
    elif body.expires_at > now + MAX_EXCEPTION_AGE:
        reasons.append(
            f"expiry-too-far: expires_at must be at most {MAX_EXCEPTION_DAYS} days ahead"
        )
    return reasons


def waived_span(row: PolicyException) -> tuple[datetime, datetime] | None:
    """When an exception waives (or, pending, may yet waive) its check; None if it never will.

    From its approval (a pending one: from its request) until it expires or is revoked.
    """
    if row.revoked_at is not None and row.approved_at is None:
        return None  # revoked before anyone approved it
    start = row.approved_at or row.requested_at
    end = min(row.expires_at, row.revoked_at) if row.revoked_at is not None else row.expires_at
    return (start, end) if end > start else None


def busiest_window(
    spans: Sequence[tuple[datetime, datetime]], window: timedelta
) -> tuple[datetime, timedelta]:
    """The start of the ``window``-long stretch most covered by ``spans``, and how much is.

    Overlapping spans count once: splitting a waiver or renewing it early does not hide
    any of it. The busiest window starts at a span's start or ends at a span's end.
    """
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    if not merged:
        raise ValueError("the busiest window of no span at all")
    starts = [start for start, _ in merged] + [end - window for _, end in merged]
    best = (starts[0], timedelta())
    for start in starts:
        end = start + window
        covered = sum(
            (min(e, end) - max(s, start) for s, e in merged if s < end and e > start),
            timedelta(),
        )
        if covered > best[1]:
            best = (start, covered)
    return best


def _over_budget(
    earlier: Sequence[PolicyException], body: ExceptionCreate, now: datetime
) -> list[str]:
    """The refusal of a waiver that would take the check past 90 days in any 180."""
    spans = [span for row in earlier if (span := waived_span(row)) is not None]
    spans.append((now, body.expires_at))
    start, covered = busiest_window(spans, WAIVER_WINDOW)
    if covered <= MAX_WAIVED:
        return []
    end = start + WAIVER_WINDOW
    return [
        f"waiver-budget: {body.check} would be waived for {_days(covered)} days between "
        f"{start.date().isoformat()} and {end.date().isoformat()}; a check may be waived for at "
        f"most {MAX_WAIVED.days} days in any {WAIVER_WINDOW.days}, however the exceptions are "
        "split or renewed"
    ]


def _days(span: timedelta) -> str:
    return f"{span / timedelta(days=1):.1f}".removesuffix(".0")


def approve_exception(
    trail: AuditTrail, principal: Principal, exception_id: int
) -> ExceptionChange:
    """Approve a pending exception; its requester cannot."""
    now = trail.clock.now()
    row, service = _locked(trail.session, exception_id)
    status = exception_fact(row).status(now)
    if status != "pending":
        raise ExceptionNotPending(
            f"Exception {exception_id} is {status}; only a pending exception can be approved.",
            reasons=[f"status: {status}"],
        )
    if principal.token_id == row.requested_by_token or principal.name == row.requested_by:
        raise SelfApproval(
            f"Exception {exception_id} was requested by {row.requested_by}; another admin "
            "must approve it.",
            reasons=["self-approval: the approver is the requester"],
        )
    row.approved_by = principal.name[:CREATED_BY_MAX]
    row.approved_by_token = principal.token_id
    row.approved_at = now
    trail.session.flush()
    trail.record(_change(Action.EXCEPTION_APPROVED, row, service))
    return ExceptionChange(row, service, now, changed=True)


def revoke_exception(trail: AuditTrail, principal: Principal, exception_id: int) -> ExceptionChange:
    """Revoke an exception in any state; revoking it again changes nothing."""
    now = trail.clock.now()
    row, service = _locked(trail.session, exception_id)
    if row.revoked_at is not None:
        return ExceptionChange(row, service, now, changed=False)
    row.revoked_by = principal.name[:CREATED_BY_MAX]
    row.revoked_at = now
    trail.session.flush()
    trail.record(_change(Action.EXCEPTION_REVOKED, row, service))
    return ExceptionChange(row, service, now, changed=True)


def get_exception(session: Session, exception_id: int, now: datetime) -> ExceptionOut:
    row, service = _find(session, exception_id, for_update=False)
    return exception_out(row, service.name, now)


def list_exceptions(session: Session, query: ExceptionQuery, now: datetime) -> ExceptionPage:
    """Exceptions in the order they were requested, optionally of one service and status."""
    size = clamp_limit(query.limit)
    position = decode_position(query.cursor, (int,))
    service_id = None
    if query.service is not None:
        service = ServiceRepository(session).require(query.service)
        service_id = service.id
    repository = MaturityRepository(session)
    after = None if position is None else int(position[0])
    items: list[ExceptionOut] = []
    more = False
    # Status depends on the time of reading, so it is filtered here, batch by batch.
    while True:
        batch = repository.exception_page(service_id=service_id, after=after, limit=size + 1)
        for row, name in batch:
            out = exception_out(row, name, now)
            if query.status is None or out.status == query.status:
                if len(items) == size:
                    more = True
                    break
                items.append(out)
        if more or len(batch) <= size:
            break
        after = batch[-1][0].id
    following = encode_position(items[-1].id) if more else None
    return ExceptionPage(items=items, next=following)


def exception_out(row: PolicyException, service: str, now: datetime) -> ExceptionOut:
    return ExceptionOut(
        id=row.id,
        service=service,
        check=row.check_id,
        justification=row.justification,
        status=exception_fact(row).status(now),
        expires_at=row.expires_at,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
        environment=row.scope_environment,
        release=row.scope_release,
        digest=row.scope_digest,
        audit_index=row.audit_index,
    )


def _locked(session: Session, exception_id: int) -> tuple[PolicyException, Service]:
    return _find(session, exception_id, for_update=True)


def _find(
    session: Session, exception_id: int, *, for_update: bool
) -> tuple[PolicyException, Service]:
    row = MaturityRepository(session).exception(exception_id, for_update=for_update)
    if row is None:
        raise ExceptionNotFound(f"No exception has the id {exception_id}.")
    return row, session.get_one(Service, row.service_id)


def _change(action: Action, row: PolicyException, service: Service) -> Change:
    return Change(
        action=action,
        object_kind="exception",
        object_id=str(row.id),
        result={
            "service": service.name,
            "check": row.check_id,
            "expires_at": row.expires_at.isoformat(),
            "requested_by": row.requested_by,
            "approved_by": row.approved_by,
            "revoked_by": row.revoked_by,
            "justification": row.justification,
        },
    )
