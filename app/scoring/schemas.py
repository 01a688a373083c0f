"""Wire schemas of maturity, exceptions and verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.artifacts.models import ARTIFACT_NAME_MAX, ARTIFACT_VERSION_MAX
from app.digests import ARTIFACT_DIGEST_PATTERN
from app.pagination import PageQuery
from app.policy.maturity import EnvironmentName
from app.scoring.models import JUSTIFICATION_MAX
from app.scoring.vsa import is_bare_digest
from app.services.names import SERVICE_NAME_MAX, SERVICE_NAME_PATTERN
from app.wire import InputModel, OutputModel

CheckStatus = Literal["pass", "fail", "waived", "not_applicable"]
ReleaseKey = Annotated[
    str,
    StringConstraints(
        min_length=3, max_length=ARTIFACT_NAME_MAX + 1 + ARTIFACT_VERSION_MAX, pattern=r"^\S+@\S+$"
    ),
    Field(description="A release: its artifacts' NAME@VERSION.", examples=["payments@1.4.0"]),
]
ExceptionStatusOut = Literal["pending", "approved", "expired", "revoked"]
JUSTIFICATION_MIN = 20
MAX_EXCEPTION_DAYS = 90


class CheckOut(OutputModel):
    id: str = Field(examples=["sbom-present"])
    level: int = Field(description="The level (1-5) the check belongs to.")
    title: str
    status: CheckStatus
    score: float = Field(description="0-10.")
    weight: float = Field(description="Its weight in the score (policy check_weights).")
    detail: str = Field(description="What was found, naming the evidence used.")
    remediation: str = Field(description="How to make it pass; empty when it passes.")
    evidence: list[str] = Field(
        description="What it read: sbom:ID, attestation:ID, release:NAME@VERSION, exception:ID, …"
    )
    waived_by: int | None = Field(default=None, description="The exception waiving it.")


class MaturityOut(OutputModel):
    service: str
    level: int = Field(description="0-5: the highest level whose checks, and lower ones, hold.")
    level_name: str = Field(examples=["Improve"])
    score: float = Field(description="0-100: the weighted mean of the applicable check scores.")
    checks: list[CheckOut]
    release: str | None = Field(description="The release judged (NAME@VERSION or a digest).")
    computed_at: datetime
    valid_until: datetime | None = Field(
        description="When time alone changes the result (an exception expires, a release "
        "leaves the coverage window); it is recomputed on the first read after."
    )
    snapshot_id: int
    trigger: str = Field(description="The change that caused this snapshot.")
    policy_version: int
    policy_digest: str


class MaturityDelta(OutputModel):
    """The service's maturity after a change, and how the change moved it."""

    snapshot_id: int
    level: int
    level_name: str
    score: float
    level_change: int = Field(description="Level after minus level before (0 at first).")
    score_change: float = Field(description="Score after minus score before (0 at first).")


class MaturityRow(OutputModel):
    service: str
    owner: str | None
    level: int
    level_name: str
    score: float
    failing: list[str] = Field(description="Ids of the checks that fail.")
    computed_at: datetime


class MaturityPage(OutputModel):
    items: list[MaturityRow]
    next: str | None = Field(description="Cursor for the next page; null on the last page.")


class MaturityQuery(PageQuery):
    sort: Literal["service", "level", "score"] = Field(
        default="service", description="Order by service name, level or score."
    )
    order: Literal["asc", "desc"] = Field(default="asc")
    min_level: int | None = Field(default=None, ge=0, le=5)
    max_level: int | None = Field(default=None, ge=0, le=5)
    owner: str | None = Field(default=None, max_length=200, description="Only this owner's.")
    failing: str | None = Field(
        default=None, max_length=64, description="Only services where this check fails."
    )


class SnapshotOut(OutputModel):
    snapshot_id: int
    level: int
    level_name: str
    score: float
    release: str | None
    trigger: str
    failing: list[str]
    computed_at: datetime
    policy_version: int


class SnapshotPage(OutputModel):
    items: list[SnapshotOut]
    next: str | None


class HistoryQuery(PageQuery):
    since: AwareDatetime | None = Field(default=None, description="Snapshots from this time.")
    until: AwareDatetime | None = Field(default=None, description="Snapshots up to this time.")


