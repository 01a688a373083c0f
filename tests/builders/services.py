"""The service the tests register, ``payments`` of acme/payments, and ``ServiceCreate`` values.

``SERVICE`` and ``REPOSITORY`` are defined here once; the HTTP helpers
(tests/attestations/submissions.py, tests/sboms/uploads.py,
tests/scoring/reads.py) and the signer identities use them.
"""

from __future__ import annotations

from app.services.schemas import ServiceCreate

SERVICE = "payments"
REPOSITORY = "acme/payments"  # GitHub OWNER/NAME
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"


def service_create(
    name: str = SERVICE, repository: str = REPOSITORY_URL, owner: str | None = None
) -> ServiceCreate:
    """What an admin sends to register a service: ``payments`` unless told otherwise."""
    return ServiceCreate(name=name, repository=repository, owner=owner)
