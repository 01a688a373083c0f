"""Who calls: the bearer header that presents a token in an HTTP test."""

from __future__ import annotations


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header that presents ``token``."""
    return {"Authorization": f"Bearer {token}"}
