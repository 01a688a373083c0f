"""Fixtures of the maturity tests: a second admin."""

from __future__ import annotations

import pytest

from app.auth.credentials import Role
from tests.conftest import bearer


@pytest.fixture
def second_admin_headers(make_token) -> dict[str, str]:
    """An admin other than ``admin_headers``'s: the one who approves exceptions."""
    return bearer(make_token(Role.ADMIN, name="second-admin"))
