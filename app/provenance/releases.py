"""Releases of a service and whether they are reproducible.

A release is a service's artifacts of one name at one version. Versions come
from SBOM subjects, or from the tag a source-bound provenance was built from
(``refs/tags/v1.4.0`` gives ``v1.4.0``). Which of its builds count towards its
reproducibility, and in which trust domain, is ``app.provenance.reproducibility``'s
rule: a fork's build of the same name and tag, for one, is evidence of the fork,
not of the release.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.artifacts.binding import clip
from app.artifacts.models import ARTIFACT_NAME_MAX, ARTIFACT_VERSION_MAX, Artifact
from app.pagination import clamp_limit, decode_position, encode_position
from app.policy.versions import current_policy
from app.provenance.recording import Checked
from app.provenance.repository import ReleaseRepository
from app.provenance.reproducibility import BuildClaim, Reproducibility, Standing, reproducibility
from app.provenance.schemas import (
    BuildOut,
    ReleaseArtifactOut,
    ReleaseOut,
    ReleasePage,
    ReproducibilityOut,
)
from app.services.models import Service
from app.services.repository import ServiceRepository

_TAG = "refs/tags/"


def release_version(ref: str | None) -> str | None:
    """The version a source ref names: a tag's name; None for any other ref."""
    if ref is None or not ref.startswith(_TAG) or len(ref) == len(_TAG):
        return None
    return ref[len(_TAG) :]


def name_releases(checked: Checked, bound: Sequence[tuple[Artifact, str | None]]) -> None:
    """Subjects of a source-bound build from a tag are that tag's release, unless named."""
    version = release_version(checked.provenance.source_ref)
    if not checked.check.source_bound or version is None:
        return
    for artifact, name in bound:
        if artifact.version is None and (artifact.name or name):
            artifact.name = artifact.name or clip(name, ARTIFACT_NAME_MAX)
            artifact.version = clip(version, ARTIFACT_VERSION_MAX)


def release_reproducibility(
    session: Session, service: Service, name: str | None, version: str | None
) -> ReproducibilityOut:
    """The reproducibility of the release ``name`` at ``version`` of ``service``."""
    quorum = current_policy(session, service).policy.effective_quorum
    if name is None or version is None:
        found = reproducibility([], quorum)
        return _out(found, extra=("no-release: the artifact has no name and version",))
    builds = ReleaseRepository(session).builds(service.id, name, version)
    return _out(reproducibility(builds, quorum))


def list_releases(
    session: Session, service_name: str, *, cursor: str | None, limit: int | None
) -> ReleasePage:
    """One page of the service's releases, newest first."""
    size = clamp_limit(limit)
    position = decode_position(cursor, (int,))
    service = ServiceRepository(session).require(service_name)
    releases = ReleaseRepository(session)
    rows = releases.page(
        service.id, before=None if position is None else int(position[0]), limit=size + 1
    )
    quorum = current_policy(session, service).policy.effective_quorum
    items: list[ReleaseOut] = []
    for name, version, _ in rows[:size]:
        builds = releases.builds(service.id, name, version)
        artifacts = releases.artifacts(service.id, name, version)
        items.append(
            ReleaseOut(
                name=name,
                version=version,
                artifacts=[_artifact(artifact, builds) for artifact in artifacts],
                reproducibility=_out(reproducibility(builds, quorum)),
            )
        )
    following = encode_position(rows[size - 1][2]) if len(rows) > size else None
    return ReleasePage(items=items, next=following)


def _artifact(artifact: Artifact, builds: list[BuildClaim]) -> ReleaseArtifactOut:
    levels = [
        build.slsa_level
        for build in builds
        if build.digest == artifact.digest and build.verified and build.source_bound
    ]
    return ReleaseArtifactOut(
        digest=artifact.digest,
        slsa_level=max(levels) if levels else None,
        created_at=artifact.created_at,
    )


def _out(found: Reproducibility, extra: tuple[str, ...] = ()) -> ReproducibilityOut:
    return ReproducibilityOut(
        status=found.status,
        quorum=found.quorum,
        independent_builders=found.independent_builders,
        trust_domains=list(found.trust_domains),
        builders=[_build(standing) for standing in found.builds],
        not_counted=[_build(standing) for standing in found.not_counted],
        reasons=[*extra, *found.reasons],
    )


def _build(standing: Standing) -> BuildOut:
    build = standing.build
    return BuildOut(
        digest=build.digest,
        builder_id=build.builder_id,
        signer=build.signer,
        attestation_id=build.attestation_id,
        trust_domain=standing.trust_domain,
        reason=standing.reason,
    )
