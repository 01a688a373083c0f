"""Request dependencies: the database session, the caller, and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app.auth.credentials import Principal, Role
from app.auth.tokens import authenticate
from app.config import Settings
from app.errors import Forbidden


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route succeeds, else rolled back."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens before the response is sent, so a
# client never sees success for a transaction that then failed to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


bearer_scheme = HTTPBearer(
    bearerFormat="atd_ token",
    description="An attestd API token: `Authorization: Bearer atd_…`.",
    auto_error=False,
)


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    return authenticate(session, credentials.credentials if credentials else None)


class RoleRequirement:
    """Dependency admitting callers whose token has one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in self.roles:
            allowed = " or ".join(sorted(role.value for role in self.roles))
            raise Forbidden(f"This call needs a token with role {allowed}.")
        return principal

    def __repr__(self) -> str:
        return f"RoleRequirement({', '.join(sorted(self.roles))})"


# Who may do what. Admins can read everything auditors can.
READERS = RoleRequirement(Role.ADMIN, Role.AUDITOR)
ADMINS = RoleRequirement(Role.ADMIN)

Reader = Annotated[Principal, Depends(READERS)]
Admin = Annotated[Principal, Depends(ADMINS)]
