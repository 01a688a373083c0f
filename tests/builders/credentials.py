"""Who calls: the bearer header of an HTTP test, the ``Principal`` a use case is called with."""

from __future__ import annotations

from app.auth.credentials import Principal, Role


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header that presents ``token``."""
    return {"Authorization": f"Bearer {token}"}


def admin(token_id: int = 1, name: str = "admin-token") -> Principal:
    """An admin token, as the authentication dependency resolves it."""
    return Principal(token_id=token_id, name=name, role=Role.ADMIN, services=None)


def pipeline(*services: str, token_id: int = 2, name: str = "pipeline-token") -> Principal:
    """A pipeline token limited to ``services``; with none, one that may write to any service."""
    return Principal(token_id=token_id, name=name, role=Role.PIPELINE, services=services or None)


def auditor(token_id: int = 3, name: str = "auditor-token") -> Principal:
    """An auditor token: it reads, and asks the deploy gate."""
    return Principal(token_id=token_id, name=name, role=Role.AUDITOR, services=None)
