"""/v1/keys and /v1/audit: the signing keys, checkpoints, entries and proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import AuditLogDep, GuardedRoute, Reader, RuntimeDep, SessionDep
from app.audit.log import AuditRangeError
from app.audit.schemas import (
    CheckpointOut,
    ConsistencyOut,
    ConsistencyQuery,
    EntriesOut,
    EntriesQuery,
    EntryOut,
    InclusionOut,
    InclusionQuery,
    KeysOut,
)
from app.errors import Forbidden, InvalidRequest, Unauthenticated, problem_responses

router = APIRouter(prefix="/v1", route_class=GuardedRoute)
_READ = (Unauthenticated, Forbidden, InvalidRequest, AuditRangeError)


@router.get(
    "/keys",
    tags=["keys"],
    summary="The public signing keys of this attestd, each with what it signs",
    description="The key that signs the audit log's checkpoints comes first. With "
    "ATTESTD_VSA_KEY_FILE set, the verification summaries are signed by a second key, "
    "listed after it with the purpose verification-summaries alone.",
    responses=problem_responses(),
)
def keys(runtime: RuntimeDep, log: AuditLogDep) -> KeysOut:
    return KeysOut.of(runtime.service_key.public, runtime.vsa_key.public, log.origin)


@router.get(
    "/audit/checkpoint",
    tags=["audit"],
    summary="The current signed checkpoint of the audit log",
    responses=problem_responses(),
)
def checkpoint(session: SessionDep, log: AuditLogDep) -> CheckpointOut:
    return CheckpointOut.of(log.checkpoint(session))


@router.get(
    "/audit/entries",
    tags=["audit"],
    summary="Entries of the audit log, in index order",
    responses=problem_responses(*_READ),
)
def entries(
    session: SessionDep, log: AuditLogDep, _: Reader, query: Annotated[EntriesQuery, Query()]
) -> EntriesOut:
    size, found = log.entries(session, start=query.start, limit=query.limit)
    following = found[-1].index + 1 if found and found[-1].index + 1 < size else None
    return EntriesOut(tree_size=size, entries=[EntryOut.of(e) for e in found], next=following)


@router.get(
    "/audit/proofs/inclusion",
    tags=["audit"],
    summary="RFC 6962 inclusion proof of one entry",
    responses=problem_responses(*_READ),
)
def inclusion(
    session: SessionDep, log: AuditLogDep, _: Reader, query: Annotated[InclusionQuery, Query()]
) -> InclusionOut:
    return InclusionOut.of(log.inclusion(session, index=query.index, tree_size=query.tree_size))


@router.get(
    "/audit/proofs/consistency",
    tags=["audit"],
    summary="RFC 6962 consistency proof between two tree sizes",
    responses=problem_responses(*_READ),
)
def consistency(
    session: SessionDep, log: AuditLogDep, _: Reader, query: Annotated[ConsistencyQuery, Query()]
) -> ConsistencyOut:
    return ConsistencyOut.of(log.consistency(session, first=query.first, second=query.second))
