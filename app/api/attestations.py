"""/v1/attestations: Sigstore bundles verified at submission, their records and bytes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.bodies import read_evidence
from app.api.deps import GuardedRoute, Pipeline, Reader, SessionDep, TrailDep, TrustRootsDep
from app.artifacts.uploads import Upload
from app.attestations import records
from app.attestations.bundles import BundleMediaType
from app.attestations.records import AttestationNotFound
from app.digests import ARTIFACT_DIGEST_PATTERN, normalise_digest
from app.errors import (
    Forbidden,
    InvalidRequest,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.services.names import SERVICE_NAME_MAX, SERVICE_NAME_PATTERN
from app.workflows.accept_bundle import SUBMISSION_PROBLEMS, accept_bundle
from app.workflows.attestation_record import get_attestation as attestation_record
from app.workflows.schemas import AttestationOut

router = APIRouter(prefix="/v1", tags=["attestations"], route_class=GuardedRoute)
_AUTH = (Unauthenticated, Forbidden, InvalidRequest)

_BUNDLE_MEDIA_TYPES = [media_type.value for media_type in BundleMediaType] + ["application/json"]


class SubmissionQuery(BaseModel):
    """Where a bundle belongs; any other parameter is an error."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(
        max_length=SERVICE_NAME_MAX,
        pattern=SERVICE_NAME_PATTERN,
        description="The service the signed artifacts belong to.",
    )
    artifact: str | None = Field(
        default=None,
        pattern=ARTIFACT_DIGEST_PATTERN,
        description="Digest of the artifact (sha256:<hex> or sha512:<hex>): a message "
        "signature must be over exactly this digest, a DSSE statement must name it as a "
        "subject.",
    )


async def _submission(request: Request, query: Annotated[SubmissionQuery, Query()]) -> Upload:
    """The submission, its body read as a stream after the token was checked."""
    artifact = normalise_digest(query.artifact) if query.artifact else None
    return await read_evidence(request, "attestation", query.service, artifact)


@router.post(
    "/attestations",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a Sigstore bundle (message signature or DSSE in-toto statement)",
    description="The bundle is verified offline against the configured trust roots and the "
    "service's identity policy. 201 with the stored record and its receipt; 200 with the "
    "same record when these exact bytes were accepted before for the same service. A bundle "
    "that fails verification is a 422 problem whose `reasons` are `slug: text`. A DSSE "
    "statement with a CycloneDX or SPDX predicate is also stored as an SBOM of its subject, "
    "marked as signed.",
    responses={
        200: {"description": "These bytes were accepted before.", "model": AttestationOut},
        **problem_responses(*_AUTH, PayloadTooLarge, *SUBMISSION_PROBLEMS),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The Sigstore bundle (JSON), byte for byte.",
            "content": {
                media_type: {"schema": {"type": "object"}} for media_type in _BUNDLE_MEDIA_TYPES
            },
        }
    },
)
def submit(
    response: Response,
    trail: TrailDep,
    principal: Pipeline,
    submission: Annotated[Upload, Depends(_submission)],
    trust_roots: TrustRootsDep,
) -> AttestationOut:
    accepted = accept_bundle(trail, principal, submission, trust_roots=trust_roots)
    if not accepted.created:
        response.status_code = status.HTTP_200_OK
    return accepted.record


AttestationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Attestation id.")]


@router.get(
    "/attestations/{attestation_id}",
    summary="One attestation: what it signs, who signed it, and its latest receipt",
    responses=problem_responses(*_AUTH, AttestationNotFound),
)
def get_attestation(
    attestation_id: AttestationId, session: SessionDep, _: Reader
) -> AttestationOut:
    return attestation_record(session, attestation_id)


@router.get(
    "/attestations/{attestation_id}/raw",
    summary="The exact bytes of one bundle, with the content type they were submitted with",
    response_class=Response,
    responses={
        200: {
            "description": "The bundle as submitted.",
            "content": {
                media_type: {"schema": {"type": "object"}} for media_type in _BUNDLE_MEDIA_TYPES
            },
        },
        **problem_responses(*_AUTH, AttestationNotFound),
    },
)
def get_attestation_raw(attestation_id: AttestationId, session: SessionDep, _: Reader) -> Response:
    media_type, content = records.get_raw(session, attestation_id)
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="attestation-{attestation_id}.json"',
        },
    )
