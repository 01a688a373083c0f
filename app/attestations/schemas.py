"""Wire schemas of attestations: their receipts, signers and subjects."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.wire import OutputModel


class SignerOut(OutputModel):
    subject: str = Field(
        description="The certificate's identity (SAN): a workflow URI, an e-mail, …; for a "
        "bundle signed with a key of the policy, that key's name.",
        examples=["https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.2.0"],
    )
    issuer: str = Field(
        description="The OIDC issuer Fulcio recorded; urn:attestd:key for a bundle signed "
        "with a key of the policy.",
        examples=["https://token.actions.githubusercontent.com"],
    )
    claims: dict[str, str] = Field(
        description="Workload claims in the certificate (Fulcio OIDs 1.3.6.1.4.1.57264.1.2-22), "
        "e.g. source_repository_uri, source_repository_ref, runner_environment."
    )
    identity: int | None = Field(
        default=None,
        description="Index (from 0) of the policy identity that accepted the signer, in the "
        "policy version the receipt names; null when it did not verify or was verified "
        "before this was recorded.",
    )
    kind: Literal["workload", "person"] | None = Field(
        default=None,
        description="workload (a CI run, a build service) or person, as the policy says of the "
        "identity that accepted the signer and of the trusted builders it signs for; null "
        "when the bundle did not verify.",
    )
    key_fingerprint: str | None = Field(
        default=None,
        description="For a bundle signed with a key of the policy (no certificate): sha256 of "
        "that key's DER SubjectPublicKeyInfo; null for certificates.",
        examples=["sha256:" + "0" * 64],
    )


class TlogOut(OutputModel):
    log_index: int
    log_id: str = Field(description="Hex of the log's id (SHA-256 of its public key).")
    integrated_time: datetime | None = Field(
        description="When the log took the entry; null for entries timed by a timestamp "
        "authority instead (Rekor v2)."
    )


class TrustRootOut(OutputModel):
    source: str = Field(description="The trusted_root.json file, or the built-in root.")
    digest: str = Field(description="sha256 of that file's bytes.")


class ReceiptOut(OutputModel):
    """What attestd concluded when it verified the bundle."""

    id: int
    verified: bool
    reasons: list[str] = Field(description="'slug: text' for each failure; empty if verified.")
    signer: SignerOut
    tlog: TlogOut
    trust_root: TrustRootOut
    trust_roots_digest: str = Field(
        description="sha256 naming the whole set of trust roots loaded when it was made; "
        "evidence judged under another set, or another policy version, is checked again "
        "before it counts ('' for receipts made before attestd recorded it)."
    )
    policy_version: int = Field(description="The service policy version verified against.")
    policy_digest: str
    sigstore_version: str
    verified_at: datetime
    audit_index: int = Field(description="Index of the audit-log entry recording it.")


class SubjectOut(OutputModel):
    name: str | None
    digest: str = Field(examples=["sha256:" + "ab" * 32])


class AttestedSbom(OutputModel):
    id: int
    digest: str = Field(description="sha256 of the predicate as stored (its JSON as signed).")
