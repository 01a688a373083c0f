"""Wire schemas of SBOMs and component search."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.pagination import Page
from app.policy.maturity import SbomProfile, Severity
from app.sboms.formats import SbomFormat
from app.wire import OutputModel


class QualityElementOut(OutputModel):
    id: str = Field(description="The minimum element, e.g. component-hash.")
    title: str
    coverage: float = Field(description="Percent of the SBOM (or its components) that has it.")
    remediation: str | None = Field(description="How to cover it; null when covered fully.")


class QualityOut(OutputModel):
    """Coverage of the CISA 2025 minimum elements."""

    score: float = Field(description="0-10, the weighted coverage of the elements.")
    elements: list[QualityElementOut]


class SbomProfileOut(OutputModel):
    """Whether the SBOM meets one profile (docs/sboms.md): every element, not an average."""

    profile: SbomProfile
    title: str = Field(examples=["CISA minimum elements (2025)"])
    passed: bool
    component_share: float = Field(
        description="The share of components that must carry each component element: the "
        "sbom_component_share of the service's policy in force."
    )
    reasons: list[str] = Field(
        description="One per element the SBOM misses; empty exactly when passed.",
        examples=[
            [
                "component-hash: 12 of 48 components (25 %) carry a SHA-256 or stronger "
                "hash; cisa-2025 needs 95 %"
            ]
        ],
    )


class ArtifactRef(OutputModel):
    digest: str = Field(examples=["sha256:" + "ab" * 32])


class SubjectOut(OutputModel):
    """The artifact the SBOM says it describes."""

    name: str | None
    version: str | None
    digests: list[str]


class SbomSignature(OutputModel):
    """The verified DSSE attestation an SBOM arrived in, and who signed it."""

    attestation_id: int
    verified: bool = Field(description="As of the attestation's most recent receipt.")
    subject: str = Field(description="The signer's identity (certificate SAN).")
    issuer: str = Field(description="The signer's OIDC issuer.")


class SbomVulnerabilities(OutputModel):
    """The vulnerabilities the SBOM lists (CycloneDX 1.4+; SPDX 2.x lists none), as the SBOM
    itself analyses them. The maturity check vex-present and the deploy gate judge the
    newest SBOM of an artifact with the verified OpenVEX statements in force applied too
    (docs/vulnerabilities.md)."""

    count: int | None = Field(
        description="Vulnerabilities listed; null only for an SBOM stored before attestd "
        "counted them whose bytes could not be read again."
    )
    unanalyzed: int | None = Field(
        description="Of those, the ones without any analysis state; null when count is. An "
        "analysed one may still be open (exploitable, in_triage): see open."
    )
    open: int | None = Field(
        description="Of those, the ones the SBOM's own analysis leaves open: every one but "
        "those analysed not_affected with a justification, resolved, resolved_with_pedigree "
        "or false_positive. Null when the SBOM's vulnerabilities could not be read again."
    )
    open_by_severity: dict[Severity, int] | None = Field(
        description="The open ones by the highest severity of their ratings (unknown when "
        "unrated); only severities that have some. Null when open is.",
        examples=[{"critical": 1, "unknown": 2}],
    )


# A stored SBOM: its format, artifact, counts, quality and who sent it (``SbomOut``
# adds what an upload did to the maturity).
class SbomRecord(OutputModel):
    id: int
    digest: str = Field(description="sha256 of the exact bytes uploaded.")
    format: SbomFormat
    spec_version: str
    media_type: str = Field(description="The Content-Type the bytes were uploaded with.")
    service: str
    artifact: ArtifactRef
    component_count: int
    dependency_count: int = Field(description="Edges of the dependency graph.")
    invalid_purl_count: int = Field(description="Components whose purl does not parse.")
    vulnerabilities: SbomVulnerabilities
    quality: QualityOut
    profiles: list[SbomProfileOut] = Field(
        description="Every SBOM profile (ntia-2021, cisa-2025, bsi-tr-03183-2) and whether "
        "the SBOM meets it under the service's policy in force."
    )
    subject: SubjectOut
    uploaded_by: str = Field(description="Name of the token that uploaded it.")
    signature: SbomSignature | None = Field(
        description="Set when the SBOM was the predicate of a verified, signed attestation "
        "(POST /v1/attestations); null for an SBOM uploaded on its own."
    )
    audit_index: int = Field(description="Index of the audit-log entry that recorded the upload.")
    created_at: datetime


class HashOut(OutputModel):
    algorithm: str
    value: str


class ComponentOut(OutputModel):
    id: int
    sbom_id: int
    ref: str | None = Field(description="bom-ref (CycloneDX) or SPDXID (SPDX).")
    name: str
    version: str | None
    type: str | None
    purl: str | None = Field(description="Canonical when it parses, else exactly as given.")
    purl_valid: bool
    cpe: str | None
    supplier: str | None
    licenses: list[str]
    hashes: list[HashOut]


class ComponentPage(Page[ComponentOut]):
    """One page of an artifact's components, in upload order."""


class ComponentArtifact(OutputModel):
    digest: str
    service: str


class ComponentMatch(OutputModel):
    purl: str
    name: str
    version: str | None
    artifacts: list[ComponentArtifact]


class ComponentSearchPage(Page[ComponentMatch]):
    """Matches in (purl version, purl) order.

    A page holds at most ``limit`` (purl, artifact) pairs; a purl found in more
    artifacts than that continues on the next page.
    """
