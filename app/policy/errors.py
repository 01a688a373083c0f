"""What can go wrong with a service policy::

EmptyPolicy             422 no-allowed-identity       the policy allows no signer
InvalidPolicy           422 invalid-request           an update whose result breaks a rule
PolicyVersionNotFound   404 policy-version-not-found  no such stored version
PolicyStorageError      (500)                          a stored version lost its digest
"""

from __future__ import annotations

from app.errors import InvalidRequest, NotFound


class EmptyPolicy(InvalidRequest):
    """The policy allows no identity: nothing can be verified against it."""

    slug = "no-allowed-identity"
    title = "The identity policy allows no signer"


class InvalidPolicy(InvalidRequest):
    """The fields sent are valid one by one, but the policy they make is not."""


class PolicyVersionNotFound(NotFound):
    slug = "policy-version-not-found"
    title = "The service has no such policy version"


class PolicyStorageError(RuntimeError):
    """A stored policy no longer has the digest recorded with it: the row was altered."""
