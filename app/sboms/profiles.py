"""SBOM profiles: named sets of minimum elements, every one of which must be there. Pure.

``app.sboms.quality`` averages the coverage of the CISA 2025 minimum elements into a
0-10 score, and an average hides an element that is missing altogether: an SBOM with
names, versions and purls but no hash, licence, supplier or dependency scores well
above most thresholds. A profile does not average. It passes when

* every **document** element of the profile is present,
* the **primary component** (the thing the SBOM describes: CycloneDX
  ``metadata.component``, SPDX the first described package) carries every
  **component** element, and
* at least ``component_share`` of the other components carry each component element
  (the service policy's ``sbom_component_share``, default 95 %),

and otherwise fails with one reason per missing element, such as ``component-hash:
12 of 48 components (25 %) carry a SHA-256 or stronger hash; cisa-2025 needs 95 %``.
An SBOM with no primary component meets no profile, however complete its list of
dependencies: it does not say what was deployed.

Two steps, so that a verdict always follows the policy in force:

* ``measure`` runs once, at upload: which elements the primary component carries,
  how many components carry each, which document elements are present. It is stored
  with the SBOM (``Measures.to_json``).
* ``judge`` turns stored measures into a verdict under a profile and a share.

The profiles (``PROFILES``), and the texts they follow:

``ntia-2021``
    NTIA, "The Minimum Elements For a Software Bill of Materials" (July 2021), data
    fields: supplier name, component name, version of the component, other unique
    identifiers, dependency relationship, author of SBOM data, timestamp.
``cisa-2025``
    CISA, "2025 Minimum Elements for a Software Bill of Materials" (public comment
    draft, August 2025): SBOM author, software producer, component name, component
    version, software identifiers, component hash, license, dependency relationship,
    tool name, timestamp, generation context. A hash counts when it is SHA-256 or
    stronger (SHA-384, SHA-512, SHA-3, BLAKE2b, BLAKE3) and well formed.
``bsi-tr-03183-2``
    BSI TR-03183-2 version 2.0.0 (2024-09-20): the format (section 4: CycloneDX 1.5
    or later, SPDX 2.2.1 or later), the required SBOM fields (5.2.1: creator of the
    SBOM as an e-mail address or URL, timestamp) and the required component fields
    (5.2.2: component creator as an e-mail address or URL, name, version, filename,
    dependencies, associated licences, a SHA-512 hash of the deployable component,
    and the executable, archive and structured properties, written in CycloneDX as
    BSI's ``bsi:component:*`` properties). Not judged: the additional fields of 5.3,
    required only "if they exist", which an SBOM cannot show, and whether licences are
    written as SPDX identifiers (any licence counts, as for the other profiles). SPDX
    2.x has no field for the three properties, so an SPDX SBOM does not meet this
    profile. Version 2.1.0 (2025-08-20) accepts only CycloneDX 1.6 and SPDX 3.0.1,
    which attestd does not read, so this profile follows 2.0.0.

How each element is measured (``ELEMENTS`` holds the same, in order):

==========================  =========  =================================================
id                          scope      present when
==========================  =========  =================================================
author                      document   ``authors`` names someone
timestamp                   document   an ISO 8601 / RFC 3339 date *and* time
tool-name                   document   ``tools`` names a tool
generation-context          document   ``lifecycles`` is not empty
sbom-creator                document   an e-mail address or URL of the SBOM's creator
format-version              document   CycloneDX 1.5 or later, or SPDX 2.2 or later
software-producer           component  a ``supplier``
component-name              component  a non-blank name
component-version           component  a version
software-identifier         component  a purl that parses or a CPE
component-hash              component  a well-formed SHA-256 or stronger hash
component-hash-sha512       component  a well-formed SHA-512 hash
license                     component  at least one license
dependency-relationships    component  see below
component-creator           component  an e-mail address or URL of its creator
filename                    component  ``bsi:component:filename`` / SPDX packageFileName
executable-property         component  ``bsi:component:executable``: executable or
                                       non-executable
archive-property            component  ``bsi:component:archive``: archive or no archive
structured-property         component  ``bsi:component:structured``: structured or
                                       unstructured
==========================  =========  =================================================

**Dependency relationships.** The relationships are the dependency edges (CycloneDX
``dependencies``, SPDX ``DEPENDS_ON`` / ``DEPENDENCY_OF``) and SPDX containment
(``CONTAINS`` / ``CONTAINED_BY``: NTIA defines the relationship as "X is included in
Y"); an SPDX relationship to ``NOASSERTION`` says nothing and is ignored. The
primary component's are declared when it is the source of one, when the SBOM says it
depends on nothing (CycloneDX: its ``dependencies`` entry lists none; SPDX: a
relationship to ``NONE``), or when the SBOM states its completeness (a CycloneDX
composition whose aggregate is ``complete``). Without any of these the SBOM gives no
dependency relationship at all and no profile is met. Another component carries the
element when it is an end of a relationship or is declared to depend on nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, TypeGuard

from app.policy.maturity import SbomProfile
from app.sboms.contents import Component, SbomContents
from app.sboms.formats import SbomFormat
from app.sboms.quality import Level, any_said, is_date_time, said

_NO_ASSERTION = "NOASSERTION"
_SHA512_HEX = 128
# Hash algorithms of SHA-256 strength or more, as CycloneDX and SPDX spell them with
# "-" and "_" removed and upper-cased, and the hex length of a well-formed value
# (BLAKE3's output length is the caller's choice; 256 bits at least).
_STRONG_HASHES: Final = {
    "SHA256": 64,
    "SHA384": 96,
    "SHA512": _SHA512_HEX,
    "SHA3256": 64,
    "SHA3384": 96,
    "SHA3512": 128,
    "BLAKE2B256": 64,
    "BLAKE2B384": 96,
    "BLAKE2B512": 128,
}
_BLAKE3 = "BLAKE3"
_ANY_LENGTH = 0  # BLAKE3: any length of at least _BLAKE3_MIN_HEX
_BLAKE3_MIN_HEX = 64
_HEX = re.compile(r"^[0-9a-f]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
# The values BSI's CycloneDX property taxonomy allows for each property.
BSI_PROPERTIES: Final = {
    "bsi:component:executable": frozenset({"executable", "non-executable"}),
    "bsi:component:archive": frozenset({"archive", "no archive"}),
    "bsi:component:structured": frozenset({"structured", "unstructured"}),
}
# The earliest format versions BSI TR-03183-2 v2.0.0 accepts: SPDX 2.2.1 is written "2.2".
_BSI_SPDX: Final = (2, 2)
_BSI_CYCLONEDX: Final = (1, 5)


@dataclass(frozen=True, slots=True)
class Element:
    """One element a profile can require, and how its absence is put in a reason."""

    id: str
    scope: Level  # an element of the document, or of each component
    what: str  # "a version": "12 of 48 components carry a version"


ELEMENTS: Final[Mapping[str, Element]] = {
    element.id: element
    for element in (
        Element("author", Level.DOCUMENT, "an author"),
        Element("timestamp", Level.DOCUMENT, "a date-time timestamp"),
        Element("tool-name", Level.DOCUMENT, "the name of the tool that generated it"),
        Element("generation-context", Level.DOCUMENT, "a generation context (lifecycle phase)"),
        Element("sbom-creator", Level.DOCUMENT, "an e-mail address or URL of its creator"),
        Element("format-version", Level.DOCUMENT, "CycloneDX 1.5+ or SPDX 2.2.1+ as its format"),
        Element("software-producer", Level.COMPONENT, "a supplier (software producer)"),
        Element("component-name", Level.COMPONENT, "a name"),
        Element("component-version", Level.COMPONENT, "a version"),
        Element("software-identifier", Level.COMPONENT, "a valid purl or a CPE"),
        Element("component-hash", Level.COMPONENT, "a SHA-256 or stronger hash"),
        Element("component-hash-sha512", Level.COMPONENT, "a SHA-512 hash"),
        Element("license", Level.COMPONENT, "a license"),
        Element("dependency-relationships", Level.COMPONENT, "a dependency relationship"),
        Element("component-creator", Level.COMPONENT, "an e-mail address or URL of its creator"),
        Element("filename", Level.COMPONENT, "a filename"),
        Element("executable-property", Level.COMPONENT, "the executable property"),
        Element("archive-property", Level.COMPONENT, "the archive property"),
        Element("structured-property", Level.COMPONENT, "the structured property"),
    )
}


@dataclass(frozen=True, slots=True)
class Profile:
    id: SbomProfile
    title: str
    elements: tuple[str, ...]  # ids of ``ELEMENTS``, document elements first


PROFILES: Final[Mapping[SbomProfile, Profile]] = {
    profile.id: profile
    for profile in (
        Profile(
            SbomProfile.NTIA_2021,
            "NTIA minimum elements (2021)",
            (
                "author",
                "timestamp",
                "software-producer",
                "component-name",
                "component-version",
                "software-identifier",
                "dependency-relationships",
            ),
        ),
        Profile(
            SbomProfile.CISA_2025,
            "CISA minimum elements (2025)",
            (
                "author",
                "tool-name",
                "timestamp",
                "generation-context",
                "software-producer",
                "component-name",
                "component-version",
                "software-identifier",
                "component-hash",
                "license",
                "dependency-relationships",
            ),
        ),
        Profile(
            SbomProfile.BSI_TR_03183_2,
            "BSI TR-03183-2 v2.0.0",
            (
                "format-version",
                "sbom-creator",
                "timestamp",
                "component-creator",
                "component-name",
                "component-version",
                "filename",
                "dependency-relationships",
                "license",
                "component-hash-sha512",
                "executable-property",
                "archive-property",
                "structured-property",
            ),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Measures:
    """Which elements one SBOM carries: what ``judge`` needs, and what is stored."""

    components: int  # not counting the primary component
    primary: Mapping[str, bool] | None  # component element -> carried; None: no primary
    covered: Mapping[str, int]  # component element -> components carrying it
    document: Mapping[str, bool]  # document element -> present

    def to_json(self) -> dict[str, Any]:
        return {
            "components": self.components,
            "primary": None if self.primary is None else dict(self.primary),
            "covered": dict(self.covered),
            "document": dict(self.document),
        }

    @classmethod
    def from_json(cls, stored: object) -> Measures | None:
        """Stored measures, or None when they lack an element or are not measures at all.

        None is judged as "not measured" and fails every profile: an SBOM stored
        before an element was measured must be measured again before it can pass.
        """
        if not isinstance(stored, dict):
            return None
        components, primary = stored.get("components"), stored.get("primary")
        covered, document = stored.get("covered"), stored.get("document")
        if (
            _is_count(components)
            and (primary is None or _flags(primary, _COMPONENT_IDS))
            and _counts(covered, _COMPONENT_IDS)
            and _flags(document, _DOCUMENT_IDS)
        ):
            return cls(components=components, primary=primary, covered=covered, document=document)
        return None


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """Whether one SBOM meets one profile, and why not."""

    profile: SbomProfile
    title: str
    passed: bool
    component_share: float
    reasons: tuple[str, ...]  # one per missing element; empty exactly when passed


def judge(measures: Measures | None, profile: SbomProfile, component_share: float) -> ProfileResult:
    """The verdict of ``profile`` on an SBOM measured as ``measures``."""
    spec = PROFILES[profile]
    if measures is None:
        reasons: list[str] = [
            "minimum-elements: not measured for this SBOM (its stored bytes could not be "
            "read again); upload it again"
        ]
    else:
        reasons = _missing(measures, spec, component_share)
    return ProfileResult(
        profile=profile,
        title=spec.title,
        passed=not reasons,
        component_share=component_share,
        reasons=tuple(reasons),
    )


def judge_all(measures: Measures | None, component_share: float) -> tuple[ProfileResult, ...]:
    """Every profile's verdict, in ``SbomProfile`` order."""
    return tuple(judge(measures, profile, component_share) for profile in SbomProfile)


