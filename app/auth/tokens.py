"""Creating, checking, listing and revoking API tokens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.auth.credentials import (
    Principal,
    Role,
    digests_match,
    is_valid_token_name,
    is_well_formed,
    new_token,
    token_digest,
)
from app.auth.models import ApiToken
from app.auth.repository import TokenRepository
from app.clock import SYSTEM_CLOCK, Clock
from app.errors import Conflict, InvalidRequest, NotFound, Unauthenticated
from app.services.names import is_valid_service_name

# last_used_at is refreshed at most this often, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenExists(Conflict):
    slug = "token-exists"
    title = "A token with this name exists"


class TokenNotFound(NotFound):
    slug = "token-not-found"
    title = "No token with this name"


class InvalidToken(InvalidRequest):
    slug = "invalid-token-request"
    title = "Invalid token request"


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: everything but the secret, which is never kept."""

    name: str
    role: Role
    services: tuple[str, ...] | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        return cls(
            name=row.name,
            role=Role(row.role),
            services=tuple(row.services) if row.services is not None else None,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


def create_token(
    trail: AuditTrail, *, name: str, role: Role, services: Iterable[str] = ()
) -> tuple[str, TokenInfo]:
    """Create a token; returns the secret (shown once) and what is stored of it."""
    scoped = tuple(dict.fromkeys(services))
    reasons = []
    if not is_valid_token_name(name):
        reasons.append(
            "name must be 1-64 characters of a-z, 0-9, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    if scoped and role is not Role.PIPELINE:
        reasons.append("only pipeline tokens can be limited to services")
    reasons.extend(
        f"{service!r} is not a valid service name"
        for service in scoped
        if not is_valid_service_name(service)
    )
    if reasons:
        raise InvalidToken("The token cannot be created.", reasons=reasons)
    repository = TokenRepository(trail.session)
    if repository.by_name(name) is not None:
        raise TokenExists(f"A token named {name!r} already exists.")
    secret = new_token()
    row = repository.add(
        ApiToken(
            name=name,
            role=role.value,
            secret_sha256=token_digest(secret),
            services=list(scoped) or None,
            created_at=trail.clock.now(),
        )
    )
    info = TokenInfo.of(row)
    trail.record(
        Change(
            action=Action.TOKEN_CREATED,
            object_kind="token",
            object_id=name,
            result={"role": role.value, "services": list(scoped) or None},
        )
    )
    return secret, info


def authenticate(
    session: Session, presented: str | None, *, clock: Clock = SYSTEM_CLOCK
) -> Principal:
    """The principal of a presented bearer token; one 401 for every kind of failure."""
    if presented is None or not is_well_formed(presented):
        raise Unauthenticated
    digest = token_digest(presented)
    repository = TokenRepository(session)
    row = repository.credential(digest)
    if row is None or row.revoked_at is not None or not digests_match(row.secret_sha256, digest):
        raise Unauthenticated
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        repository.mark_used(row.id, now)
    return Principal(
        token_id=row.id,
        name=row.name,
        role=Role(row.role),
        services=tuple(row.services) if row.services is not None else None,
    )


def list_tokens(session: Session) -> Sequence[TokenInfo]:
    return [TokenInfo.of(row) for row in TokenRepository(session).all()]


def revoke_token(trail: AuditTrail, name: str) -> TokenInfo:
    """Revoke the token called ``name``; revoking a revoked token changes nothing."""
    row = TokenRepository(trail.session).by_name(name)
    if row is None:
        raise TokenNotFound(f"No token is named {name!r}.")
    if row.revoked_at is None:
        row.revoked_at = trail.clock.now()
        trail.session.flush()
        trail.record(
            Change(
                action=Action.TOKEN_REVOKED,
                object_kind="token",
                object_id=name,
                result={"role": row.role},
            )
        )
    return TokenInfo.of(row)


def ensure_first_admin(trail: AuditTrail, name: str = "initial-admin") -> str | None:
    """Create an admin token when no active one exists; returns its secret, else None."""
    repository = TokenRepository(trail.session)
    if repository.active_admin_exists():
        return None
    candidate = name
    suffix = 1
    while repository.by_name(candidate) is not None:
        suffix += 1
        candidate = f"{name}-{suffix}"
    secret, _ = create_token(trail, name=candidate, role=Role.ADMIN)
    return secret
