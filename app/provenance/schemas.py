"""Wire schemas of provenance: what an attestation's provenance says, and its check."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.pagination import Page
from app.wire import OutputModel


class SourceOut(OutputModel):
    repository: str | None = Field(examples=["https://github.com/acme/payments"])
    ref: str | None = Field(examples=["refs/tags/v1.2.0"])
    commit: str | None


class ProvenanceOut(OutputModel):
    """An SLSA provenance and its most recent check."""

    attestation_id: int
    predicate_type: str
    builder_id: str
    build_type: str | None
    invocation_id: str | None
    started_on: datetime | None = Field(description="When the build started, as stated.")
    finished_on: datetime | None = Field(description="When the build finished, as stated.")
    claimed: list[str] = Field(
        default_factory=list,
        description="Fields above (started_on, finished_on) that only the tenant's own job "
        "states: nothing attestd verified vouches for them (provenance below Build L3).",
        examples=[["started_on", "finished_on"]],
    )
    source: SourceOut | None = Field(
        description="The source the build names, when its build parameters, resolved "
        "dependencies and signing certificate agree; null otherwise."
    )
    slsa_level: int = Field(
        ge=0,
        le=3,
        description="SLSA Build level: 1 provenance present, 2 signed by a hosted build "
        "platform, 3 from a builder the trust map trusts for L3 (builder id and signer).",
    )
    trusted_builder: str | None = Field(description="The trust-map entry that vouched.")
    rebuilder: bool = Field(
        default=False, description="That entry is an independent rebuilder (reproducibility)."
    )
    trust_domain: str | None = Field(
        default=None, description="The trust domain that entry names; null: the signer's own."
    )
    source_bound: bool = Field(
        description="Built from the service's repository at one of its release refs (tags)."
    )
    reasons: list[str] = Field(description="'slug: text' for the level and the source check.")
    findings: list[str] = Field(description="What the provenance itself got wrong or left out.")
    checked_at: datetime


class BuildOut(OutputModel):
    """One provenance of a release: the trust domain it counted for, or why it did not count."""

    digest: str
    builder_id: str
    signer: str = Field(description="The provenance signer: 'subject (issuer)'.")
    attestation_id: int
    trust_domain: str | None = Field(
        description="The trust domain (who operates the builder) it counted for; null when "
        "it did not count.",
        examples=["rebuild-service", "https://github.com/acme"],
    )
    reason: str = Field(
        description="'slug: text': counted, same-domain-as (counted, in the domain of an "
        "earlier build), or why it did not count: unverified, not-source-bound, "
        "person-identity, not-a-rebuilder."
    )


class ReproducibilityOut(OutputModel):
    status: Literal["reproducible", "mismatch", "unverified"] = Field(
        description="reproducible: builds from at least quorum distinct trust domains attest "
        "one digest; mismatch: counted builds disagree on the digest; unverified: otherwise."
    )
    quorum: int
    independent_builders: int = Field(
        description="How many distinct trust domains attest the one digest (0 on a mismatch)."
    )
    trust_domains: list[str] = Field(
        description="The trust domains that agree on the one digest, in the order of their "
        "first build; empty on a mismatch."
    )
    builders: list[BuildOut] = Field(description="Every build counted, oldest first.")
    not_counted: list[BuildOut] = Field(
        description="The release's other builds, oldest first, each with why it did not count."
    )
    reasons: list[str]


class ReleaseArtifactOut(OutputModel):
    digest: str
    slsa_level: int | None = Field(
        description="Highest SLSA Build level of its verified, source-bound provenance."
    )
    created_at: datetime


class ReleaseOut(OutputModel):
    name: str
    version: str = Field(
        description="From the SBOM's subject, or the tag a source-bound provenance was built from."
    )
    artifacts: list[ReleaseArtifactOut]
    reproducibility: ReproducibilityOut


class ReleasePage(Page[ReleaseOut]):
    pass
