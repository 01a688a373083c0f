"""Accept a Sigstore bundle: verify it, keep what its statement says, refresh maturity.

::

    may the token write to the service? -> same bytes stored before? (a repeat)
      -> parse -> verify against the trust roots and the policy in force
      -> store the attestation, its subjects and receipt (app.attestations.ingest)
      -> SLSA provenance: stored with its check (app.provenance.recording),
         a tag build names its subjects' release
      -> OpenVEX: its statements stored (app.vulnerabilities), a malformed one refused
      -> audit leaf -> an SBOM predicate: stored as the subject's SBOM, marked signed
      -> the maturity snapshot after it, and how it moved

A refusal at any step before the refresh is recorded as the submission's
rejection, and nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from app.artifacts.errors import ArtifactOfAnotherService
from app.artifacts.uploads import Upload
from app.attestations.bundles import BUNDLE_PROBLEMS, parse_bundle
from app.attestations.ingest import (
    AttestationOfAnotherPlace,
    StoredAttestation,
    accepted,
    repeat,
    store_attestation,
    subjects_of,
    verify_for_service,
)
from app.attestations.models import Attestation
from app.attestations.repository import AttestationRepository
from app.attestations.trust import TrustRoot
from app.attestations.verification import Verified
from app.audit.actions import Action
from app.audit.log import AuditTrail
from app.auth.credentials import Principal
from app.collector import collector_paused
from app.errors import AppError, Conflict, InvalidRequest
from app.policy.versions import current_policy
from app.provenance.recording import Checked, store_provenance, summary
from app.provenance.releases import name_releases
from app.provenance.slsa import ProvenanceMalformed, provenance_from_verified
from app.sboms.formats import SBOM_PREDICATE_FORMATS, SbomFormat, predicate_format
from app.sboms.ingest import store_sbom
from app.sboms.schemas import SbomSignature
from app.services.models import Service
from app.vulnerabilities.openvex import VexMalformed, statements_of
from app.vulnerabilities.repository import VexRepository
from app.workflows.attestation_record import attestation_out, stored_record
from app.workflows.intake import (
    INTAKE_PROBLEMS,
    Accepted,
    rejections_recorded,
    writable_service,
)
from app.workflows.recheck import bring_up_to_date, in_force, refresh_with_change
from app.workflows.schemas import AttestationOut


class AttestedSbomInvalid(InvalidRequest):
    slug = "attested-sbom-invalid"
    title = "The attestation verified, but its SBOM predicate cannot be ingested"


class AttestedSbomAmbiguous(InvalidRequest):
    slug = "attested-sbom-ambiguous"
    title = "The SBOM attestation names several artifacts"


# What POST /v1/attestations can answer besides authentication and the body limit.
SUBMISSION_PROBLEMS: tuple[type[AppError], ...] = (
    *INTAKE_PROBLEMS,
    *BUNDLE_PROBLEMS,
    ArtifactOfAnotherService,
    AttestationOfAnotherPlace,
    AttestedSbomInvalid,
    AttestedSbomAmbiguous,
    ProvenanceMalformed,
    VexMalformed,
)


def accept_bundle(
    trail: AuditTrail,
    principal: Principal,
    upload: Upload,
    *,
    trust_roots: Sequence[TrustRoot],
) -> Accepted[AttestationOut]:
    """Verify and store ``upload`` (or find it stored); refusals are audited."""
    session = trail.session
    with rejections_recorded("attestation", upload):
        service = writable_service(session, principal, upload)
        stored = AttestationRepository(session).by_digest(upload.digest)
        if stored is not None:
            return Accepted(_repeated(trail, stored, service, upload, trust_roots), created=False)

        parsed = parse_bundle(upload.body, upload.content_type)
        policy = current_policy(session, service)
        now = trail.clock.now()
        verified = verify_for_service(
            parsed, service, policy, artifact=upload.artifact, trust_roots=trust_roots, now=now
        )
        subjects = subjects_of(verified)
        provenance = provenance_from_verified(verified)
        vex = statements_of(verified, received=now)
        sbom_formats = SBOM_PREDICATE_FORMATS.get(verified.predicate_type or "")
        sbom_artifact = None if sbom_formats is None else _sbom_artifact(subjects, upload.artifact)

        new = store_attestation(
            trail,
            service,
            upload,
            parsed=parsed,
            verified=verified,
            policy=policy,
            subjects=subjects,
            now=now,
        )
        if new is None:
            # The same bytes were stored by a concurrent submission that committed first.
            stored = AttestationRepository(session).by_digest(upload.digest)
            if stored is None:
                raise RuntimeError(f"attestation {upload.digest} is neither new nor stored")
            return Accepted(_repeated(trail, stored, service, upload, trust_roots), created=False)

        checked = None
        if provenance is not None:
            session.flush()  # the check names the receipt
            checked = store_provenance(
                session,
                attestation_id=new.attestation.id,
                receipt=new.receipt,
                record=provenance,
                service_repository=service.repository,
                trust_map=policy.policy.trust_map(),
                release_refs=policy.policy.effective_release_refs,
                now=now,
            )
            name_releases(checked, new.bound)
        if vex is not None:
            VexRepository(session).add(new.attestation.id, vex)
        accepted(trail, service, new, provenance=None if checked is None else summary(checked))
        sbom = None
        if sbom_formats is not None and sbom_artifact is not None:
            sbom = _store_predicate_sbom(
                trail,
                service,
                new,
                artifact=sbom_artifact,
                sbom_formats=sbom_formats,
                verified=verified,
            )
        session.flush()
        out = _record(trail, service, new, sbom=sbom, provenance=checked)
    delta = refresh_with_change(
        trail, service, trigger=Action.ATTESTATION_ACCEPTED, trust_roots=trust_roots, now=now
    )
    return Accepted(out.model_copy(update={"maturity": delta}), created=True)


def _sbom_artifact(subjects: Mapping[str, str | None], artifact: str | None) -> str:
    """The one artifact an SBOM predicate describes: the caller's, or the only subject."""
    if artifact is not None:
        return artifact
    if len(subjects) == 1:
        return next(iter(subjects))
    raise AttestedSbomAmbiguous(
        "An SBOM is kept for one artifact, and this statement names several; "
        "name the one it describes with ?artifact=sha256:…",
        reasons=[f"{len(subjects)} subjects: {', '.join(sorted(subjects)[:3])}, …"],
    )


