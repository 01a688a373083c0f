"""What every piece of evidence goes through first, and the one path of its rejection.

An SBOM upload and a bundle submission are both an ``Upload``: the caller must
be allowed to write to the service, which must exist. A refusal at any step
of storing it is an ``AppError`` marked for the audit log: the request's
changes roll back and the rejection alone is recorded (who, the digest of the
bytes, where they were meant to go, the problem and its first reasons).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Generic, Literal, TypeVar

from sqlalchemy.orm import Session

from app.artifacts.uploads import Upload
from app.audit.actions import Action
from app.audit.events import Change
from app.audit.log import reject
from app.auth.credentials import Principal, Role
from app.errors import AppError, Forbidden
from app.services.errors import ServiceNotFound
from app.services.models import Service
from app.services.repository import ServiceRepository

EvidenceKind = Literal["sbom", "attestation"]
T = TypeVar("T")

# The audit leaf of a rejection keeps this many of its reasons.
_REASONS_RECORDED: Final[dict[EvidenceKind, int]] = {"sbom": 5, "attestation": 10}
_REJECTED: Final[dict[EvidenceKind, Action]] = {
    "sbom": Action.SBOM_REJECTED,
    "attestation": Action.ATTESTATION_REJECTED,
}


class ServiceNotWritable(Forbidden):
    slug = "service-not-writable"
    title = "This token may not write to this service"


# What any evidence upload can answer before its own checks.
INTAKE_PROBLEMS: tuple[type[AppError], ...] = (ServiceNotFound, ServiceNotWritable)


@dataclass(frozen=True)
class Accepted(Generic[T]):
    """The record of accepted evidence, and whether it was stored now."""

    record: T
    created: bool  # False: the same bytes were stored before, nothing was added


def writable_service(session: Session, principal: Principal, upload: Upload) -> Service:
    """The service ``upload`` is for, when ``principal`` may write to it.

    Only pipeline tokens submit evidence; the routes admit no other role, and the
    use case holds to it whoever calls it.
    """
    if principal.role is not Role.PIPELINE:
        raise ServiceNotWritable(
            f"The token {principal.name!r} has the role {principal.role.value}; "
            "only pipeline tokens submit evidence."
        )
    if not principal.may_write_to(upload.service):
        raise ServiceNotWritable(
            f"The token {principal.name!r} may submit evidence only for its own services."
        )
    return ServiceRepository(session).require(upload.service)


def rejected(error: AppError, kind: EvidenceKind, upload: Upload, *, read: bool = True) -> AppError:
    """``error`` marked as the rejection of ``upload``; ``read=False``: its bytes never arrived."""
    digest = upload.digest if read else None
    return reject(
        error,
        Change(
            action=_REJECTED[kind],
            object_kind=kind,
            object_id=digest or "",
            document_sha256=digest.removeprefix("sha256:") if digest else None,
            result={
                "service": upload.service,
                "artifact": upload.artifact,
                "status": error.status,
                "problem": error.slug,
                "reasons": error.reasons[: _REASONS_RECORDED[kind]],
            },
        ),
    )


@contextmanager
def rejections_recorded(kind: EvidenceKind, upload: Upload) -> Iterator[None]:
    """Every ``AppError`` raised inside becomes the audited rejection of ``upload``."""
    try:
        yield
    except AppError as error:
        raise rejected(error, kind, upload) from None
