"""Reading stored attestations: the row and the exact bytes of the bundle."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.attestations.models import Attestation
from app.attestations.repository import AttestationRepository
from app.blobs.repository import BlobRepository
from app.errors import NotFound


class AttestationNotFound(NotFound):
    slug = "attestation-not-found"
    title = "No such attestation"


def get_raw(session: Session, attestation_id: int) -> tuple[str, bytes]:
    """(media type as submitted, the exact bytes) of one bundle."""
    attestation = require_attestation(session, attestation_id)
    stored = BlobRepository(session).content(attestation.digest)
    if stored is None:  # a foreign key keeps the blob while the attestation exists
        raise AttestationNotFound(f"Attestation {attestation_id} has no stored bundle.")
    return stored


def require_attestation(session: Session, attestation_id: int) -> Attestation:
    """The attestation with this id; ``AttestationNotFound`` when there is none."""
    attestation = AttestationRepository(session).by_id(attestation_id)
    if attestation is None:
        raise AttestationNotFound(f"No attestation has id {attestation_id}.")
    return attestation