def _missing(measures: Measures, spec: Profile, share: float) -> list[str]:
    reasons = []
    total = measures.components
    # Never more than every component, nor a share rounded below what the policy says.
    needed = min(total, math.ceil(share * total - 1e-9))
    needs = f"{spec.id} needs {_percent(share)} %"
    if measures.primary is None and any(
        ELEMENTS[element].scope is Level.COMPONENT for element in spec.elements
    ):
        reasons.append(
            "primary-component: the SBOM describes no primary component (CycloneDX "
            "metadata.component, SPDX documentDescribes)"
        )
    for element_id in spec.elements:
        element = ELEMENTS[element_id]
        if element.scope is Level.DOCUMENT:
            if not measures.document[element_id]:
                reasons.append(f"{element_id}: the SBOM lacks {element.what}")
            continue
        parts = []
        if measures.primary is not None and not measures.primary[element_id]:
            parts.append(f"the primary component lacks {element.what}")
        covered = measures.covered[element_id]
        if covered < needed:
            parts.append(
                f"{covered} of {total} components ({_percent(covered / total)} %) carry "
                f"{element.what}; {needs}"
            )
        if parts:
            reasons.append(f"{element_id}: {'; '.join(parts)}")
    return reasons


def _percent(fraction: float) -> str:
    """Percent with one decimal at most, rounded down so that a shortfall never looks met."""
    return f"{math.floor(round(1000 * fraction, 6)) / 10:g}"