# --- exceptions -------------------------------------------------------------------------------

ServiceName = Annotated[
    str, StringConstraints(max_length=SERVICE_NAME_MAX, pattern=SERVICE_NAME_PATTERN)
]


class ExceptionCreate(InputModel):
    service: ServiceName
    check: str = Field(max_length=64, description="Id of the check to waive.")
    justification: str = Field(
        min_length=JUSTIFICATION_MIN,
        max_length=JUSTIFICATION_MAX,
        pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
        description="Why the check cannot pass now, and what will fix it.",
    )
    expires_at: AwareDatetime = Field(
        description=f"When the waiver ends; in the future, at most {MAX_EXCEPTION_DAYS} days ahead."
    )
    environment: EnvironmentName | None = Field(
        default=None,
        description="Waive the check only when the deploy gate is asked about this "
        "environment (one the service policy names); null: every environment.",
    )
    release: ReleaseKey | None = Field(
        default=None,
        description="Waive the check only for this release (NAME@VERSION); null: every release.",
    )
    digest: str | None = Field(
        default=None,
        pattern=ARTIFACT_DIGEST_PATTERN,
        description="Waive the check only when the deploy gate is asked about this artifact; "
        "null: every artifact. Not with release.",
    )

    @model_validator(mode="after")
    def _release_or_digest(self) -> ExceptionCreate:
        if self.release is not None and self.digest is not None:
            raise ValueError("scope an exception to a release or to an artifact digest, not both")
        return self


class ExceptionOut(OutputModel):
    id: int
    service: str
    check: str
    justification: str
    status: ExceptionStatusOut
    expires_at: datetime
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    revoked_by: str | None
    revoked_at: datetime | None
    environment: str | None = Field(description="The environment it waives for; null: all.")
    release: str | None = Field(description="The release it waives for; null: all.")
    digest: str | None = Field(description="The artifact it waives for; null: all.")
    audit_index: int = Field(description="Audit-log entry of the request.")


class ExceptionPage(OutputModel):
    items: list[ExceptionOut]
    next: str | None


class ExceptionQuery(PageQuery):
    service: ServiceName | None = None
    status: ExceptionStatusOut | None = None


# --- verdicts ---------------------------------------------------------------------------------


def _is_uri(value: str) -> str:
    if not urlsplit(value).scheme:
        raise ValueError("resource_uri must be a URI with a scheme (oci://…, pkg:…, https://…)")
    if is_bare_digest(value):
        raise ValueError("resource_uri must name the resource (oci://…, pkg:…), not be a digest")
    return value


ResourceUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$"),
    AfterValidator(_is_uri),
]


class VerdictRequest(InputModel):
    model_config = ConfigDict(extra="forbid")

    digest: str = Field(pattern=ARTIFACT_DIGEST_PATTERN, examples=["sha256:" + "ab" * 32])
    environment: EnvironmentName | None = Field(
        default=None, description="Where it would deploy; default production."
    )
    resource_uri: ResourceUri | None = Field(
        default=None,
        description="The VSA's resourceUri (an OCI reference, a purl…; not a bare digest); "
        "default: the artifact's name when it is a pkg:, oci:// or https:// URI, else "
        "attestd's URI of the artifact (…/v1/artifacts/{digest}).",
    )


class VerdictOut(OutputModel):
    decision: Literal["allow", "deny"]
    digest: str
    service: str | None
    environment: str
    required_level: int | None
    level: int
    level_name: str
    reasons: list[str] = Field(description="'slug: text' for each rule and check that denies.")
    waived: list[str] = Field(description="Checks that hold only by an exception.")
    vsa: dict[str, Any] = Field(
        description="DSSE envelope of an in-toto Statement with a SLSA verification summary "
        "(https://slsa.dev/verification_summary/v1), signed by the key /v1/keys lists for "
        "verification-summaries. Its predicate's urn:attestd:gate:v1 field names the "
        "environment, the required and reached levels, the policy version and validUntil."
    )
    audit_index: int
    verified_at: datetime
    valid_until: datetime = Field(
        description="When the summary stops being valid (its validUntil): act on it only before."
    )
