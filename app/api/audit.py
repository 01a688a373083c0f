"""/v1/keys and /v1/audit: the service key, checkpoints, entries and proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import AuditLogDep, GuardedRoute, Reader, RuntimeDep, SessionDep
from app.audit.checkpoint import verifier_key
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
    PublicKeyOut,
)
from app.errors import Forbidden, InvalidRequest, Unauthenticated, problem_responses
from app.signing import ALGORITHM

router = APIRouter(prefix="/v1", route_class=GuardedRoute)
_READ = (Unauthenticated, Forbidden, InvalidRequest, AuditRangeError)


@router.get(
    "/keys",
    tags=["keys"],
    summary="The public signing key of this attestd",
    responses=problem_responses(),
)
def keys(runtime: RuntimeDep, log: AuditLogDep) -> KeysOut:
    public = runtime.service_key.public
    return KeysOut(
        keys=[
            PublicKeyOut(
                key_id=public.key_id,
                algorithm=ALGORITHM,
                public_key_pem=public.pem,
                note_key_name=log.origin,
                note_verifier_key=verifier_key(log.origin, public),
            )
        ]
    )


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
