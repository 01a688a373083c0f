"""Wire schemas of service policies and attestations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from app.attestations.policy import MAX_IDENTITIES, AllowedIdentity, RefRegex
from app.provenance.binding import DEFAULT_RELEASE_REFS
from app.provenance.policy import (
    DEFAULT_REPRODUCIBILITY_QUORUM,
    MAX_REPRODUCIBILITY_QUORUM,
    TrustedBuilderRule,
)
from app.provenance.schemas import ProvenanceOut
from app.provenance.trust_map import MAX_BUILDERS
from app.scoring.policy import (
    DEFAULT_ENVIRONMENTS,
    CheckWeights,
    CoverageWindowDays,
    Environments,
    MinSbomQuality,
)
from app.scoring.schemas import MaturityDelta
from app.wire import InputModel, OutputModel


class PolicyUpdate(InputModel):
    """Fields to change; absent fields keep their current value."""

    identities: list[AllowedIdentity] | None = Field(
        default=None,
        max_length=MAX_IDENTITIES,
        description=(
            "Replaces the allowed identities. A signer is accepted when it matches any one "
            "of them; an empty list accepts nobody. Absent: the identities are kept."
        ),
    )

    trusted_builders: list[TrustedBuilderRule] | None = Field(
        default=None,
        max_length=MAX_BUILDERS,
        description=(
            "Replaces the builders trusted besides attestd's defaults; null or []: the "
            "defaults alone. Absent: kept."
        ),
    )
    release_refs: RefRegex | None = Field(
        default=None,
        description=(
            f"Git refs releases are built from, in full; null: the default "
            f"{DEFAULT_RELEASE_REFS!r}. Absent: kept."
        ),
    )
    reproducibility_quorum: int | None = Field(
        default=None,
        ge=1,
        le=MAX_REPRODUCIBILITY_QUORUM,
        strict=True,
        description=(
            f"Independent builders that must agree on a release's digest; null: the "
            f"default {DEFAULT_REPRODUCIBILITY_QUORUM}. Absent: kept."
        ),
    )

    environments: Environments | None = Field(
        default=None,
        description=(
            "Maturity level (0-5) a deploy to each environment needs, by environment name; "
            f"null: the default {DEFAULT_ENVIRONMENTS}. Absent: kept."
        ),
    )
    min_sbom_quality: MinSbomQuality | None = Field(
        default=None,
        description="SBOM quality (0-10) level 2 asks for; null: the default 6.0. Absent: kept.",
    )
    coverage_window_days: CoverageWindowDays | None = Field(
        default=None,
        description=(
            "Days back that release coverage, reproducibility and the score trend look; "
            "null: the default 30. Absent: kept."
        ),
    )
    check_weights: CheckWeights | None = Field(
        default=None,
        description=(
            "Weight (0-100) of checks in the maturity score, by check id; checks not named "
            "keep their default (5 for level 1 down to 1 for level 5); null: all defaults. "
            "Absent: kept."
        ),
    )

    @field_validator("identities")
    @classmethod
    def _identities_listed_once(cls, value: list[AllowedIdentity] | None) -> list[AllowedIdentity]:
        # Runs only when the field is given, so the error is located at body.identities.
        if value is None:
            raise ValueError("identities cannot be null: send [] to accept no signer")
        first_at: dict[AllowedIdentity, int] = {}
        for index, identity in enumerate(value):
            earlier = first_at.setdefault(identity, index)
            if earlier != index:
                raise ValueError(f"identities[{index}] repeats identities[{earlier}]")
        return value


class PolicyOut(OutputModel):
    """The policy in force for a service."""

    service: str
    version: int = Field(
        ge=0,
        description=(
            "1, 2, … for stored versions, one more on every change. 0: no version is stored "
            "and the default for the service's repository applies: a GitHub repository's "
            "own Actions workflows, on any other host no signer at all."
        ),
    )
    digest: str = Field(
        description=(
            "sha256 of the RFC 8785 canonical JSON of the policy (absent constraints left "
            "out); receipts name the policy they were verified against by this digest."
        ),
        examples=["sha256:" + "0" * 64],
    )
    identities: list[AllowedIdentity] = Field(
        description="A signer is accepted when it matches any one of these; none: nobody."
    )
    trusted_builders: list[TrustedBuilderRule] = Field(
        description="Builders trusted besides attestd's defaults (see the README)."
    )
    release_refs: str = Field(description="Git refs releases are built from (in force).")
    reproducibility_quorum: int = Field(
        description="Independent builders that must agree on a release's digest (in force)."
    )
    environments: dict[str, int] = Field(
        description="Maturity level a deploy to each environment needs (in force)."
    )
    min_sbom_quality: float = Field(description="SBOM quality level 2 asks for (in force).")
    coverage_window_days: int = Field(description="The coverage window in days (in force).")
    check_weights: dict[str, float] = Field(
        description="Weight of every check in the maturity score (in force)."
    )
    created_at: datetime | None = Field(
        description="When this version was stored; null for version 0."
    )
    created_by: str | None = Field(
        description="Name of the token (or operator) that stored it; null for version 0."
    )


# --- attestations ---------------------------------------------------------------------------


class SignerOut(OutputModel):
    subject: str = Field(
        description="The certificate's identity (SAN): a workflow URI, an e-mail, …",
        examples=["https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.2.0"],
    )
    issuer: str = Field(
        description="The OIDC issuer Fulcio recorded.",
        examples=["https://token.actions.githubusercontent.com"],
    )
    claims: dict[str, str] = Field(
        description="Workload claims in the certificate (Fulcio OIDs 1.3.6.1.4.1.57264.1.2-22), "
        "e.g. source_repository_uri, source_repository_ref, runner_environment."
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


class AttestationOut(OutputModel):
    id: int
    digest: str = Field(description="sha256 of the bundle's exact bytes.")
    kind: Literal["signature", "attestation"] = Field(
        description="signature: a Sigstore message signature over one digest; attestation: a "
        "DSSE envelope holding an in-toto statement."
    )
    bundle_version: str = Field(examples=["0.3"])
    media_type: str = Field(description="The Content-Type the bundle was submitted with.")
    predicate_type: str | None = Field(description="The statement's; null for signatures.")
    service: str
    subjects: list[SubjectOut]
    receipt: ReceiptOut = Field(description="The most recent verification.")
    sbom: AttestedSbom | None = Field(
        description="The SBOM ingested from an SBOM predicate (CycloneDX, SPDX); else null."
    )
    provenance: ProvenanceOut | None = Field(
        description="For SLSA provenance: what it says and its latest check; else null."
    )
    uploaded_by: str
    audit_index: int = Field(description="Index of the audit-log entry recording the upload.")
    created_at: datetime
    maturity: MaturityDelta | None = Field(
        default=None,
        description="On a new submission: the service's maturity after it, and the change.",
    )


class ReverifiedOut(OutputModel):
    """One piece of evidence verified again: its new receipt and provenance check."""

    attestation_id: int
    kind: Literal["signature", "attestation"]
    receipt: ReceiptOut
    provenance: ProvenanceOut | None


class ReverifyOut(OutputModel):
    digest: str
    service: str
    reverified_at: datetime
    audit_index: int = Field(description="Index of the audit-log entry recording it.")
    evidence: list[ReverifiedOut] = Field(
        description="Every signature and attestation naming the artifact, oldest first."
    )
