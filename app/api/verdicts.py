"""/v1/verdicts: the deploy gate, answered with a signed verification summary (SLSA VSA)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import GateCaller, GuardedRoute, RuntimeDep, TrailDep
from app.artifacts.errors import ArtifactNotFound
from app.errors import (
    Forbidden,
    InvalidRequest,
    MalformedBody,
    PayloadTooLarge,
    Unauthenticated,
    problem_responses,
)
from app.scoring.schemas import VerdictOut, VerdictRequest
from app.scoring.verdicts import UnknownEnvironment
from app.workflows.ask_gate import ask_gate

router = APIRouter(prefix="/v1/verdicts", tags=["verdicts"], route_class=GuardedRoute)


@router.post(
    "",
    summary="May this digest ship to this environment?",
    description="allow when the level of the artifact's release reaches the level the "
    "service policy requires for the environment (default production), else deny with "
    "the rule and the failing checks. vsa is a DSSE envelope of an in-toto Statement "
    "whose predicate is a SLSA Verification Summary v1, signed with the key /v1/keys lists "
    "for verification-summaries; it names the environment it was issued for and is valid "
    "until its validUntil. Each verdict is an audit-log entry.",
    responses=problem_responses(
        Unauthenticated,
        Forbidden,
        InvalidRequest,
        MalformedBody,
        PayloadTooLarge,
        ArtifactNotFound,
        UnknownEnvironment,
    ),
)
def issue_verdict(
    body: VerdictRequest, trail: TrailDep, caller: GateCaller, runtime: RuntimeDep
) -> VerdictOut:
    return ask_gate(
        trail,
        caller,
        body,
        key=runtime.vsa_key,
        public_url=runtime.settings.public_url.rstrip("/"),
        validity=runtime.settings.vsa_validity,
        trust_roots=runtime.trust_roots,
    )
