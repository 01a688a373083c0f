"""Fixtures of the use-case tests: each use case of app/workflows called directly, no HTTP.

``run_use_case`` calls a use case with a fresh ``AuditTrail`` in a transaction
of its own, committed when it returns and rolled back when it raises, as the
request's session would be. The trail writes to the ``audit_log`` fixture,
whose clock is the ``clock`` fixture, so a test that moves ``clock`` moves the
time every use case acts at. Principals are plain values
(tests/builders/credentials.py); ``service`` is ``payments`` registered
through ``register_service`` itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from app.attestations.trust import TrustRoot
from app.audit.events import Actor
from app.audit.log import AuditLog, AuditTrail
from app.auth.credentials import Principal
from app.services.schemas import ServiceOut
from app.workflows.register_service import register_service
from tests.builders.credentials import admin
from tests.builders.services import service_create

REQUEST_ID = "use-case-test"


@pytest.fixture
def run_use_case(run_in_session, audit_log: AuditLog, trust_roots) -> Callable[..., Any]:
    """``run(use_case, *args, by=None, **kwargs)``: ``use_case(trail, *args, **kwargs)``, committed.

    The trail's actor is ``by``; without it, the principal the use case is called
    with, if any (as the HTTP layer makes the caller the actor), else an admin. A use
    case that judges evidence gets the ``trust_roots`` fixture unless a test names others.
    """

    def run(use_case: Callable[..., Any], *args: Any, by: Principal | None = None, **kwargs: Any):
        caller = by or next((arg for arg in args if isinstance(arg, Principal)), admin())
        if "trust_roots" in inspect.signature(use_case).parameters:
            kwargs.setdefault("trust_roots", trust_roots)

        def work(session):
            trail = AuditTrail(session, audit_log, Actor.of(caller), REQUEST_ID)
            return use_case(trail, *args, **kwargs)

        return run_in_session(work)

    return run


@pytest.fixture
def service(run_use_case) -> ServiceOut:
    """``payments`` of https://github.com/acme/payments, registered by an admin."""
    registered: ServiceOut = run_use_case(register_service, service_create())
    return registered


@pytest.fixture(scope="session")
def trust_roots(trust_root: TrustRoot) -> tuple[TrustRoot, ...]:
    """What the app loads at start-up: here the local test Sigstore's root alone."""
    return (trust_root,)
