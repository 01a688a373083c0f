"""Submitting bundles to an app whose trust root is the local test Sigstore."""

from __future__ import annotations

from typing import Any

import httpx2
from fastapi.testclient import TestClient

from tests.sigstore_local import BuiltBundle

ATTESTATIONS = "/v1/attestations"
BUNDLE_JSON = "application/vnd.dev.sigstore.bundle.v0.3+json"
SERVICE = "payments"
REPOSITORY = "acme/payments"


def register(
    client: TestClient,
    admin_headers: dict[str, str],
    name: str = SERVICE,
    repository: str = f"https://github.com/{REPOSITORY}",
) -> None:
    """A service whose default policy accepts its GitHub repository's workflows."""
    response = client.post(
        "/v1/services", json={"name": name, "repository": repository}, headers=admin_headers
    )
    assert response.status_code == 201, response.text


def submit(
    client: TestClient,
    headers: dict[str, str],
    bundle: BuiltBundle | bytes,
    *,
    service: str = SERVICE,
    artifact: str | None = None,
    content_type: str | None = None,
    **params: Any,
) -> httpx2.Response:
    content = bundle.content if isinstance(bundle, BuiltBundle) else bundle
    if content_type is None and isinstance(bundle, BuiltBundle):
        content_type = bundle.version.value
    query: dict[str, Any] = {"service": service, **params}
    if artifact is not None:
        query["artifact"] = artifact
    request_headers = dict(headers)
    if content_type is not None:
        request_headers["Content-Type"] = content_type
    return client.post(ATTESTATIONS, params=query, content=content, headers=request_headers)
