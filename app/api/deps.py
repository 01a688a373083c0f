"""Request dependencies: the runtime, the database session, the caller, and role checks.

Protected routes are ``GuardedRoute``s: the caller's token and role are
checked before FastAPI reads the request body, so an anonymous client cannot
make attestd buffer or parse a body at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from anyio import CancelScope
from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app.api.runtime import AttestdApp, Runtime
from app.attestations.trust import TrustRoot
from app.audit.events import ANONYMOUS, Actor, Change
from app.audit.log import AuditLog, AuditTrail, new_request_id
from app.auth.credentials import Principal, Role, bearer_token
from app.auth.tokens import authenticate
from app.clock import Clock
from app.config import Settings
from app.errors import AppError, Forbidden


def runtime_of(request: Request) -> Runtime:
    """The runtime of the application serving ``request``."""
    app = request.app
    if not isinstance(app, AttestdApp):
        raise TypeError(f"attestd routes run in an AttestdApp, not {type(app).__name__}")
    return app.runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


async def get_trust_roots(runtime: RuntimeDep) -> tuple[TrustRoot, ...]:
    """The trust roots loaded at start-up."""
    return runtime.trust_roots


def _sessionmaker(request: Request) -> sessionmaker[Session]:
    return runtime_of(request).sessionmaker


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route succeeds, else rolled back.

    An error marked by ``app.audit.log.reject`` is recorded in the audit log,
    in a transaction of its own, after the request's changes are rolled back.
    The session is opened here without I/O; it is used, committed and rolled
    back in the thread pool, and the ending is shielded from cancellation so
    that a dropped client never leaves a connection checked out.
    """
    session = _sessionmaker(request)()
    try:
        yield session
    except AppError as error:
        with CancelScope(shield=True):
            await run_in_threadpool(_end_rejected, request, session, error.audit_change)
        raise
    except BaseException:
        with CancelScope(shield=True):
            await run_in_threadpool(_end, session, commit=False)
        raise
    with CancelScope(shield=True):
        await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def _end_rejected(request: Request, session: Session, change: object) -> None:
    _end(session, commit=False)
    if isinstance(change, Change):
        _record_rejection(request, change)


def _record_rejection(request: Request, change: Change) -> None:
    principal = getattr(request.state, "principal", None)
    actor = Actor.of(principal) if isinstance(principal, Principal) else ANONYMOUS
    with _sessionmaker(request).begin() as session:
        _audit_log(request).append(
            session, actor=actor, request_id=_request_id(request), change=change
        )


def _audit_log(request: Request) -> AuditLog:
    return runtime_of(request).audit_log


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or new_request_id())


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
TrustRootsDep = Annotated[tuple[TrustRoot, ...], Depends(get_trust_roots)]
# scope="function": the commit happens before the response is sent, so a
# client never sees success for a transaction that then failed to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer_scheme = HTTPBearer(
    bearerFormat="atd_ token",
    description="An attestd API token: `Authorization: Bearer atd_…`.",
    auto_error=False,
)


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller: as ``GuardedRoute`` found it, else from the token in this transaction."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    principal = await run_in_threadpool(
        lambda: authenticate(
            session,
            credentials.credentials if credentials else None,
            clock=runtime_of(request).clock,
        )
    )
    request.state.principal = principal
    return principal


class RoleRequirement:
    """Dependency admitting callers whose token has one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def check(self, principal: Principal) -> Principal:
        if principal.role not in self.roles:
            allowed = " or ".join(sorted(role.value for role in self.roles))
            raise Forbidden(f"This call needs a token with role {allowed}.")
        return principal

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        return self.check(principal)

    def __repr__(self) -> str:
        return f"RoleRequirement({', '.join(sorted(self.roles))})"


def role_requirements(dependant: Dependant) -> list[RoleRequirement]:
    """Every role requirement in a route's dependency tree."""
    found = [dependant.call] if isinstance(dependant.call, RoleRequirement) else []
    for dependency in dependant.dependencies:
        found.extend(role_requirements(dependency))
    return found


def _authenticate_own_transaction(request: Request) -> Principal:
    runtime = runtime_of(request)
    with runtime.sessionmaker.begin() as session:
        return authenticate(
            session, bearer_token(request.headers.get("authorization")), clock=runtime.clock
        )


class GuardedRoute(APIRoute):
    """A route that checks the token and role before the body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        requirements = role_requirements(self.dependant)
        if not requirements:
            return handler

        async def authenticate_first(request: Request) -> Response:
            principal = await run_in_threadpool(_authenticate_own_transaction, request)
            for requirement in requirements:
                requirement.check(principal)
            request.state.principal = principal
            return await handler(request)

        return authenticate_first


async def get_audit_log(request: Request) -> AuditLog:
    return _audit_log(request)


async def get_trail(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(get_principal)],
) -> AuditTrail:
    """The audit trail of this request: its transaction, caller and request id."""
    return AuditTrail(
        session=session,
        log=_audit_log(request),
        actor=Actor.of(principal),
        request_id=_request_id(request),
    )


AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
TrailDep = Annotated[AuditTrail, Depends(get_trail)]


# Who may do what. Admins can read everything auditors can.
READERS = RoleRequirement(Role.ADMIN, Role.AUDITOR)
ADMINS = RoleRequirement(Role.ADMIN)
PIPELINES = RoleRequirement(Role.PIPELINE)
# The deploy gate: pipelines ask before they deploy, auditors and admins to check.
GATE_CALLERS = RoleRequirement(Role.ADMIN, Role.AUDITOR, Role.PIPELINE)

Reader = Annotated[Principal, Depends(READERS)]
Admin = Annotated[Principal, Depends(ADMINS)]
Pipeline = Annotated[Principal, Depends(PIPELINES)]
GateCaller = Annotated[Principal, Depends(GATE_CALLERS)]
