"""Submitting bundles to an app whose trust root is the local test Sigstore."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.attestations.models import Attestation, AttestationSubject, VerificationReceipt
from app.blobs.models import Blob
from app.sboms.models import Component, Sbom
from app.vulnerabilities.models import VexStatement
from tests.builders.services import REPOSITORY_URL, SERVICE
from tests.sboms.uploads import audit_events
from tests.sigstore_local import BuiltBundle

ATTESTATIONS = "/v1/attestations"
BUNDLE_JSON = "application/vnd.dev.sigstore.bundle.v0.3+json"


def register(
    client: TestClient,
    admin_headers: dict[str, str],
    name: str = SERVICE,
    repository: str = REPOSITORY_URL,
) -> None:
    """A service whose default policy accepts its GitHub repository's workflows."""
    response = client.post(
        "/v1/services", json={"name": name, "repository": repository}, headers=admin_headers
    )
    assert response.status_code == 201, response.text


def allow(client: Any, admin_headers: dict[str, str], *identities: dict[str, Any]) -> None:
    """Add ``identities`` to the policy of ``payments``, keeping the default one."""
    current = client.get(f"/v1/services/{SERVICE}/policy", headers=admin_headers).json()
    changed = client.put(
        f"/v1/services/{SERVICE}/policy",
        json={"identities": [*current["identities"], *identities]},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text


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


# The tables a submission writes to (an SBOM predicate reaches sboms and components, an
# OpenVEX one vex_statements).
_TABLES = {
    "blobs": Blob,
    "artifacts": Artifact,
    "attestations": Attestation,
    "attestation_subjects": AttestationSubject,
    "verification_receipts": VerificationReceipt,
    "sboms": Sbom,
    "components": Component,
    "vex_statements": VexStatement,
}
NOTHING_STORED = dict.fromkeys(_TABLES, 0)


def stored_counts(run_in_session: Callable[..., Any]) -> dict[str, int]:
    """Rows in each table a submission writes to."""

    def count(session: Session) -> dict[str, int]:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in _TABLES.items()
        }

    result: dict[str, int] = run_in_session(count)
    return result


def attestation_events(run_in_session: Callable[..., Any]) -> list[dict[str, Any]]:
    """The audit-log leaves about attestations, parsed, in log order."""
    return [e for e in audit_events(run_in_session) if e["action"].startswith("attestation.")]
