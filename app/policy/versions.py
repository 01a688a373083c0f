"""Reading the stored, versioned policy of a service: the version in force and its digest.

A service has the versions it was given, 1, 2, … (each immutable, the highest
in force), or none: it is then at version 0, the default for its repository
(``default_policy``), computed afresh.
"""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy.orm import Session

from app.policy.document import PolicyVersion, ServicePolicyDocument, policy_digest
from app.policy.errors import PolicyStorageError
from app.policy.identities import default_policy_for
from app.policy.models import ServicePolicy
from app.policy.repository import PolicyRepository
from app.services.models import Service


def current_policy(session: Session, service: Service) -> PolicyVersion:
    """The policy a signature for ``service`` is verified against."""
    current, _ = current_version(PolicyRepository(session), service)
    return current


def default_policy(service: Service) -> ServicePolicyDocument:
    """The policy of a service with no stored version: default identities, default rules."""
    return ServicePolicyDocument.model_validate(
        default_policy_for(service.repository).model_dump(exclude_none=True)
    )


def current_version(
    repository: PolicyRepository, service: Service
) -> tuple[PolicyVersion, ServicePolicy | None]:
    row = repository.latest(service.id)
    if row is None:
        default = default_policy(service)
        return PolicyVersion(default, 0, policy_digest(default)), None
    return checked_version(service, row), row


def checked_version(service: Service, row: ServicePolicy) -> PolicyVersion:
    """A stored version, validated, and refused when it no longer has its recorded digest."""
    policy, digest = _validated(json.dumps(row.document))
    if digest != row.digest:
        # Fail closed: verifying against a policy other than the recorded one
        # would put a wrong policy digest in the receipt.
        raise PolicyStorageError(
            f"policy version {row.version} of service {service.name!r} does not match "
            f"its digest ({digest} != {row.digest})"
        )
    return PolicyVersion(policy, row.version, digest)


@lru_cache(maxsize=256)
def _validated(document: str) -> tuple[ServicePolicyDocument, str]:
    """A stored policy document (as JSON text) validated, and the digest of the result.

    Keyed on the document itself, so a changed row is validated afresh; stored
    versions never change, so a few hundred entries serve every service.
    """
    policy = ServicePolicyDocument.model_validate(json.loads(document))
    return policy, policy_digest(policy)
