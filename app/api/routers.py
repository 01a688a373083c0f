"""The routers attestd serves, in one list, and the routes they hold."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.api import health, services

ROUTERS: tuple[APIRouter, ...] = (health.router, services.router)


def api_routes() -> list[APIRoute]:
    """Every API route, with its full path, as declared by the routers."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
