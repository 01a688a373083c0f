"""Reading a service's maturity over the API in the maturity tests."""

from __future__ import annotations

from typing import Any

from tests.builders.services import SERVICE


def maturity_of(client: Any, headers: dict[str, str], service: str = SERVICE) -> dict[str, Any]:
    response = client.get(f"/v1/services/{service}/maturity", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check_of(maturity: dict[str, Any], check_id: str) -> dict[str, Any]:
    (found,) = [check for check in maturity["checks"] if check["id"] == check_id]
    return found
