"""Component search: which artifacts, in which services, contain a package.

``purl`` names the package: without a version it matches every version; with one,
that version; with qualifiers or a subpath, exactly that canonical purl. ``range``
(a ``vers:`` URI) picks versions by the ecosystem's own ordering, which SQL cannot
do: the package's distinct stored versions are read from the index, tested in
Python, and the matching ones fetched by index again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.artifacts.repository import ArtifactRepository
from app.errors import InvalidRequest
from app.pagination import clamp_limit, decode_position, encode_position
from app.sboms.purls import parse_purl
from app.sboms.ranges import InvalidVersionRange, parse_range, range_matches_purl_type
from app.sboms.repository import PurlMatch, SbomRepository
from app.sboms.schemas import ComponentArtifact, ComponentMatch, ComponentSearchPage

MAX_QUERY_PURL_CHARS = 1000


class InvalidPurlQuery(InvalidRequest):
    slug = "invalid-purl"
    title = "Invalid package URL"


def search_components(
    session: Session,
    *,
    purl: str,
    version_range: str | None,
    cursor: str | None,
    limit: int | None,
) -> ComponentSearchPage:
    size = clamp_limit(limit)
    position = decode_position(cursor, (str, str, int))
    after = None if position is None else (str(position[0]), str(position[1]), int(position[2]))
    if len(purl) > MAX_QUERY_PURL_CHARS:
        raise InvalidPurlQuery(f"A purl has at most {MAX_QUERY_PURL_CHARS} characters here.")
    query = parse_purl(purl.strip())
    if not query.valid or query.key is None:
        raise InvalidPurlQuery(
            "The purl does not parse.",
            reasons=["a purl looks like pkg:npm/lodash or pkg:npm/lodash@4.17.21"],
        )
    exact = query.text if ("?" in query.text or "#" in query.text) else None
    repository = SbomRepository(session)

    versions: list[str] | None = None
    if query.version is not None:
        if version_range is not None:
            raise InvalidVersionRange(
                "Give a version in the purl or a range, not both.",
                reasons=[f"the purl names version {query.version!r}"],
            )
        versions = [query.version]
    elif version_range is not None:
        wanted = parse_range(version_range)
        purl_type = query.key.removeprefix("pkg:").partition("/")[0]
        if not range_matches_purl_type(wanted, purl_type):
            raise InvalidVersionRange(
                f"A vers:{wanted.scheme} range does not apply to {purl_type} packages.",
                reasons=[f"use vers:{purl_type}/… or vers:generic/… for this package"],
            )
        versions = [v for v in repository.purl_versions(query.key) if v and wanted.contains(v)]
        if not versions:
            return ComponentSearchPage(items=[], next=None)

    matches = repository.purl_matches(
        query.key,
        versions=versions,
        purl=exact,
        after=after,
        limit=size + 1,
    )
    page = matches[:size]
    following = encode_position(*_position(page[-1])) if len(matches) > size else None
    return ComponentSearchPage(items=_grouped(session, page), next=following)


def _position(match: PurlMatch) -> tuple[str, str, int]:
    return match.purl_version, match.purl, match.artifact_id


def _grouped(session: Session, page: list[PurlMatch]) -> list[ComponentMatch]:
    """One item per purl, with the artifacts of the page that contain it."""
    owners = ArtifactRepository(session).digests_and_services({m.artifact_id for m in page})
    items: list[ComponentMatch] = []
    for match in page:
        digest, service = owners[match.artifact_id]
        found = ComponentArtifact(digest=digest, service=service)
        if items and items[-1].purl == match.purl:
            items[-1].artifacts.append(found)
        else:
            items.append(
                ComponentMatch(
                    purl=match.purl, name=match.name, version=match.version, artifacts=[found]
                )
            )
    return items
