"""The error model: problem documents and the OpenAPI responses routes declare."""

from __future__ import annotations

import pytest

from app.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_SCHEMA_REF,
    AppError,
    Conflict,
    FieldError,
    Forbidden,
    InvalidRequest,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    build_problem,
    problem_responses,
    problem_schemas,
)


class WidgetNotFound(NotFound):
    slug = "widget-not-found"
    title = "No such widget"


def test_problem_responses_always_declare_the_internal_error():
    responses = problem_responses()
    assert list(responses) == [500]
    assert "internal-error" in responses[500]["description"]


def test_problem_responses_group_errors_by_status_in_order():
    responses = problem_responses(WidgetNotFound, Forbidden, NotFound, MalformedBody, Conflict)
    assert list(responses) == [400, 403, 404, 409, 500]
    # One entry per status, naming every slug it stands for.
    assert "not-found" in responses[404]["description"]
    assert "widget-not-found" in responses[404]["description"]
    assert "malformed-body" in responses[400]["description"]


def test_problem_responses_refer_to_the_problem_schema_as_problem_json():
    responses = problem_responses(Unauthenticated, PayloadTooLarge)
    for entry in responses.values():
        assert entry["content"] == {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
    assert PROBLEM_SCHEMA_REF == "#/components/schemas/Problem"
    assert PROBLEM_MEDIA_TYPE == "application/problem+json"


def test_problem_schemas_publish_problem_and_field_error():
    schemas = problem_schemas()
    assert set(schemas) == {"Problem", "FieldError"}
    properties = schemas["Problem"]["properties"]
    for name in ("type", "title", "status", "detail", "instance", "request_id", "slug"):
        assert name in properties
        assert name in schemas["Problem"]["required"]
    assert "$defs" not in schemas["Problem"]


def test_build_problem_carries_every_field_of_the_error():
    error = WidgetNotFound("No widget named w1.", reasons=["checked the catalogue"])
    problem = build_problem(error, instance="/v1/widgets/w1", request_id="req-1")
    assert problem.model_dump(exclude_none=True) == {
        "type": "urn:attestd:problem:widget-not-found",
        "title": "No such widget",
        "status": 404,
        "detail": "No widget named w1.",
        "instance": "/v1/widgets/w1",
        "request_id": "req-1",
        "slug": "widget-not-found",
        "reasons": ["checked the catalogue"],
    }


def test_build_problem_includes_field_errors_when_given():
    errors = [FieldError(location="body.name", message="too long", type="string_too_long")]
    problem = build_problem(
        InvalidRequest("1 problem(s)"), instance="/x", request_id="r", errors=errors
    )
    assert problem.status == 422
    assert problem.slug == "invalid-request"
    assert problem.errors == errors


def test_detail_defaults_to_the_title():
    error = Forbidden()
    assert error.detail == "Forbidden"
    assert str(error) == "Forbidden"
    assert build_problem(error, instance="/", request_id="r").detail == "Forbidden"


def test_unauthenticated_challenges_with_a_bearer_realm():
    error = Unauthenticated()
    assert error.status == 401
    assert error.headers == {"WWW-Authenticate": 'Bearer realm="attestd"'}


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (AppError, 500, "internal-error"),
        (MalformedBody, 400, "malformed-body"),
        (Forbidden, 403, "forbidden"),
        (NotFound, 404, "not-found"),
        (Conflict, 409, "conflict"),
        (PayloadTooLarge, 413, "payload-too-large"),
        (InvalidRequest, 422, "invalid-request"),
    ],
)
def test_type_uri_is_the_urn_of_the_slug(error, status, slug):
    assert error.status == status
    assert error.slug == slug
    assert error.type_uri() == f"urn:attestd:problem:{slug}"
