"""/v1/maturity and /v1/services/{name}/maturity: supply-chain maturity, now and over time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import GuardedRoute, Reader, TrailDep, TrustRootsDep
from app.api.services import NamePath
from app.errors import Forbidden, InvalidCursor, InvalidRequest, Unauthenticated, problem_responses
from app.scoring.schemas import (
    HistoryQuery,
    MaturityOut,
    MaturityPage,
    MaturityQuery,
    SnapshotPage,
)
from app.services.errors import ServiceNotFound
from app.workflows import read_maturity

router = APIRouter(tags=["maturity"], route_class=GuardedRoute)
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)


@router.get(
    "/v1/services/{name}/maturity",
    summary="A service's maturity level, score and every check",
    description="The latest snapshot; recomputed first when time alone has changed it "
    "(an exception expired, a release left the coverage window).",
    responses=problem_responses(*_AUTH, ServiceNotFound),
)
def service_maturity(
    name: NamePath, trail: TrailDep, _: Reader, trust_roots: TrustRootsDep
) -> MaturityOut:
    return read_maturity.service_maturity(trail, name, trust_roots=trust_roots)


@router.get(
    "/v1/services/{name}/maturity/history",
    summary="A service's maturity snapshots, newest first",
    responses=problem_responses(*_AUTH, ServiceNotFound, InvalidCursor),
)
def maturity_history(
    name: NamePath,
    trail: TrailDep,
    _: Reader,
    query: Annotated[HistoryQuery, Query()],
    trust_roots: TrustRootsDep,
) -> SnapshotPage:
    return read_maturity.maturity_history(trail, name, query, trust_roots=trust_roots)


@router.get(
    "/v1/maturity",
    summary="Every service's maturity, sortable by level and score, filterable",
    responses=problem_responses(*_AUTH, InvalidCursor),
)
def list_maturity(
    trail: TrailDep, _: Reader, query: Annotated[MaturityQuery, Query()], trust_roots: TrustRootsDep
) -> MaturityPage:
    return read_maturity.list_maturity(trail, query, trust_roots=trust_roots)