# --- measuring ---------------------------------------------------------------------------


def measure(contents: SbomContents, *, sbom_format: SbomFormat, spec_version: str) -> Measures:
    """Which elements ``contents`` carries (``sbom_format`` and ``spec_version`` as loaded)."""
    sources, ends = _relationships(contents)
    leaves = frozenset(contents.leaves)
    related = ends | leaves
    # One row a component, summed by column: about twice the time quality.score takes.
    columns = zip(*(_carried(c, related) for c in contents.components), strict=True)
    covered = [sum(column) for column in columns] or [0] * len(COMPONENT_ELEMENTS)
    primary = None
    if contents.primary is not None:
        primary = dict(
            zip(COMPONENT_ELEMENTS, _carried(contents.primary, sources | leaves), strict=True)
        )
        primary["dependency-relationships"] |= contents.complete
    return Measures(
        components=len(contents.components),
        primary=primary,
        covered=dict(zip(COMPONENT_ELEMENTS, covered, strict=True)),
        document={
            "author": any_said(contents.authors),
            "timestamp": is_date_time(contents.timestamp),
            "tool-name": any_said(contents.tools),
            "generation-context": any_said(contents.lifecycles),
            "sbom-creator": any(map(is_contact, contents.creator_contacts)),
            "format-version": _bsi_format(sbom_format, spec_version),
        },
    )


