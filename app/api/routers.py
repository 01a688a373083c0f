"""The routers attestd serves, in one list (the role test walks the same list)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api import (
    artifacts,
    attestations,
    audit,
    exceptions,
    health,
    maturity,
    policies,
    releases,
    sboms,
    services,
    verdicts,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    services.router,
    policies.router,
    audit.router,
    sboms.router,
    artifacts.router,
    attestations.router,
    releases.router,
    maturity.router,
    exceptions.router,
    verdicts.router,
)
