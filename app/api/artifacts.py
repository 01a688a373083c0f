"""/v1/artifacts: what attestd knows about one digest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.api.deps import Admin, GuardedRoute, Reader, SessionDep, TrailDep, TrustRootsDep
from app.artifacts.errors import ArtifactNotFound
from app.digests import ARTIFACT_DIGEST_MAX, ARTIFACT_DIGEST_PATTERN, normalise_digest
from app.errors import (
    Forbidden,
    InvalidCursor,
    InvalidRequest,
    Unauthenticated,
    problem_responses,
)
from app.pagination import PageQuery
from app.sboms import records
from app.sboms.schemas import ComponentPage
from app.workflows.artifact_record import get_artifact as artifact_record
from app.workflows.reverify import reverify_artifact
from app.workflows.schemas import ArtifactOut, ReverifyOut

router = APIRouter(prefix="/v1/artifacts", tags=["artifacts"], route_class=GuardedRoute)
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)

DigestPath = Annotated[
    str,
    Path(
        max_length=ARTIFACT_DIGEST_MAX,
        pattern=ARTIFACT_DIGEST_PATTERN,
        description="sha256:<hex> or sha512:<hex>.",
    ),
]


@router.get(
    "/{digest}",
    summary="One artifact: its service, name, version and SBOMs",
    responses=problem_responses(*_AUTH, ArtifactNotFound),
)
def get_artifact(digest: DigestPath, session: SessionDep, _: Reader) -> ArtifactOut:
    return artifact_record(session, normalise_digest(digest))


@router.get(
    "/{digest}/components",
    summary="The components of one artifact, page by page",
    responses=problem_responses(*_AUTH, ArtifactNotFound, InvalidCursor),
)
def artifact_components(
    digest: DigestPath,
    session: SessionDep,
    _: Reader,
    page: Annotated[PageQuery, Query()],
) -> ComponentPage:
    return records.artifact_components(
        session, normalise_digest(digest), cursor=page.cursor, limit=page.limit
    )


@router.post(
    "/{digest}/reverify",
    summary="Verify the artifact's evidence again, against today's trust roots and policy",
    description="Every signature and attestation naming the artifact is verified again from "
    "its stored bytes; each gets a new receipt (verified or not, with reasons) and each "
    "provenance a new check. Earlier receipts stay as they were. One audit-log entry.",
    responses=problem_responses(*_AUTH, ArtifactNotFound),
)
def reverify(
    digest: DigestPath, trail: TrailDep, _: Admin, trust_roots: TrustRootsDep
) -> ReverifyOut:
    return reverify_artifact(trail, normalise_digest(digest), trust_roots=trust_roots)
