"""What a running attestd holds: settings, clock, database, keys, trust roots, metrics.

``AttestdApp`` is the FastAPI application with its settings and clock; its
``Runtime`` (keys, trust roots, the database pool) is built by the lifespan
(``app.main.create_app``) and read by the request dependencies
(``app.api.deps``). Nothing else keeps state between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.attestations.trust import TrustRoot, load_trust_roots
from app.audit.log import AuditLog
from app.clock import Clock
from app.config import Settings
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import expected_heads
from app.metrics import HttpMetrics
from app.signing import ServiceKey, configured_service_key


@dataclass(frozen=True)
class Runtime:
    """The resources of one running attestd."""

    settings: Settings
    clock: Clock
    metrics: HttpMetrics
    service_key: ServiceKey
    vsa_key: ServiceKey  # signs the verification summaries: the service key unless configured
    audit_log: AuditLog
    trust_roots: tuple[TrustRoot, ...]
    engine: Engine
    sessionmaker: sessionmaker[Session]
    schema_heads: frozenset[str]  # the migrations a ready database is at

    @classmethod
    def start(cls, settings: Settings, *, clock: Clock, metrics: HttpMetrics) -> Runtime:
        """Load the keys and trust roots and open the database pool for ``settings``."""
        key = configured_service_key(
            settings.signing_key_path, create_if_missing=settings.is_development
        )
        vsa_key = key
        if settings.vsa_key_file is not None:
            vsa_key = configured_service_key(
                settings.vsa_key_file, create_if_missing=settings.is_development
            )
        trust_roots = tuple(load_trust_roots(settings.trust_roots))
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            clock=clock,
            metrics=metrics,
            service_key=key,
            vsa_key=vsa_key,
            audit_log=AuditLog(origin=settings.audit_origin, key=key, clock=clock),
            trust_roots=trust_roots,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            schema_heads=expected_heads(settings.database_url),
        )

    def close(self) -> None:
        self.engine.dispose()


class AttestdApp(FastAPI):
    """The attestd application: its settings, its clock, and its runtime once started."""

    def __init__(
        self, settings: Settings, *, clock: Clock, metrics: HttpMetrics, **options: Any
    ) -> None:
        super().__init__(**options)
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        """The running resources; only between the lifespan's start and its end."""
        if self._runtime is None:
            raise RuntimeError("attestd has not started: its lifespan builds the runtime")
        return self._runtime

    def start(self) -> Runtime:
        self._runtime = Runtime.start(self.settings, clock=self.clock, metrics=self.metrics)
        return self._runtime

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
