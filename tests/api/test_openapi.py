"""The committed openapi/openapi.json is exactly what the app generates."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import openapi_text
from app.config import Settings
from app.errors import PROBLEM_MEDIA_TYPE
from app.main import create_app

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def _generated() -> dict:
    return create_app(Settings(database_url="sqlite://")).openapi()


def test_committed_document_matches_the_app():
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(_generated()), (
        "openapi/openapi.json is stale: run `make openapi`"
    )


def test_every_operation_declares_its_problems_as_problem_json():
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "500" in responses, f"{method} {path} does not declare its 500 problem"
            for status, response in responses.items():
                if int(status) >= 400:
                    content = response["content"]
                    assert list(content) == [PROBLEM_MEDIA_TYPE], f"{method} {path} {status}"
                    assert content[PROBLEM_MEDIA_TYPE]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }


def test_problem_schema_is_published():
    schemas = _generated()["components"]["schemas"]
    assert {"type", "title", "status", "detail", "instance", "request_id", "slug"} <= set(
        schemas["Problem"]["required"]
    )
