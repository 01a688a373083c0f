"""Every route has a declared role, and the code enforces exactly that role.

The table below is the access contract (DESIGN.md, API contract). A route added
without an entry here fails ``test_every_route_is_in_the_table``; a route whose
dependency disagrees with its entry fails the static and behavioural checks.
"""

from __future__ import annotations

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Route

from app.api.deps import GuardedRoute, get_principal, role_requirements
from app.api.routers import ROUTERS
from app.auth.credentials import Role
from app.config import Settings
from app.main import create_app
from tests.builders.credentials import bearer

PUBLIC: frozenset[Role] = frozenset()
READ = frozenset({Role.ADMIN, Role.AUDITOR})
ADMIN = frozenset({Role.ADMIN})
PIPELINE = frozenset({Role.PIPELINE})
GATE = frozenset({Role.ADMIN, Role.AUDITOR, Role.PIPELINE})

# (method, path template) -> roles admitted; PUBLIC needs no token at all.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/v1/services"): READ,
    ("POST", "/v1/services"): ADMIN,
    ("GET", "/v1/services/{name}"): READ,
    ("PATCH", "/v1/services/{name}"): ADMIN,
    ("GET", "/v1/services/{name}/policy"): READ,
    ("GET", "/v1/services/{name}/policy/versions/{version}/document"): READ,
    ("PUT", "/v1/services/{name}/policy"): ADMIN,
    ("GET", "/v1/services/{name}/releases"): READ,
    ("GET", "/v1/keys"): PUBLIC,
    ("GET", "/v1/audit/checkpoint"): PUBLIC,
    ("GET", "/v1/audit/entries"): READ,
    ("GET", "/v1/audit/proofs/inclusion"): READ,
    ("GET", "/v1/audit/proofs/consistency"): READ,
    ("POST", "/v1/sboms"): PIPELINE,
    ("GET", "/v1/sboms/{sbom_id}"): READ,
    ("GET", "/v1/sboms/{sbom_id}/raw"): READ,
    ("GET", "/v1/components"): READ,
    ("GET", "/v1/artifacts/{digest}"): READ,
    ("GET", "/v1/artifacts/{digest}/components"): READ,
    ("POST", "/v1/artifacts/{digest}/reverify"): ADMIN,
    ("POST", "/v1/services/{name}/reverify"): ADMIN,
    ("POST", "/v1/attestations"): PIPELINE,
    ("GET", "/v1/attestations/{attestation_id}"): READ,
    ("GET", "/v1/attestations/{attestation_id}/raw"): READ,
    ("GET", "/v1/services/{name}/maturity"): READ,
    ("GET", "/v1/services/{name}/maturity/history"): READ,
    ("GET", "/v1/maturity"): READ,
    ("POST", "/v1/exceptions"): ADMIN,
    ("GET", "/v1/exceptions"): READ,
    ("GET", "/v1/exceptions/{exception_id}"): READ,
    ("POST", "/v1/exceptions/{exception_id}/approve"): ADMIN,
    ("DELETE", "/v1/exceptions/{exception_id}"): ADMIN,
    ("POST", "/v1/verdicts"): GATE,
}

# A value for each path parameter, so protected routes can be called.
PATH_EXAMPLES = {
    "name": "payments",
    "version": "1",
    "sbom_id": "1",
    "attestation_id": "1",
    "exception_id": "1",
    "digest": "sha256:" + "a" * 64,
}


def _app_routes() -> dict[tuple[str, str], Route | APIRoute]:
    """The API routes attestd declares, plus the plain routes the app itself adds (docs)."""
    app = create_app(Settings(database_url="sqlite://"))
    routes: list[Route | APIRoute] = []
    for route in app.routes:
        if isinstance(route, APIRoute | Route):
            routes.append(route)
            continue
        # FastAPI may keep an included router as one wrapper entry; its routes
        # must then be those of a router attestd declares.
        included = getattr(route, "original_router", None)
        assert included in ROUTERS, f"{route!r} is not one of app.api.routers.ROUTERS"
        routes.extend(r for r in included.routes if isinstance(r, APIRoute))
    found: dict[tuple[str, str], Route | APIRoute] = {}
    for route in routes:
        for method in route.methods or ():
            if method != "HEAD":
                found[(method, route.path)] = route
    return found


def _calls(dependant: Dependant) -> set[object]:
    calls = {dependant.call}
    for dependency in dependant.dependencies:
        calls |= _calls(dependency)
    return calls


def test_every_route_is_in_the_table():
    routes = set(_app_routes())
    assert routes - ROUTE_ROLES.keys() == set(), "routes without a declared role"
    assert ROUTE_ROLES.keys() - routes == set(), "declared routes that no longer exist"


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_ROLES))
def test_route_dependencies_match_the_table(method, path):
    route = _app_routes()[(method, path)]
    expected = ROUTE_ROLES[(method, path)]
    if not isinstance(route, APIRoute):
        assert expected == PUBLIC, "only FastAPI's own documentation routes are plain routes"
        return
    requirements = role_requirements(route.dependant)
    if expected == PUBLIC:
        assert requirements == []
        assert get_principal not in _calls(route.dependant), "public route reads a token"
    else:
        assert len(requirements) == 1, f"{method} {path} needs exactly one role requirement"
        assert requirements[0].roles == expected
        # Guarded: the token is checked before the body is read.
        assert isinstance(route, GuardedRoute), f"{method} {path} is not a GuardedRoute"


def test_protected_operations_declare_bearer_security():
    document = create_app(Settings(database_url="sqlite://")).openapi()
    for (method, path), roles in ROUTE_ROLES.items():
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue  # documentation routes are not in the document
        if roles == PUBLIC:
            assert "security" not in operation, f"{method} {path}"
        else:
            assert operation["security"] == [{"HTTPBearer": []}], f"{method} {path}"
            assert "401" in operation["responses"]
            assert "403" in operation["responses"]


PROTECTED = sorted(key for key, roles in ROUTE_ROLES.items() if roles != PUBLIC)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_roles_are_enforced(client, make_token, method, path):
    url = path.format(**PATH_EXAMPLES)
    body = {} if method in {"POST", "PUT", "PATCH"} else None

    anonymous = client.request(method, url, json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["slug"] == "unauthenticated"

    for role in Role:
        token = make_token(role, name=f"{role.value}-caller")
        response = client.request(method, url, json=body, headers=bearer(token))
        if role in ROUTE_ROLES[(method, path)]:
            assert response.status_code not in {401, 403}, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["slug"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "path"), sorted(k for k, v in ROUTE_ROLES.items() if v == PUBLIC)
)
def test_public_routes_need_no_token(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 200, response.text
