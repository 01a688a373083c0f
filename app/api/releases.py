"""/v1/services/{name}/releases: a service's releases, their artifacts and reproducibility."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import GuardedRoute, Reader, SessionDep
from app.api.services import NamePath
from app.errors import Forbidden, InvalidCursor, InvalidRequest, Unauthenticated, problem_responses
from app.pagination import PageQuery
from app.provenance import releases
from app.provenance.schemas import ReleasePage
from app.services.errors import ServiceNotFound

router = APIRouter(prefix="/v1/services", tags=["releases"], route_class=GuardedRoute)


@router.get(
    "/{name}/releases",
    summary="A service's releases, newest first, with their artifacts and reproducibility",
    responses=problem_responses(
        Unauthenticated, Forbidden, InvalidRequest, InvalidCursor, ServiceNotFound
    ),
)
def list_releases(
    name: NamePath, session: SessionDep, _: Reader, query: Annotated[PageQuery, Query()]
) -> ReleasePage:
    return releases.list_releases(session, name, cursor=query.cursor, limit=query.limit)
