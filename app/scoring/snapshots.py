"""Maturity snapshots: recomputed with every change that can move them, and when time does.

Every change that can move a service's maturity (new evidence, a policy
version, an exception requested, approved or revoked, a re-verification, the
service's repository) calls ``refresh_maturity`` in its own transaction, so the
snapshot commits or rolls back with the change. Time alone moves it too: an
exception expires, a release leaves the coverage window. Each snapshot records
``valid_until``, the first such moment, and the policy and trust roots it was
computed under; a read after that moment, or by an attestd under other trust
roots or policy, recomputes it first (``out_of_date``, ``app.workflows.read_maturity``).
"""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from app.audit.actions import Action
from app.errors import InvalidCursor, InvalidRequest
from app.pagination import clamp_limit, decode_position, encode_position
from app.policy.maturity import LEVEL_NAMES, MAX_LEVEL
from app.scoring.checks import CHECKS, CheckResult, Maturity, evaluate
from app.scoring.gathering import Gathered, InForce, Judged, gather
from app.scoring.models import MaturitySnapshot
from app.scoring.repository import MaturityRepository
from app.scoring.schemas import (
    CheckOut,
    HistoryQuery,
    MaturityDelta,
    MaturityOut,
    MaturityPage,
    MaturityQuery,
    MaturityRow,
    SnapshotOut,
    SnapshotPage,
)
from app.services.models import Service


class Recompute(enum.StrEnum):
    """Why a snapshot was computed when no change caused it."""

    FIRST_READ = "first-read"  # read before any change stored one
    TIME = "time"  # read after its valid_until
    TRUST_ROOTS = "trust-roots"  # read by an attestd that loaded other trust roots
    POLICY = "policy"  # read after a policy version stored since it was computed


# What caused a snapshot: a change (as its audit leaf names it), or time.
Trigger = Action | Recompute


def refresh_maturity(
    session: Session,
    service: Service,
    *,
    trigger: Trigger,
    now: datetime,
    in_force: InForce,
    judged: Judged | None = None,
) -> MaturitySnapshot:
    """Evaluate ``service`` at ``now`` and store the result as its newest snapshot."""
    MaturityRepository(session).lock_service(service.id)
    gathered = gather(session, service, now, in_force, judged=judged)
    maturity = evaluate(gathered.facts, gathered.rules)
    return _store(
        session,
        service,
        gathered,
        maturity,
        trigger=trigger,
        trust_roots_digest=in_force.trust_roots_digest,
    )


def refresh_with_delta(
    session: Session,
    service: Service,
    *,
    trigger: Trigger,
    now: datetime,
    in_force: InForce,
    judged: Judged | None = None,
) -> MaturityDelta:
    """``refresh_maturity``, answered with the change from the previous snapshot."""
    previous = MaturityRepository(session).latest_summary(service.id)
    row = refresh_maturity(
        session, service, trigger=trigger, now=now, in_force=in_force, judged=judged
    )
    return MaturityDelta(
        snapshot_id=row.id,
        level=row.level,
        level_name=LEVEL_NAMES[row.level],
        score=row.score,
        level_change=row.level - previous.level if previous is not None else 0,
        score_change=round(row.score - previous.score, 1) if previous is not None else 0.0,
    )


def _store(
    session: Session,
    service: Service,
    gathered: Gathered,
    maturity: Maturity,
    *,
    trigger: Trigger,
    trust_roots_digest: str,
) -> MaturitySnapshot:
    target = gathered.facts.target
    return MaturityRepository(session).add_snapshot(
        MaturitySnapshot(
            service_id=service.id,
            level=maturity.level,
            score=maturity.score,
            base_score=maturity.base_score,
            checks=[_check_json(check) for check in maturity.checks],
            inputs=gathered.inputs,
            target_release=target.key if target is not None else None,
            policy_version=gathered.policy.version,
            policy_digest=gathered.policy.digest,
            trust_roots_digest=trust_roots_digest,
            trigger=str(trigger),
            computed_at=gathered.facts.now,
            valid_until=gathered.valid_until,
        )
    )


def _check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "level": check.level,
        "title": check.title,
        "status": check.status,
        "score": check.score,
        "weight": check.weight,
        "detail": check.detail,
        "remediation": check.remediation,
        "evidence": list(check.evidence),
        "waived_by": check.waived_by,
    }


def out_of_date(row: MaturitySnapshot | None, now: datetime, in_force: InForce) -> Recompute | None:
    """Why ``row`` (a service's newest snapshot) no longer holds at ``now``; None if it does."""
    if row is None:
        return Recompute.FIRST_READ
    if row.trust_roots_digest != in_force.trust_roots_digest:
        return Recompute.TRUST_ROOTS
    if row.policy_digest != in_force.policy.digest:
        return Recompute.POLICY
    if row.valid_until is not None and now >= row.valid_until:
        return Recompute.TIME
    return None


def maturity_out(service: str, row: MaturitySnapshot) -> MaturityOut:
    return MaturityOut(
        service=service,
        level=row.level,
        level_name=LEVEL_NAMES[row.level],
        score=row.score,
        checks=[CheckOut.model_validate(check) for check in row.checks],
        release=row.target_release,
        computed_at=row.computed_at,
        valid_until=row.valid_until,
        snapshot_id=row.id,
        trigger=row.trigger,
        policy_version=row.policy_version,
        policy_digest=row.policy_digest,
    )


