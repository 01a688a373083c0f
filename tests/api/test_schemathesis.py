"""Property-based API test: schemathesis drives every operation from the app's own OpenAPI.

In process (ASGI), with an admin token, on the test database. Every answer must
be a non-5xx response whose status, content type and body match what the
operation declares.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from app.auth.credentials import Role
from app.config import Settings
from app.main import create_app
from tests.builders.credentials import bearer

# The document only: building an app opens no database until its lifespan runs.
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())


@pytest.fixture
def admin_token(make_token) -> str:
    return make_token(Role.ADMIN, name="schemathesis")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors_and_answers_match_the_schema(case, app, admin_token):
    # This test's app (and database); the probes some checks send go there too.
    case.operation.app = case.operation.schema.app = app
    case.call_and_validate(
        headers=bearer(admin_token),
        additional_checks=[
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        excluded_checks=[
            # Some rules are beyond JSON Schema: a cursor is opaque, and repository
            # URLs have host, port and GitHub owner/name rules. Requests that break
            # them get a 400/422 problem, which the checks above still validate.
            positive_data_acceptance,
            # The token is supplied here, so a case generated "without the required
            # Authorization header" reaches the server with one, and a negative
            # query that serialises to a valid one (an extra key with no value) is
            # sent valid: both read as "invalid data accepted" when nothing invalid
            # was sent. Unknown and missing parameters are covered by explicit tests.
            negative_data_rejection,
        ],
    )
