"""The vocabulary of changes attestd records: every audit-log action, by name.

The same names tell why a maturity snapshot was recomputed (its ``trigger``),
so the audit leaf and the snapshot of one change say the same thing. A leaf's
``action`` is one of these values; logs written before ``sbom.accepted`` had its
name say ``sbom.uploaded`` for the same event.
"""

from __future__ import annotations

import enum


class Action(enum.StrEnum):
    """What happened, as an audit leaf's ``action`` and a snapshot's ``trigger`` name it."""

    # S105: ruff reads TOKEN_* = "token.…" as a password; these are event names.

    SERVICE_CREATED = "service.created"
    SERVICE_UPDATED = "service.updated"
    POLICY_CREATED = "policy.created"
    POLICY_UPDATED = "policy.updated"
    TOKEN_CREATED = "token.created"  # noqa: S105
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    SBOM_ACCEPTED = "sbom.accepted"
    SBOM_REPEATED = "sbom.repeated"
    SBOM_REJECTED = "sbom.rejected"
    ATTESTATION_ACCEPTED = "attestation.accepted"
    ATTESTATION_REPEATED = "attestation.repeated"
    ATTESTATION_REJECTED = "attestation.rejected"
    ARTIFACT_REVERIFIED = "artifact.reverified"
    SERVICE_REVERIFIED = "service.reverified"
    EVIDENCE_RECHECKED = "evidence.rechecked"  # judged again under the policy and roots in force
    EXCEPTION_REQUESTED = "exception.requested"
    EXCEPTION_APPROVED = "exception.approved"
    EXCEPTION_REVOKED = "exception.revoked"
    VERDICT_ISSUED = "verdict.issued"
