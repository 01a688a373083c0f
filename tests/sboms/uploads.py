"""Uploading SBOMs over the API, and reading back what the database holds."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.audit.models import AuditEntry
from app.blobs.models import Blob
from app.sboms.models import Component, Sbom, SbomDependency
from tests.builders.services import SERVICE

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64

_EVIDENCE_TABLES = {
    "blobs": Blob,
    "artifacts": Artifact,
    "sboms": Sbom,
    "components": Component,
    "sbom_dependencies": SbomDependency,
}


def upload(
    client: Any,
    headers: dict[str, str],
    body: bytes,
    content_type: str = "application/vnd.cyclonedx+json",
    *,
    service: str = SERVICE,
    artifact: str | None = DIGEST_A,
    **extra: str,
) -> Any:
    params = {"service": service, **extra}
    if artifact is not None:
        params["artifact"] = artifact
    return client.post(
        "/v1/sboms", params=params, content=body, headers={**headers, "Content-Type": content_type}
    )


def stored_counts(run_in_session: Any) -> dict[str, int]:
    """Rows in each table an upload writes to."""

    def count(session: Session) -> dict[str, int]:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in _EVIDENCE_TABLES.items()
        }

    result = run_in_session(count)
    assert isinstance(result, dict)
    return result


NOTHING_STORED = dict.fromkeys(_EVIDENCE_TABLES, 0)


def audit_events(run_in_session: Any) -> list[dict[str, Any]]:
    """Every audit-log leaf, parsed, in log order."""

    def read(session: Session) -> list[dict[str, Any]]:
        leaves = session.scalars(select(AuditEntry.leaf).order_by(AuditEntry.idx))
        return [json.loads(leaf) for leaf in leaves]

    result = run_in_session(read)
    assert isinstance(result, list)
    return result


def sbom_events(run_in_session: Any) -> list[dict[str, Any]]:
    return [e for e in audit_events(run_in_session) if e["action"].startswith("sbom.")]
