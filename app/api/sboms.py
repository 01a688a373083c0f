"""/v1/sboms and /v1/components: SBOM upload, SBOM records and component search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.bodies import read_evidence
from app.api.deps import GuardedRoute, Pipeline, Reader, SessionDep, TrailDep, TrustRootsDep
from app.artifacts.uploads import Upload
from app.digests import ARTIFACT_DIGEST_PATTERN, normalise_digest
from app.errors import (
    Forbidden,
    InvalidCursor,
    InvalidRequest,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.pagination import PageQuery
from app.sboms import records, search
from app.sboms.errors import SBOM_PROBLEMS
from app.sboms.formats import ACCEPTED_MEDIA_TYPES
from app.sboms.ingest import STORE_PROBLEMS
from app.sboms.ranges import InvalidVersionRange
from app.sboms.records import SbomNotFound
from app.sboms.schemas import ComponentSearchPage
from app.sboms.search import InvalidPurlQuery
from app.services.names import SERVICE_NAME_MAX, SERVICE_NAME_PATTERN
from app.workflows.accept_sbom import accept_sbom
from app.workflows.intake import INTAKE_PROBLEMS
from app.workflows.schemas import SbomOut

router = APIRouter(prefix="/v1", route_class=GuardedRoute)
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)

_SBOM_MEDIA_TYPES = list(ACCEPTED_MEDIA_TYPES)


class UploadQuery(BaseModel):
    """Where an SBOM belongs; any other parameter is an error."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(
        max_length=SERVICE_NAME_MAX,
        pattern=SERVICE_NAME_PATTERN,
        description="The service the artifact belongs to.",
    )
    artifact: str | None = Field(
        default=None,
        pattern=ARTIFACT_DIGEST_PATTERN,
        description="Digest of the artifact the SBOM describes (sha256:<hex> or sha512:<hex>); "
        "when absent, the digest in the SBOM's subject.",
    )


class ComponentQuery(PageQuery):
    purl: str = Field(
        min_length=1,
        max_length=search.MAX_QUERY_PURL_CHARS,
        description="Package URL; without a version it matches every version.",
        examples=["pkg:npm/lodash", "pkg:pypi/requests@2.32.3"],
    )
    range: str | None = Field(
        default=None,
        max_length=1000,
        description="vers: range of versions, in the ecosystem's ordering; only with a "
        "purl without version.",
        examples=["vers:npm/>=4.17.0|<4.17.21"],
    )


async def _upload(request: Request, query: Annotated[UploadQuery, Query()]) -> Upload:
    """The upload, its body read as a stream after the token was checked."""
    artifact = normalise_digest(query.artifact) if query.artifact else None
    return await read_evidence(request, "sbom", query.service, artifact)


@router.post(
    "/sboms",
    tags=["sboms"],
    status_code=status.HTTP_201_CREATED,
    summary="Upload an SBOM (CycloneDX JSON/XML 1.2-1.7, SPDX 2.2/2.3 JSON or tag-value, "
    "SPDX 3.0.1 JSON-LD)",
    description="201 with the stored SBOM; 200 with the same record when these exact bytes "
    "were uploaded before for the same service and artifact.",
    responses={
        200: {"description": "These bytes were stored before.", "model": SbomOut},
        **problem_responses(
            *_AUTH, PayloadTooLarge, *INTAKE_PROBLEMS, *SBOM_PROBLEMS, *STORE_PROBLEMS
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The SBOM document, byte for byte, in UTF-8: CycloneDX JSON or XML "
            "1.2-1.7, SPDX 2.2/2.3 JSON (application/spdx+json) or tag-value (text/spdx), or "
            "SPDX 3.0.1 JSON-LD (application/spdx+json or application/ld+json, told from SPDX 2 "
            "by its @context). application/json and application/xml are sniffed.",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in _SBOM_MEDIA_TYPES
            },
        }
    },
)
def upload_sbom(
    response: Response,
    trail: TrailDep,
    principal: Pipeline,
    upload: Annotated[Upload, Depends(_upload)],
    trust_roots: TrustRootsDep,
) -> SbomOut:
    accepted = accept_sbom(trail, principal, upload, trust_roots=trust_roots)
    if not accepted.created:
        response.status_code = status.HTTP_200_OK
    return accepted.record


SbomId = Annotated[int, Path(ge=1, le=2**31 - 1, description="SBOM id.")]


@router.get(
    "/sboms/{sbom_id}",
    tags=["sboms"],
    summary="One SBOM: format, artifact, counts and quality",
    responses=problem_responses(*_AUTH, SbomNotFound),
)
def get_sbom(sbom_id: SbomId, session: SessionDep, _: Reader) -> SbomOut:
    return SbomOut.of(records.get_sbom(session, sbom_id))


@router.get(
    "/sboms/{sbom_id}/raw",
    tags=["sboms"],
    summary="The exact bytes of one SBOM, with the content type they were uploaded with",
    response_class=Response,
    responses={
        200: {
            "description": "The document as uploaded.",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in _SBOM_MEDIA_TYPES
            },
        },
        **problem_responses(*_AUTH, SbomNotFound),
    },
)
def get_sbom_raw(sbom_id: SbomId, session: SessionDep, _: Reader) -> Response:
    media_type, content = records.get_raw(session, sbom_id)
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="sbom-{sbom_id}"',
        },
    )


@router.get(
    "/components",
    tags=["components"],
    summary="Which artifacts and services contain a package (at these versions)",
    responses=problem_responses(*_AUTH, InvalidCursor, InvalidPurlQuery, InvalidVersionRange),
)
def search_components(
    session: SessionDep, _: Reader, query: Annotated[ComponentQuery, Query()]
) -> ComponentSearchPage:
    return search.search_components(
        session,
        purl=query.purl,
        version_range=query.range,
        cursor=query.cursor,
        limit=query.limit,
    )
