"""The record of one attestation: what it signs, who signed it, its SBOM and provenance."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.attestations.ingest import receipt_out
from app.attestations.models import Attestation, VerificationReceipt
from app.attestations.records import require_attestation
from app.attestations.repository import AttestationRepository
from app.blobs.repository import BlobRepository
from app.provenance.recording import Checked, provenance_out
from app.provenance.repository import ProvenanceRepository
from app.sboms.repository import SbomRepository
from app.services.repository import ServiceRepository
from app.workflows.schemas import AttestationOut


def get_attestation(session: Session, attestation_id: int) -> AttestationOut:
    attestation = require_attestation(session, attestation_id)
    service = ServiceRepository(session).name_of(attestation.service_id)
    return stored_record(session, attestation, service=service)


def stored_record(session: Session, attestation: Attestation, *, service: str) -> AttestationOut:
    """The record of a stored attestation, everything read back."""
    return attestation_out(
        session,
        attestation,
        service=service,
        media_type=BlobRepository(session).media_type(attestation.digest),
        receipt=AttestationRepository(session).latest_receipt(attestation.id),
        sbom=SbomRepository(session).carried_by(attestation.id),
    )


def attestation_out(
    session: Session,
    attestation: Attestation,
    *,
    service: str,
    media_type: str,
    receipt: VerificationReceipt,
    sbom: tuple[int, str] | None,
    subjects: Sequence[tuple[str | None, str]] | None = None,
    provenance: Checked | None = None,
) -> AttestationOut:
    """The record of ``attestation``; its ``subjects`` and ``provenance`` when just stored.

    Without ``subjects``, the stored subjects and provenance are read back.
    """
    if subjects is None:
        subjects = AttestationRepository(session).subjects(attestation.id)
        found = ProvenanceRepository(session).of_attestation(attestation.id)
    else:
        found = None if provenance is None else (provenance.provenance, provenance.check)
    return AttestationOut.model_validate(
        {
            "id": attestation.id,
            "digest": attestation.digest,
            "kind": attestation.kind,
            "bundle_version": attestation.bundle_version,
            "media_type": media_type,
            "predicate_type": attestation.predicate_type,
            "service": service,
            "subjects": [{"name": name, "digest": digest} for name, digest in subjects],
            "receipt": receipt_out(receipt),
            "sbom": None if sbom is None else {"id": sbom[0], "digest": sbom[1]},
            "provenance": provenance_out(found),
            "uploaded_by": attestation.uploaded_by,
            "audit_index": attestation.audit_index,
            "created_at": attestation.created_at,
        }
    )