def _failing(row: MaturitySnapshot) -> list[str]:
    return [str(check["id"]) for check in row.checks if check.get("status") == "fail"]


_SCORE = MaturitySnapshot.score.expression
_LEVEL = MaturitySnapshot.level.expression
_SORT_COLUMNS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "service": (Service.name.expression,),
    "level": (_LEVEL, Service.name.expression),
    "score": (_SCORE, Service.name.expression),
}


def check_listing(query: MaturityQuery) -> None:
    """Refuse a listing filter that names no check, before anything is recomputed for it."""
    if query.failing is not None and query.failing not in CHECKS:
        raise InvalidRequest(f"No check is named {query.failing!r}.")


def list_maturity(session: Session, query: MaturityQuery) -> MaturityPage:
    """Every service's latest snapshot, filtered and sorted (``app.workflows.read_maturity``
    recomputes out-of-date ones first)."""
    check_listing(query)
    repository = MaturityRepository(session)
    size = clamp_limit(query.limit)
    shapes = {"service": (str,), "level": (int, str), "score": (str, str)}
    position = decode_position(query.cursor, shapes[query.sort])
    statement = repository.latest_snapshots()
    if query.min_level is not None:
        statement = statement.where(MaturitySnapshot.level >= query.min_level)
    if query.max_level is not None:
        statement = statement.where(MaturitySnapshot.level <= query.max_level)
    if query.owner is not None:
        statement = statement.where(Service.owner == query.owner)
    columns = _SORT_COLUMNS[query.sort]
    descending = query.order == "desc"
    if position is not None:
        statement = statement.where(_after(columns, position, descending=descending))
    ordering = [column.desc() if descending else column.asc() for column in columns]
    rows: list[tuple[MaturitySnapshot, Service]] = []
    offset = 0
    # The "failing" filter reads the stored check list, so it is applied here, page by page.
    while len(rows) <= size:
        batch = session.execute(statement.order_by(*ordering).offset(offset).limit(size + 1)).all()
        if not batch:
            break
        offset += len(batch)
        for snapshot, service in batch:
            if query.failing is None or query.failing in _failing(snapshot):
                rows.append((snapshot, service))
    page = rows[:size]
    items = [
        MaturityRow(
            service=service.name,
            owner=service.owner,
            level=snapshot.level,
            level_name=LEVEL_NAMES[snapshot.level],
            score=snapshot.score,
            failing=_failing(snapshot),
            computed_at=snapshot.computed_at,
        )
        for snapshot, service in page
    ]
    following = None
    if len(rows) > size:
        last_snapshot, last_service = page[-1]
        following = encode_position(*_position(query.sort, last_snapshot, last_service))
    return MaturityPage(items=items, next=following)


def _position(sort: str, snapshot: MaturitySnapshot, service: Service) -> tuple[str | int, ...]:
    if sort == "level":
        return (snapshot.level, service.name)
    if sort == "score":
        return (repr(snapshot.score), service.name)
    return (service.name,)


def _after(
    columns: tuple[ColumnElement[Any], ...], position: tuple[str | int, ...], *, descending: bool
) -> ColumnElement[bool]:
    """Rows after ``position`` in the listing's order (keyset pagination)."""
    values: list[object] = list(position)
    if columns[0] is _SCORE:
        try:
            score = float(str(values[0]))
        except ValueError:
            raise InvalidCursor("The cursor is not one this listing gave.") from None
        # A stored score is finite: "nan" would match no row and end the listing silently.
        if not math.isfinite(score):
            raise InvalidCursor("The cursor is not one this listing gave.")
        values[0] = score
    elif columns[0] is _LEVEL and not 0 <= int(str(values[0])) <= MAX_LEVEL:
        # Any other number is no snapshot's level, and beyond 32 bits no column's.
        raise InvalidCursor("The cursor is not one this listing gave.")
    first = columns[0]
    if len(columns) == 1:
        return first < values[0] if descending else first > values[0]
    second = columns[1]
    if descending:
        return or_(first < values[0], and_(first == values[0], second < values[1]))
    return or_(first > values[0], and_(first == values[0], second > values[1]))


def maturity_history(session: Session, service: Service, query: HistoryQuery) -> SnapshotPage:
    """The service's snapshots, newest first."""
    size = clamp_limit(query.limit)
    position = decode_position(query.cursor, (int,))
    rows = MaturityRepository(session).snapshot_history(
        service.id,
        before=None if position is None else int(position[0]),
        since=query.since,
        until=query.until,
        limit=size + 1,
    )
    items = [
        SnapshotOut(
            snapshot_id=row.id,
            level=row.level,
            level_name=LEVEL_NAMES[row.level],
            score=row.score,
            release=row.target_release,
            trigger=row.trigger,
            failing=_failing(row),
            computed_at=row.computed_at,
            policy_version=row.policy_version,
        )
        for row in rows[:size]
    ]
    following = encode_position(items[-1].snapshot_id) if len(rows) > size else None
    return SnapshotPage(items=items, next=following)
