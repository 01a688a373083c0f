"""Wire schemas of artifacts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.sboms.formats import SbomFormat
from app.sboms.schemas import QualityOut
from app.wire import OutputModel


class ArtifactSbom(OutputModel):
    id: int
    digest: str
    format: SbomFormat
    spec_version: str
    component_count: int
    quality: QualityOut
    audit_index: int
    created_at: datetime


class ArtifactOut(OutputModel):
    digest: str
    service: str
    name: str | None = Field(description="From the first SBOM that names its subject.")
    version: str | None
    created_at: datetime
    sboms: list[ArtifactSbom]
