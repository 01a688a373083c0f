"""Wire schemas of artifacts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.attestations.schemas import ReceiptOut
from app.provenance.schemas import ProvenanceOut, ReproducibilityOut
from app.sboms.formats import SbomFormat
from app.sboms.schemas import QualityOut, SbomVulnerabilities
from app.wire import OutputModel


class ArtifactSbom(OutputModel):
    id: int
    digest: str
    format: SbomFormat
    spec_version: str
    component_count: int
    vulnerabilities: SbomVulnerabilities
    quality: QualityOut
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
    log_index: int
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