def _carried(c: Component, related: frozenset[str]) -> tuple[bool, ...]:
    """Which component elements ``c`` carries, in ``COMPONENT_ELEMENTS`` order.

    ``related``: the refs whose dependency relationships count as declared. Runs once
    a component, so what most components lack (contacts, properties) costs one test.
    """
    strong, sha512 = _hash_strength(c.hashes) if c.hashes else _NO_HASH
    return (
        said(c.supplier),
        said(c.name),
        said(c.version),
        bool(c.purl_valid and said(c.purl)) or said(c.cpe),
        strong,
        sha512,
        any_said(c.licenses),
        c.ref is not None and c.ref in related,
        bool(c.contacts) and any(map(is_contact, c.contacts)),
        said(c.filename),
        *(_bsi_properties(c.properties) if c.properties else _NO_PROPERTIES),
    )


_NO_HASH: Final = (False, False)
_NO_PROPERTIES: Final = (False,) * len(BSI_PROPERTIES)


def _bsi_properties(properties: tuple[tuple[str, str], ...]) -> tuple[bool, ...]:
    """Whether each of BSI's properties is given with an allowed value, in their order."""
    given = dict(properties)
    return tuple(given.get(name) in allowed for name, allowed in BSI_PROPERTIES.items())


# The elements of each scope in ``ELEMENTS`` order, the order ``_carried`` measures them in.
COMPONENT_ELEMENTS: Final = tuple(e.id for e in ELEMENTS.values() if e.scope is Level.COMPONENT)
DOCUMENT_ELEMENTS: Final = tuple(e.id for e in ELEMENTS.values() if e.scope is Level.DOCUMENT)
_COMPONENT_IDS: Final = frozenset(COMPONENT_ELEMENTS)
_DOCUMENT_IDS: Final = frozenset(DOCUMENT_ELEMENTS)


