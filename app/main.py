"""The attestd application factory.

``create_app(settings)`` builds the application; its lifespan builds the
engine. Nothing is created when this module is imported: ``app.main:app`` (for
``uvicorn app.main:app``) is built on first access from the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.api.problems import install_problem_handlers
from app.api.routers import ROUTERS
from app.attestations.trust import load_trust_roots
from app.audit.log import AuditLog
from app.config import Settings
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import expected_heads
from app.errors import problem_schemas
from app.metrics import build_http_metrics
from app.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.package import installed_version
from app.signing import configured_service_key

API_DESCRIPTION = """\
attestd verifies and keeps the supply-chain evidence of every release (SBOMs,
Sigstore signatures, in-toto / SLSA provenance) and answers where an artifact
came from, what is in it, who signed it and how mature each service's supply
chain is.

Every call except the operational ones needs `Authorization: Bearer atd_…`.
Errors are RFC 9457 `application/problem+json` documents.
"""


def create_app(settings: Settings) -> FastAPI:
    """Build an attestd application for ``settings``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        key = configured_service_key(
            settings.signing_key_path, create_if_missing=settings.is_development
        )
        app.state.service_key = key
        app.state.audit_log = AuditLog(origin=settings.audit_origin, key=key)
        app.state.trust_roots = load_trust_roots(settings.trust_roots)
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.schema_heads = expected_heads(settings.database_url)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="attestd",
        version=installed_version(),
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.metrics = build_http_metrics()
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # Added last, so outermost: the request id exists before the size check.
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
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
