"""Liveness, readiness and metrics: public, for load balancers and Prometheus."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import RuntimeDep
from app.errors import ServiceUnavailable, problem_responses
from app.health import check_database

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/healthz", summary="The process is up", responses=problem_responses())
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database is reachable and migrated",
    responses=problem_responses(ServiceUnavailable),
)
def readyz(runtime: RuntimeDep) -> Health:
    check_database(runtime.engine, runtime.schema_heads)
    return Health(status="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(),
    },
)
def metrics(runtime: RuntimeDep) -> Response:
    return Response(
        runtime.metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
