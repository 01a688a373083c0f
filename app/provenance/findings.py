"""The consistency findings of one stored artifact: what its documents say that disagrees."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.artifacts.models import Artifact
from app.provenance.consistency import (
    ResolvedDependency,
    SbomSubject,
    consistency,
    dependency_key,
    release_consistency,
)
from app.provenance.models import Provenance, ProvenanceCheck
from app.provenance.repository import ReleaseRepository, components_named
from app.sboms.models import Sbom


def artifact_findings(
    session: Session,
    artifact: Artifact,
    sboms: Sequence[Sbom],
    provenances: Sequence[tuple[Provenance, ProvenanceCheck]],
) -> list[str]:
    """The artifact's own findings, then those of its release (``app.provenance.consistency``)."""
    dependencies = [
        ResolvedDependency(
            attestation_id=provenance.attestation_id,
            uri=entry.get("uri"),
            digest=entry.get("digest") or {},
        )
        for provenance, _ in provenances
        for entry in provenance.resolved_dependencies
    ]
    keys = {key[0] for d in dependencies if (key := dependency_key(d.uri)) is not None}
    findings = consistency(
        artifact.digest,
        [SbomSubject(sbom.id, list(sbom.subject_digests)) for sbom in sboms],
        dependencies,
        components_named(session, artifact.id, keys),
    )
    if artifact.name is not None and artifact.version is not None:
        evidence = ReleaseRepository(session).evidence_digests(
            artifact.service_id, artifact.name, artifact.version
        )
        findings += release_consistency(artifact.name, artifact.version, evidence)
    return findings
