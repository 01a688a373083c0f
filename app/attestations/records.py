"""Reading stored attestations: their record and the exact bytes of the bundle."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.attestations.ingest import attestation_out
from app.attestations.models import Attestation
from app.attestations.repository import AttestationRepository
from app.attestations.schemas import AttestationOut
from app.blobs.repository import BlobRepository
from app.errors import NotFound
from app.services.repository import ServiceRepository


class AttestationNotFound(NotFound):
    slug = "attestation-not-found"
    title = "No such attestation"


def get_attestation(session: Session, attestation_id: int) -> AttestationOut:
    attestation = _require(session, attestation_id)
    attestations = AttestationRepository(session)
    return attestation_out(
        session,
        attestation,
        service=ServiceRepository(session).name_of(attestation.service_id),
        media_type=BlobRepository(session).media_type(attestation.digest),
        receipt=attestations.latest_receipt(attestation.id),
        sbom=attestations.sbom_of(attestation.id),
    )


def get_raw(session: Session, attestation_id: int) -> tuple[str, bytes]:
    """(media type as submitted, the exact bytes) of one bundle."""
    attestation = _require(session, attestation_id)
    stored = BlobRepository(session).content(attestation.digest)
    if stored is None:  # a foreign key keeps the blob while the attestation exists
        raise AttestationNotFound(f"Attestation {attestation_id} has no stored bundle.")
    return stored


def _require(session: Session, attestation_id: int) -> Attestation:
    attestation = AttestationRepository(session).by_id(attestation_id)
    if attestation is None:
        raise AttestationNotFound(f"No attestation has id {attestation_id}.")
    return attestation
