"""Keeping the provenance of a verified attestation, and checking it: level and source.

Called in the submission's transaction, once the attestation and its receipt
are stored (``app.workflows.accept_bundle``), and again by re-verification. The
level comes from the trust map (``app.provenance.levels``), the source check
from the service's repository and release refs (``app.provenance.binding``);
both go into one ``ProvenanceCheck`` row with their reasons.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.attestations.models import VerificationReceipt
from app.policy.builders import DEFAULT_TRUST_MAP, TrustMap, trust_map_digest
from app.policy.document import DEFAULT_RELEASE_REFS
from app.provenance.binding import SourceBinding, source_binding
from app.provenance.levels import LevelResult, slsa_level
from app.provenance.models import COMMIT_MAX, Provenance, ProvenanceCheck
from app.provenance.schemas import ProvenanceOut, SourceOut
from app.provenance.slsa import Provenance as ProvenanceRecord


@dataclass(frozen=True, slots=True)
class Checked:
    """A provenance as stored, and its check."""

    provenance: Provenance
    check: ProvenanceCheck


@dataclass(frozen=True, slots=True)
class Evaluation:
    level: LevelResult
    binding: SourceBinding
    trust_map_digest: str


def evaluate(
    record: ProvenanceRecord,
    receipt: VerificationReceipt,
    service_repository: str,
    *,
    trust_map: TrustMap = DEFAULT_TRUST_MAP,
    release_refs: str = DEFAULT_RELEASE_REFS,
) -> Evaluation:
    """The level and source binding of ``record``, signed as ``receipt`` says. Pure."""
    level = slsa_level(
        record, receipt.signer_subject, receipt.signer_issuer, receipt.claims, trust_map
    )
    binding = source_binding(record, service_repository, release_refs, claims=receipt.claims)
    return Evaluation(level, binding, trust_map_digest(trust_map))


def store_provenance(
    session: Session,
    *,
    attestation_id: int,
    receipt: VerificationReceipt,
    record: ProvenanceRecord,
    service_repository: str,
    trust_map: TrustMap = DEFAULT_TRUST_MAP,
    release_refs: str = DEFAULT_RELEASE_REFS,
    now: datetime,
) -> Checked:
    """Keep ``record`` for the attestation, with its first check."""
    source = record.source
    commit = source.commit if source is not None else None
    provenance = Provenance(
        attestation_id=attestation_id,
        predicate_type=record.predicate_type,
        builder_id=record.builder_id,
        build_type=record.build_type,
        invocation_id=record.invocation_id,
        started_on=record.started_on,
        finished_on=record.finished_on,
        source_repository=source.repository if source is not None else None,
        source_ref=source.ref if source is not None else None,
        source_commit=commit if commit is not None and len(commit) <= COMMIT_MAX else None,
        source_claims=[dataclasses.asdict(claim) for claim in record.source_claims],
        external_parameters=dict(record.external_parameters),
        resolved_dependencies=[
            {"uri": d.uri, "digest": dict(d.digest), "name": d.name}
            for d in record.resolved_dependencies
        ],
        findings=list(record.findings),
    )
    session.add(provenance)
    session.flush()
    check = add_check(
        session,
        provenance,
        record,
        receipt,
        service_repository=service_repository,
        trust_map=trust_map,
        release_refs=release_refs,
        now=now,
    )
    return Checked(provenance, check)


def add_check(
    session: Session,
    provenance: Provenance,
    record: ProvenanceRecord,
    receipt: VerificationReceipt,
    *,
    service_repository: str,
    trust_map: TrustMap = DEFAULT_TRUST_MAP,
    release_refs: str = DEFAULT_RELEASE_REFS,
    now: datetime,
) -> ProvenanceCheck:
    """One more evaluation of a stored provenance, against a trust map and release refs."""
    evaluation = evaluate(
        record, receipt, service_repository, trust_map=trust_map, release_refs=release_refs
    )
    entry = evaluation.level.entry
    check = ProvenanceCheck(
        provenance_id=provenance.id,
        receipt_id=receipt.id,
        slsa_level=evaluation.level.level,
        trusted_builder=None if entry is None else (entry.description or entry.builder_id),
        rebuilder=entry is not None and entry.rebuilder,
        trust_domain=None if entry is None else entry.trust_domain,
        source_bound=evaluation.binding.bound,
        reasons=[*evaluation.level.reasons, *evaluation.binding.reasons],
        trust_map_digest=evaluation.trust_map_digest,
        policy_version=receipt.policy_version,
        policy_digest=receipt.policy_digest,
        trust_roots_digest=receipt.trust_roots_digest,
        checked_at=now,
    )
    session.add(check)
    session.flush()
    return check


def add_refusal(
    session: Session,
    provenance: Provenance,
    receipt: VerificationReceipt,
    *,
    reason: str,
    trust_map: TrustMap,
    now: datetime,
) -> ProvenanceCheck:
    """A check of a provenance that can no longer be read: it vouches for nothing."""
    check = ProvenanceCheck(
        provenance_id=provenance.id,
        receipt_id=receipt.id,
        slsa_level=0,
        trusted_builder=None,
        source_bound=False,
        reasons=[reason],
        trust_map_digest=trust_map_digest(trust_map),
        policy_version=receipt.policy_version,
        policy_digest=receipt.policy_digest,
        trust_roots_digest=receipt.trust_roots_digest,
        checked_at=now,
    )
    session.add(check)
    session.flush()
    return check


def summary(checked: Checked) -> dict[str, object]:
    """What the audit leaf says of a provenance: builder, level, source and its binding."""
    provenance, check = checked.provenance, checked.check
    return {
        "builder_id": provenance.builder_id,
        "slsa_level": check.slsa_level,
        "source": {
            "repository": provenance.source_repository,
            "ref": provenance.source_ref,
            "commit": provenance.source_commit,
        },
        "source_bound": check.source_bound,
        "trust_map_digest": check.trust_map_digest,
    }


def claimed_fields(provenance: Provenance, check: ProvenanceCheck) -> list[str]:
    """The times the provenance states that only the job being built vouches for.

    No certificate claim or log entry says when a build started or finished. Below
    Build L3 the provenance is written in the tenant's own job, so its times are the
    tenant's word; an L3 builder writes them in a job the tenant cannot change.
    """
    if check.slsa_level >= 3:
        return []
    times = (("started_on", provenance.started_on), ("finished_on", provenance.finished_on))
    return [name for name, value in times if value is not None]


def provenance_out(found: tuple[Provenance, ProvenanceCheck] | None) -> ProvenanceOut | None:
    """A stored provenance with its check, as the wire shows it."""
    if found is None:
        return None
    provenance, check = found
    source = None
    if provenance.source_repository is not None:
        source = SourceOut(
            repository=provenance.source_repository,
            ref=provenance.source_ref,
            commit=provenance.source_commit,
        )
    return ProvenanceOut(
        attestation_id=provenance.attestation_id,
        predicate_type=provenance.predicate_type,
        builder_id=provenance.builder_id,
        build_type=provenance.build_type,
        invocation_id=provenance.invocation_id,
        started_on=provenance.started_on,
        finished_on=provenance.finished_on,
        claimed=claimed_fields(provenance, check),
        source=source,
        slsa_level=check.slsa_level,
        trusted_builder=check.trusted_builder,
        rebuilder=check.rebuilder,
        trust_domain=check.trust_domain,
        source_bound=check.source_bound,
        reasons=list(check.reasons),
        findings=list(provenance.findings),
        checked_at=check.checked_at,
    )
