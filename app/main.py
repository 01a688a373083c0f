"""The attestd application factory.

``create_app(settings)`` builds the application; its lifespan builds the
runtime (``app.api.runtime.Runtime``: keys, trust roots, the database pool).
Nothing is created when this module is imported: ``app.main:app`` (for
``uvicorn app.main:app``) is built on first access from the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.api.problems import install_problem_handlers
from app.api.routers import ROUTERS
from app.api.runtime import AttestdApp
from app.clock import SYSTEM_CLOCK, Clock
from app.config import Settings
from app.errors import problem_schemas
from app.metrics import build_http_metrics
from app.package import installed_version

API_DESCRIPTION = """\
attestd verifies and keeps the supply-chain evidence of every release (SBOMs,
Sigstore signatures, in-toto / SLSA provenance) and answers where an artifact
came from, what is in it, who signed it and how mature each service's supply
chain is.

Every call except the operational ones needs `Authorization: Bearer atd_…`.
Errors are RFC 9457 `application/problem+json` documents.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if not isinstance(app, AttestdApp):
        raise TypeError(f"attestd's lifespan runs an AttestdApp, not {type(app).__name__}")
    app.start()
    try:
        yield
    finally:
        app.stop()


def create_app(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> AttestdApp:
    """Build an attestd application for ``settings``, telling the time by ``clock``."""
    app = AttestdApp(
        settings,
        clock=clock,
        metrics=build_http_metrics(),
        title="attestd",
        version=installed_version(),
        description=API_DESCRIPTION,
        lifespan=_lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # Added last, so outermost: the request id exists before the size check.
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.metrics)
    _publish_problem_schemas(app)
    return app


def _publish_problem_schemas(app: FastAPI) -> None:
    """Add the Problem schema, which routes reference by $ref, to the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                problem_schemas()
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def __getattr__(name: str) -> Any:
    if name == "app":
        return create_app(Settings())
    raise AttributeError(name)
