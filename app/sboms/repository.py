"""SQL for SBOMs, their components, dependency edges and vulnerabilities.

Components, edges and vulnerabilities go in bulk: PostgreSQL ``COPY … FROM STDIN``
and, on SQLite, one ``executemany`` of plain tuples on the request's connection, both
in the request's transaction. ORM objects per row would cost ~5x the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Connection, bindparam, func, literal, select, tuple_
from sqlalchemy.orm import Session

from app.policy.maturity import Severity
from app.sboms.contents import Vulnerability
from app.sboms.models import Component, Sbom, SbomVulnerability

_CARRIED_BY = (
    select(Sbom.id, Sbom.digest).where(Sbom.attestation_id == bindparam("attestation_id")).limit(1)
)

# The columns bulk inserts fill, in the order of the row tuples they take.
COMPONENT_COLUMNS = (
    "sbom_id",
    "artifact_id",
    "ref",
    "name",
    "version",
    "type",
    "purl",
    "purl_valid",
    "purl_key",
    "purl_version",
    "cpe",
    "supplier",
    "licenses",
    "hashes",
)
DEPENDENCY_COLUMNS = ("sbom_id", "ref", "depends_on")
VULNERABILITY_COLUMNS = (
    "sbom_id",
    "vulnerability_id",
    "severity",
    "analysis_state",
    "justification",
    "affects",
)
_VULNERABILITIES_OF = (
    select(
        SbomVulnerability.vulnerability_id,
        SbomVulnerability.analysis_state,
        SbomVulnerability.severity,
        SbomVulnerability.justification,
        SbomVulnerability.affects,
    )
    .where(SbomVulnerability.sbom_id == bindparam("sbom_id"))
    .order_by(SbomVulnerability.id)
)


def bulk_insert(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` into ``table`` as fast as the back end allows, in its transaction.

    ``rows`` is consumed one row at a time, so a generator keeps memory flat. JSON
    columns take their values as JSON text. ``table`` and ``columns`` are attestd's
    own identifiers, never caller input.
    """
    names = ", ".join(columns)
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 - own identifiers
            rows,
        )
    finally:
        cursor.close()


class PurlMatch(NamedTuple):
    """One (purl, artifact) pair of a component search, in keyset order."""

    purl_version: str
    purl: str
    artifact_id: int
    name: str
    version: str | None


class SbomRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_id(self, sbom_id: int) -> Sbom | None:
        return self.session.get(Sbom, sbom_id)

    def by_digest(self, digest: str) -> Sbom | None:
        return self.session.scalars(select(Sbom).where(Sbom.digest == digest)).one_or_none()

    def for_artifact(self, artifact_id: int) -> Sequence[Sbom]:
        return self.session.scalars(
            select(Sbom).where(Sbom.artifact_id == artifact_id).order_by(Sbom.id)
        ).all()

    def carried_by(self, attestation_id: int) -> tuple[int, str] | None:
        """(id, digest) of the SBOM that came as the predicate of this attestation."""
        row = self.session.execute(_CARRIED_BY, {"attestation_id": attestation_id}).one_or_none()
        return None if row is None else (row[0], row[1])

    def add(self, sbom: Sbom) -> Sbom:
        self.session.add(sbom)
        self.session.flush()
        return sbom

    def add_components(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows in ``COMPONENT_COLUMNS`` order."""
        bulk_insert(self.session.connection(), "components", COMPONENT_COLUMNS, rows)

    def add_dependencies(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows in ``DEPENDENCY_COLUMNS`` order."""
        bulk_insert(self.session.connection(), "sbom_dependencies", DEPENDENCY_COLUMNS, rows)

    def add_vulnerabilities(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows in ``VULNERABILITY_COLUMNS`` order."""
        bulk_insert(self.session.connection(), "sbom_vulnerabilities", VULNERABILITY_COLUMNS, rows)

    def vulnerabilities(self, sbom_id: int) -> tuple[Vulnerability, ...]:
        """The vulnerabilities the SBOM lists, in the order it lists them."""
        return tuple(
            Vulnerability(
                identifier,
                state,
                severity=Severity(severity),
                justification=justification,
                affects=tuple(affects),
            )
            for identifier, state, severity, justification, affects in self.session.execute(
                _VULNERABILITIES_OF, {"sbom_id": sbom_id}
            )
        )

    def artifact_components(
        self, artifact_id: int, *, after: int | None, limit: int
    ) -> Sequence[Component]:
        """Up to ``limit`` components of one artifact in insertion order, after id ``after``."""
        query = (
            select(Component)
            .where(Component.artifact_id == artifact_id)
            .order_by(Component.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Component.id > after)
        return self.session.scalars(query).all()

    def purl_versions(self, purl_key: str) -> list[str]:
        """Every distinct purl version stored for a package ("" for purls without one)."""
        return list(
            self.session.scalars(
                select(Component.purl_version).where(Component.purl_key == purl_key).distinct()
            )
        )

    def purl_matches(
        self,
        purl_key: str,
        *,
        versions: Iterable[str] | None,
        purl: str | None,
        after: tuple[str, str, int] | None,
        limit: int,
    ) -> list[PurlMatch]:
        """Distinct (purl, artifact) pairs of a package, in (version, purl, artifact) order.

        ``versions`` limits the purl versions (None: all); ``purl`` asks for one exact
        canonical purl (qualifiers and subpath included); ``after`` continues a page.
        """
        key = (Component.purl_version, Component.purl, Component.artifact_id)
        query = (
            select(*key, func.min(Component.name), func.min(Component.version))
            .where(Component.purl_key == purl_key)
            .group_by(*key)
            .order_by(*key)
            .limit(limit)
        )
        if versions is not None:
            query = query.where(Component.purl_version.in_(sorted(set(versions))))
        if purl is not None:
            query = query.where(Component.purl == purl)
        if after is not None:
            version, purl_text, artifact_id = after
            # artifact_id is a 32-bit column; a cursor's id is compared as 64-bit.
            position = (literal(version), literal(purl_text), literal(artifact_id, BigInteger))
            query = query.where(tuple_(*key) > tuple_(*position))
        return [
            PurlMatch(str(version), str(purl), artifact_id, name, component_version)
            for version, purl, artifact_id, name, component_version in self.session.execute(query)
        ]