def _store_predicate_sbom(
    trail: AuditTrail,
    service: Service,
    new: StoredAttestation,
    *,
    artifact: str,
    sbom_formats: frozenset[SbomFormat],
    verified: Verified,
) -> tuple[int, str]:
    """The statement's predicate stored as an SBOM, marked as signed: (id, digest).

    The predicate must be in a format its predicate type allows: an SPDX 3 document
    under ``https://spdx.dev/Document/v2.3`` is refused, as is SPDX 2 under ``…/v3.0``.
    """
    predicate = (verified.statement or {}).get("predicate")
    receipt = verified.receipt
    signature = SbomSignature(
        attestation_id=new.attestation.id,
        verified=receipt.verified,
        subject=receipt.signer_subject,
        issuer=receipt.signer_issuer,
    )
    try:
        sbom_format = predicate_format(sbom_formats, predicate)
        upload = Upload(service.name, artifact, sbom_format.media_type, orjson.dumps(predicate))
        with collector_paused():
            stored = store_sbom(trail, service, upload, signature=signature)
    except AppError as error:
        if error.status == Conflict.status:
            raise
        raise AttestedSbomInvalid(
            f"The attestation verified, but its predicate is not an SBOM attestd can keep: "
            f"{error.detail}",
            reasons=[f"{error.slug}: {error.title}", *error.reasons],
        ) from None
    return stored.sbom.id, stored.sbom.digest


def _repeated(
    trail: AuditTrail,
    stored: Attestation,
    service: Service,
    upload: Upload,
    trust_roots: Sequence[TrustRoot],
) -> AttestationOut:
    """The answer to bytes stored before, for the same place: the same record, its receipt
    made under the policy and trust roots in force (checked again if it was not)."""
    repeat(trail, stored, service, upload)
    session = trail.session
    named = AttestationRepository(session).artifact_ids(stored.id)
    bring_up_to_date(trail, service, in_force(session, service, trust_roots), trust_roots, named)
    return stored_record(session, stored, service=service.name)


def _record(
    trail: AuditTrail,
    service: Service,
    new: StoredAttestation,
    *,
    sbom: tuple[int, str] | None,
    provenance: Checked | None,
) -> AttestationOut:
    return attestation_out(
        trail.session,
        new.attestation,
        service=service.name,
        media_type=new.media_type,
        receipt=new.receipt,
        sbom=sbom,
        subjects=new.subjects,
        provenance=provenance,
    )
