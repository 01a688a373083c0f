"""Wire schemas of the use cases' answers: records that join several domains, and what
a change did to the service's maturity."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.attestations.schemas import AttestedSbom, ReceiptOut, SubjectOut
from app.provenance.schemas import ProvenanceOut, ReproducibilityOut
from app.sboms.formats import SbomFormat
from app.sboms.schemas import QualityOut, SbomProfileOut, SbomRecord, SbomVulnerabilities
from app.scoring.schemas import MaturityDelta
from app.wire import OutputModel


# The record of a stored SBOM; on a new upload, with the service's maturity after it.
class SbomOut(SbomRecord):
    maturity: MaturityDelta | None = Field(
        default=None,
        description="On a new upload: the service's maturity after it, and the change.",
    )

    @classmethod
    def of(cls, record: SbomRecord, maturity: MaturityDelta | None = None) -> SbomOut:
        return cls.model_validate({**dict(record), "maturity": maturity})


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
    was_verified: bool = Field(description="What the receipt before this one concluded.")
    changed: bool = Field(
        description="The verdict moved: verified then and not now (or the reverse), or the "
        "provenance's SLSA level or source binding is not what it was."
    )


class ReverifyOut(OutputModel):
    digest: str
    service: str
    reverified_at: datetime
    audit_index: int = Field(description="Index of the audit-log entry recording it.")
    evidence: list[ReverifiedOut] = Field(
        description="Every signature and attestation naming the artifact, oldest first."
    )


class ServiceReverifyOut(OutputModel):
    """A whole service's evidence verified again, and what changed."""

    service: str
    reverified_at: datetime
    audit_index: int = Field(description="Index of the audit-log entry recording it.")
    policy_version: int = Field(description="The policy version the evidence was judged under.")
    trust_roots_digest: str = Field(description="The set of trust roots it was verified with.")
    checked: int = Field(description="How many signatures and attestations were verified again.")
    changed: list[ReverifiedOut] = Field(
        description="Those whose verdict moved (see `changed`), oldest first."
    )


# --- the artifact record -----------------------------------------------------------------


class ArtifactSbom(OutputModel):
    id: int
    digest: str
    format: SbomFormat
    spec_version: str
    component_count: int
    vulnerabilities: SbomVulnerabilities
    quality: QualityOut
    profiles: list[SbomProfileOut] = Field(
        description="Every SBOM profile and whether the SBOM meets it (as GET /v1/sboms/{id})."
    )
    audit_index: int
    signed: bool = Field(description="Arrived as the predicate of a verified attestation.")
    created_at: datetime


class ArtifactSigner(OutputModel):
    subject: str
    issuer: str


class ArtifactEvidence(OutputModel):
    """A signature or attestation naming the artifact, with its latest receipt's verdict."""

    id: int
    digest: str = Field(description="sha256 of the bundle's bytes.")
    predicate_type: str | None = Field(description="Attestations only.")
    verified: bool
    signer: ArtifactSigner
    log_index: int | None = Field(description="Null for a bundle in no log (timestamp-only).")
    receipt: ReceiptOut = Field(description="The latest receipt, in full.")
    audit_index: int
    created_at: datetime


class ArtifactOut(OutputModel):
    digest: str
    service: str
    name: str | None = Field(description="From the first SBOM that names its subject.")
    version: str | None
    created_at: datetime
    sboms: list[ArtifactSbom]
    signatures: list[ArtifactEvidence] = Field(
        description="Sigstore message signatures over this digest, oldest first."
    )
    attestations: list[ArtifactEvidence] = Field(
        description="DSSE in-toto statements naming this digest as a subject, oldest first."
    )
    reproducibility: ReproducibilityOut = Field(
        description="Whether independent builders agree on the digest of this artifact's "
        "release (its name at its version)."
    )
    consistency: list[str] = Field(
        description="'slug: text' for each disagreement between the artifact's documents: "
        "an SBOM whose own subject is another digest, a dependency the provenance resolved "
        "at another version or digest than an SBOM lists."
    )
    provenance: ProvenanceOut | None = Field(
        description="The artifact's best SLSA provenance: the highest level among those "
        "bound to the service's source, else the highest level; null without provenance."
    )
