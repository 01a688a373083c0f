"""Reading stored SBOMs: their record and their exact bytes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.artifacts.repository import ArtifactRepository
from app.blobs.repository import BlobRepository
from app.errors import NotFound
from app.sboms.ingest import sbom_out, sbom_signature
from app.sboms.models import Sbom
from app.sboms.repository import SbomRepository
from app.sboms.schemas import SbomOut


class SbomNotFound(NotFound):
    slug = "sbom-not-found"
    title = "No such SBOM"


def get_sbom(session: Session, sbom_id: int) -> SbomOut:
    sbom = _require(session, sbom_id)
    artifact, service = ArtifactRepository(session).with_service_by_id(sbom.artifact_id)
    return sbom_out(
        sbom,
        service=service,
        artifact_digest=artifact.digest,
        media_type=BlobRepository(session).media_type(sbom.digest),
        signature=(
            None if sbom.attestation_id is None else sbom_signature(session, sbom.attestation_id)
        ),
    )


def get_raw(session: Session, sbom_id: int) -> tuple[str, bytes]:
    """(media type as uploaded, the exact bytes) of one SBOM."""
    sbom = _require(session, sbom_id)
    stored = BlobRepository(session).content(sbom.digest)
    if stored is None:  # a foreign key keeps the blob while the SBOM exists
        raise SbomNotFound(f"SBOM {sbom_id} has no stored document.")
    return stored


def _require(session: Session, sbom_id: int) -> Sbom:
    sbom = SbomRepository(session).by_id(sbom_id)
    if sbom is None:
        raise SbomNotFound(f"No SBOM has id {sbom_id}.")
    return sbom
