"""Reading a service's maturity in the maturity tests: over the API, or as stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.scoring.models import MaturitySnapshot
from app.scoring.repository import MaturityRepository
from app.services.repository import ServiceRepository
from tests.builders.services import SERVICE


def maturity_of(client: Any, headers: dict[str, str], service: str = SERVICE) -> dict[str, Any]:
    response = client.get(f"/v1/services/{service}/maturity", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_of(maturity: dict[str, Any], check_id: str) -> dict[str, Any]:
    (found,) = [check for check in maturity["checks"] if check["id"] == check_id]
    return found


def stored_snapshots(
    run_in_session: Callable[..., Any], service: str = SERVICE
) -> list[MaturitySnapshot]:
    """The service's snapshots as stored, oldest first; reading them recomputes none."""

    def read(session: Session) -> list[MaturitySnapshot]:
        service_id = ServiceRepository(session).require(service).id
        newest_first = MaturityRepository(session).snapshot_history(
            service_id, before=None, since=None, until=None, limit=1000
        )
        return list(reversed(newest_first))

    result: list[MaturitySnapshot] = run_in_session(read)
    return result