def _relationships(contents: SbomContents) -> tuple[frozenset[str], frozenset[str]]:
    """(sources, every end) of the dependency and containment edges that say something."""
    edges = [
        (source, target)
        for source, target in (*contents.dependencies, *contents.containment)
        if target.upper() != _NO_ASSERTION
    ]
    sources = frozenset(source for source, _ in edges)
    return sources, sources | frozenset(target for _, target in edges)


def _hash_strength(hashes: tuple[tuple[str, str], ...]) -> tuple[bool, bool]:
    """(a well-formed hash of SHA-256 strength or more, a well-formed SHA-512) among these."""
    strong = sha512 = False
    for algorithm, value in hashes:
        length = _hex_length(algorithm)
        if length is None or not _HEX.match(value):
            continue
        if length == _ANY_LENGTH:
            strong = strong or len(value) >= _BLAKE3_MIN_HEX
        elif len(value) == length:
            strong = True
            sha512 = sha512 or (length == _SHA512_HEX and _normalised(algorithm) == "SHA512")
    return strong, sha512


@lru_cache(maxsize=64)  # the formats' schemas allow a dozen spellings
def _hex_length(algorithm: str) -> int | None:
    """The hex length of a hash of SHA-256 strength or more; None for a weaker one."""
    name = _normalised(algorithm)
    return _ANY_LENGTH if name == _BLAKE3 else _STRONG_HASHES.get(name)


def _normalised(algorithm: str) -> str:
    return algorithm.upper().replace("-", "").replace("_", "")


def is_contact(value: str) -> bool:
    """An e-mail address or an http(s) URL: what BSI TR-03183-2 accepts as a contact."""
    value = value.strip()
    return _EMAIL.match(value) is not None or _URL.match(value) is not None


def _bsi_format(sbom_format: SbomFormat, spec_version: str) -> bool:
    least = _BSI_SPDX if sbom_format.is_spdx else _BSI_CYCLONEDX
    try:
        version = tuple(int(part) for part in spec_version.split(".")[:2])
    except ValueError:
        return False
    return version >= least


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _flags(value: object, keys: frozenset[str]) -> TypeGuard[dict[str, bool]]:
    """A dict of exactly ``keys`` to booleans."""
    return (
        isinstance(value, dict)
        and value.keys() == keys
        and all(isinstance(item, bool) for item in value.values())
    )


def _counts(value: object, keys: frozenset[str]) -> TypeGuard[dict[str, int]]:
    """A dict of exactly ``keys`` to counts."""
    return isinstance(value, dict) and value.keys() == keys and all(map(_is_count, value.values()))
