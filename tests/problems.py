"""What every problem+json response carries, checked in one place."""

from __future__ import annotations

from typing import Any

from app.errors import PROBLEM_MEDIA_TYPE

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id", "slug", "reasons"}


def assert_problem(response, status: int, slug: str, instance: str | None = None) -> dict[str, Any]:
    """The response is a problem+json of ``status``/``slug`` (about ``instance``); its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    assert body["slug"] == slug
    assert body["type"] == f"urn:attestd:problem:{slug}"
    if instance is not None:
        assert body["instance"] == instance
    assert body["title"]
    assert body["detail"]
    assert isinstance(body["reasons"], list)
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body
