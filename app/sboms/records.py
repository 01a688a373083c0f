"""Reading stored SBOMs: their record, their exact bytes, an artifact's components."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.artifacts.repository import ArtifactRepository
from app.blobs.repository import BlobRepository
from app.errors import NotFound
from app.pagination import clamp_limit, decode_position, encode_position
from app.sboms.ingest import component_share, sbom_out, sbom_signature
from app.sboms.models import Component, Sbom
from app.sboms.repository import SbomRepository
from app.sboms.schemas import ComponentOut, ComponentPage, HashOut, SbomRecord
from app.services.repository import ServiceRepository


class SbomNotFound(NotFound):
    slug = "sbom-not-found"
    title = "No such SBOM"


def get_sbom(session: Session, sbom_id: int) -> SbomRecord:
    sbom = _require(session, sbom_id)
    artifact, service = ArtifactRepository(session).with_service_by_id(sbom.artifact_id)
    return sbom_out(
        sbom,
        service=service,
        artifact_digest=artifact.digest,
        media_type=BlobRepository(session).media_type(sbom.digest),
        component_share=component_share(session, ServiceRepository(session).require(service)),
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


def artifact_components(
    session: Session, digest: str, *, cursor: str | None, limit: int | None
) -> ComponentPage:
    """One page of the components of every SBOM of the artifact, in upload order."""
    size = clamp_limit(limit)
    position = decode_position(cursor, (int,))
    artifact = ArtifactRepository(session).require(digest)
    rows = SbomRepository(session).artifact_components(
        artifact.id, after=None if position is None else int(position[0]), limit=size + 1
    )
    items = [_component_out(row) for row in rows[:size]]
    following = encode_position(items[-1].id) if len(rows) > size else None
    return ComponentPage(items=items, next=following)


def _component_out(row: Component) -> ComponentOut:
    return ComponentOut(
        id=row.id,
        sbom_id=row.sbom_id,
        ref=row.ref,
        name=row.name,
        version=row.version,
        type=row.type,
        purl=row.purl,
        purl_valid=row.purl_valid,
        cpe=row.cpe,
        supplier=row.supplier,
        licenses=list(row.licenses),
        hashes=[HashOut(algorithm=algorithm, value=value) for algorithm, value in row.hashes],
    )
