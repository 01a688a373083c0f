"""How complete an SBOM is: coverage of the CISA 2025 minimum elements and a 0-10 score. Pure.

The elements are those of CISA's "2025 Minimum Elements for a Software Bill of Materials"
(which updates the NTIA 2021 list). Each is measured on the normalised ``SbomContents``:

* a **document-level** element is 0 % or 100 %;
* a **component-level** element is the percentage of components that carry it; an SBOM
  with no components scores 0 % on every component-level element.

How each element is measured (``ELEMENTS`` below holds the same, in order):

=========================  ========  ==================================================
id                         level     covered when
=========================  ========  ==================================================
author                     document  ``authors`` is not empty
software-producer          component the component names a ``supplier``
component-name             component the component has a non-blank ``name``
component-version          component the component has a ``version``
software-identifier        component a purl that parses (``purl_valid``) or a ``cpe``
component-hash             component at least one hash
license                    component at least one license
dependency-relationships   component the component's ref is an end of some edge
tool-name                  document  ``tools`` is not empty
timestamp                  document  an ISO 8601 / RFC 3339 date *and* time
generation-context         document  ``lifecycles`` is not empty
=========================  ========  ==================================================

Choices worth knowing:

* **Software producer is per component.** CISA 2025 defines it as the entity that creates,
  defines and identifies *components* (NTIA's "supplier name"), so it is measured on
  ``Component.supplier``; the document-level ``SbomContents.producer`` describes the
  subject only and does not stand in for the components' suppliers.
* **Dependency relationships**: a component is covered when its ref appears at either end
  of at least one edge. Counting only edge *sources* would mark every leaf package as
  missing, although CycloneDX records a leaf as ``{"ref": x, "dependsOn": []}`` (which
  yields no edge) and SPDX as the target of its parent's ``DEPENDS_ON``. A component without
  a ref cannot be referenced, so it is not covered. An SBOM of exactly one component has
  nothing to relate and counts as complete.
* Values that say nothing — blank strings and SPDX's ``NOASSERTION`` — count as missing.
* A timestamp must parse as a date-time (``datetime.fromisoformat``, ``t``/``z`` accepted
  in either case); a bare date or anything else counts as missing.
* Coverage is rounded to one decimal, but never up to 100.0 (shown 99.9) while a component
  still lacks the element, nor down to 0.0 while one has it, so "remediation present" and
  "coverage < 100" always agree.

The score is the weighted mean of the coverages divided by 10, rounded to one decimal. All
weights are equal: CISA presents the elements as one minimum, with no ranking among them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from app.sboms.contents import SbomContents

# SPDX's "the author of this document makes no assertion": present, but says nothing.
_NO_ASSERTION = "NOASSERTION"


class Level(enum.StrEnum):
    DOCUMENT = "document"
    COMPONENT = "component"


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """One minimum element: how it is named, weighed, measured and fixed."""

    id: str
    title: str
    weight: float
    level: Level
    remediation: str


@dataclass(frozen=True, slots=True)
class ElementCoverage:
    """How well one SBOM covers one element."""

    id: str
    title: str
    coverage: float  # percent, one decimal
    remediation: str | None  # None exactly when coverage is 100.0


class ElementJson(TypedDict):
    id: str
    title: str
    coverage: float
    remediation: str | None


class QualityJson(TypedDict):
    score: float
    elements: list[ElementJson]


@dataclass(frozen=True, slots=True)
class Quality:
    """The quality of one SBOM: a 0-10 score and its elements, in ``ELEMENTS`` order."""

    score: float
    elements: tuple[ElementCoverage, ...]

    def to_json(self) -> QualityJson:
        """Plain dicts and lists, as the API returns them."""
        return {
            "score": self.score,
            "elements": [
                {
                    "id": element.id,
                    "title": element.title,
                    "coverage": element.coverage,
                    "remediation": element.remediation,
                }
                for element in self.elements
            ],
        }


# The one table of elements and weights; its order is the order of ``Quality.elements``.
ELEMENTS: tuple[ElementSpec, ...] = (
    ElementSpec(
        "author",
        "SBOM author",
        1.0,
        Level.DOCUMENT,
        "Add metadata.authors (CycloneDX), a 'Person:' or 'Organization:' creator in "
        "creationInfo.creators (SPDX 2) or a createdBy agent (SPDX 3)",
    ),
    ElementSpec(
        "software-producer",
        "Software producer",
        1.0,
        Level.COMPONENT,
        "Add each component's supplier: components[].supplier.name (CycloneDX), "
        "packages[].supplier (SPDX 2) or suppliedBy (SPDX 3)",
    ),
    ElementSpec(
        "component-name",
        "Component name",
        1.0,
        Level.COMPONENT,
        "Give each component a name: components[].name (CycloneDX) or packages[].name (SPDX)",
    ),
    ElementSpec(
        "component-version",
        "Component version",
        1.0,
        Level.COMPONENT,
        "Add each component's version: components[].version (CycloneDX), "
        "packages[].versionInfo (SPDX 2) or software_packageVersion (SPDX 3)",
    ),
    ElementSpec(
        "software-identifier",
        "Software identifiers",
        1.0,
        Level.COMPONENT,
        "Add a valid package URL or CPE to each component: components[].purl or "
        "components[].cpe (CycloneDX), a purl / cpe23Type entry in packages[].externalRefs "
        "(SPDX 2), or software_packageUrl / a packageUrl externalIdentifier (SPDX 3)",
    ),
    ElementSpec(
        "component-hash",
        "Component hash",
        1.0,
        Level.COMPONENT,
        "Add a cryptographic hash of each component: components[].hashes (CycloneDX), "
        "packages[].checksums (SPDX 2) or verifiedUsing (SPDX 3)",
    ),
    ElementSpec(
        "license",
        "License",
        1.0,
        Level.COMPONENT,
        "Add each component's license: components[].licenses (CycloneDX), "
        "packages[].licenseConcluded / licenseDeclared (SPDX 2) or hasConcludedLicense / "
        "hasDeclaredLicense relationships (SPDX 3)",
    ),
    ElementSpec(
        "dependency-relationships",
        "Dependency relationships",
        1.0,
        Level.COMPONENT,
        "Put every component in the dependency graph: a bom-ref and dependencies[].dependsOn "
        "(CycloneDX), DEPENDS_ON / CONTAINS relationships (SPDX 2) or dependsOn / contains "
        "(SPDX 3)",
    ),
    ElementSpec(
        "tool-name",
        "Tool name",
        1.0,
        Level.DOCUMENT,
        "Name the generating tool: metadata.tools (CycloneDX), a 'Tool:' creator in "
        "creationInfo.creators (SPDX 2) or createdUsing (SPDX 3)",
    ),
    ElementSpec(
        "timestamp",
        "Timestamp",
        1.0,
        Level.DOCUMENT,
        "Add an RFC 3339 date-time such as 2025-01-31T12:00:00Z: metadata.timestamp "
        "(CycloneDX) or creationInfo.created (SPDX)",
    ),
    ElementSpec(
        "generation-context",
        "Generation context",
        1.0,
        Level.DOCUMENT,
        "Say when in the lifecycle the SBOM was made (e.g. build): metadata.lifecycles "
        "(CycloneDX 1.5+), creationInfo.comment (SPDX 2) or software_sbomType (SPDX 3)",
    ),
)


def score(contents: SbomContents) -> Quality:
    """Measure every minimum element of ``contents`` and the overall 0-10 score."""
    counts = _component_counts(contents)
    measured = [(spec, _fraction(spec, contents, counts)) for spec in ELEMENTS]
    total_weight = sum(spec.weight for spec, _ in measured)
    weighted = sum(spec.weight * covered / total for spec, (covered, total) in measured)
    elements = tuple(
        _coverage(spec, covered, total, no_components=not contents.components)
        for spec, (covered, total) in measured
    )
    return Quality(score=round(10 * weighted / total_weight, 1), elements=elements)


def _fraction(spec: ElementSpec, contents: SbomContents, counts: dict[str, int]) -> tuple[int, int]:
    """(covered, out of): out of 1 for a document-level element, of the components else."""
    if spec.level is Level.DOCUMENT:
        return (1 if _DOCUMENT_CHECKS[spec.id](contents) else 0), 1
    if not contents.components:
        return 0, 1
    return counts[spec.id], len(contents.components)


def _component_counts(contents: SbomContents) -> dict[str, int]:
    """How many components cover each component-level element, in one pass."""
    producer = name = version = identifier = hashed = licensed = 0
    for component in contents.components:
        producer += said(component.supplier)
        name += said(component.name)
        version += said(component.version)
        identifier += (component.purl_valid and said(component.purl)) or said(component.cpe)
        for _, digest in component.hashes:
            if said(digest):
                hashed += 1
                break
        for license_ in component.licenses:
            if said(license_):
                licensed += 1
                break
    return {
        "software-producer": producer,
        "component-name": name,
        "component-version": version,
        "software-identifier": identifier,
        "component-hash": hashed,
        "license": licensed,
        "dependency-relationships": _related(contents),
    }


def _coverage(
    spec: ElementSpec, covered: int, total: int, *, no_components: bool
) -> ElementCoverage:
    if covered == total:
        return ElementCoverage(spec.id, spec.title, 100.0, None)
    percent = round(100 * covered / total, 1)
    if covered and percent == 0.0:
        percent = 0.1
    percent = min(percent, 99.9)
    if spec.level is Level.DOCUMENT:
        remediation = spec.remediation
    elif no_components:
        remediation = f"{spec.remediation} (the SBOM lists no components)"
    else:
        remediation = f"{spec.remediation} ({total - covered} of {total} components lack it)"
    return ElementCoverage(spec.id, spec.title, percent, remediation)


def said(value: str | None) -> bool:
    """Whether a value says something: not missing, not blank, not NOASSERTION."""
    if not value:
        return False
    if len(value) != len(_NO_ASSERTION) and not value[0].isspace() and not value[-1].isspace():
        return True  # the common case, decided without copying the string
    stripped = value.strip()
    return bool(stripped) and stripped.upper() != _NO_ASSERTION


def any_said(values: tuple[str, ...]) -> bool:
    return any(said(value) for value in values)


def is_date_time(text: str | None) -> bool:
    """ISO 8601 / RFC 3339 date with a time of day; a bare date is not a timestamp."""
    if text is None:
        return False
    candidate = text.strip().upper()  # RFC 3339 allows "t" and "z"
    try:
        datetime.fromisoformat(candidate)
    except ValueError:
        return False
    try:
        date.fromisoformat(candidate)
    except ValueError:
        return True
    return False


def _related(contents: SbomContents) -> int:
    """How many components are an end of at least one dependency edge (all, if only one)."""
    if len(contents.components) == 1:
        return 1
    ends = {ref for edge in contents.dependencies for ref in edge}
    return sum(
        1
        for component in contents.components
        if component.ref is not None and component.ref in ends
    )


_DOCUMENT_CHECKS: dict[str, Callable[[SbomContents], bool]] = {
    "author": lambda contents: any_said(contents.authors),
    "tool-name": lambda contents: any_said(contents.tools),
    "timestamp": lambda contents: is_date_time(contents.timestamp),
    "generation-context": lambda contents: any_said(contents.lifecycles),
}
