"""``vers:`` version ranges for component search, with each ecosystem's own ordering.

A range is a ``vers`` URI (the purl project's VERSION-RANGE-SPEC), for example
``vers:npm/>=1.2.3|<2.0.0`` or ``vers:pypi/>=1.0|!=1.3|<2``. Parsing and ordering
are univers's, the purl project's reference implementation; this module adds:

- limits (``MAX_RANGE_CHARS`` characters, ``MAX_CONSTRAINTS`` constraints) checked
  before univers sees the text;
- validation of the constraint sequence (duplicated versions, two lower bounds in a
  row and other ranges the spec says tools must reject): univers only checks it on
  request, and an unchecked range can raise later, when a version is tested;
- one problem, ``InvalidVersionRange`` (422 ``invalid-version-range``), for every
  range univers or the limits refuse;
- semver build metadata ignored, as semver 2.0.0 says (univers's semver versions
  count it, so that ``1.0.0+build.5`` is neither equal to, above nor below ``1.0.0``);
- ``VersionRange.contains`` answers False, never raises, for a component version its
  ecosystem cannot parse.

Schemes and the purl types a range applies to (``range_matches_purl_type``)::

    vers scheme                        purl types            ordering
    npm, cargo, golang, composer, hex  the same type         semver 2.0.0
    pypi                               pypi                  PEP 440 (packaging)
    maven                              maven                 Maven ComparableVersion
    nuget                              nuget                 NuGet (semver-like, 4 parts)
    gem                                gem                   RubyGems
    deb, rpm, conan                    the same type         dpkg, rpm, Conan
    semver, generic                    any type              semver 2.0.0

``vers:semver`` is not a univers scheme: it is read as ``vers:generic``, which univers
orders as semver. univers's other schemes are refused: apk, alpm, ebuild, intdot,
lexicographic and datetime versions are unhashable, so univers cannot validate
their ranges (TypeError), and all, none, nginx, openssl, ... have no purl type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, cast

from univers.conan.errors import ConanException
from univers.nuget import InvalidNuGetVersion
from univers.version_constraint import InvalidConstraintsError, VersionConstraint
from univers.version_range import RANGE_CLASS_BY_SCHEMES
from univers.version_range import VersionRange as UniversRange
from univers.versions import SemverVersion, Version

from app.errors import InvalidRequest

MAX_RANGE_CHARS: Final = 1_000
MAX_CONSTRAINTS: Final = 64
# A component version longer than this is not a version of any ecosystem here.
MAX_VERSION_CHARS: Final = 256

# The vers schemes a range may use, and the univers scheme that implements each.
UNIVERS_SCHEME_BY_SCHEME: Final[dict[str, str]] = {
    "npm": "npm",
    "pypi": "pypi",
    "maven": "maven",
    "nuget": "nuget",
    "gem": "gem",
    "cargo": "cargo",
    "golang": "golang",
    "composer": "composer",
    "hex": "hex",
    "deb": "deb",
    "rpm": "rpm",
    "conan": "conan",
    "generic": "generic",
    "semver": "generic",
}
# Schemes that are not one ecosystem's: they apply to a purl of any type.
ANY_TYPE_SCHEMES: Final = frozenset({"generic", "semver"})

# Semver 2.0.0 (semver.org's regular expression), with the "v" prefix Go uses.
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


# What univers raises for text it refuses: ValueError (its InvalidVersion, packaging's,
# Maven's and RubyGems' errors), TypeError (versions it cannot hash or compare), and
# two that derive from Exception only: NuGet's and Conan's version errors.
_UNIVERS_ERRORS: Final = (ValueError, TypeError, InvalidNuGetVersion, ConanException)


class InvalidVersionRange(InvalidRequest):
    slug = "invalid-version-range"
    title = "Invalid version range"


def _refuse(reason: str) -> InvalidVersionRange:
    return InvalidVersionRange(
        "The range is not a vers: version range attestd can use.", reasons=[reason]
    )


@dataclass(frozen=True)
class VersionRange:
    """A validated ``vers:`` range; ``contains`` tests a version string against it."""

    scheme: str
    version_class: type[Version]
    _range: UniversRange

    @property
    def is_semver(self) -> bool:
        return issubclass(self.version_class, SemverVersion)

    def __str__(self) -> str:
        constraints = str(self._range).partition("/")[2]
        return f"vers:{self.scheme}/{constraints}"

    def contains(self, version: str) -> bool:
        """Whether ``version`` is in the range; False when the ecosystem cannot parse it."""
        parsed = self._parse_version(version)
        if parsed is None:
            return False
        try:
            return bool(parsed in self._range)
        except (*_UNIVERS_ERRORS, InvalidConstraintsError):
            # Validation at parse time rules these out; a univers comparison that
            # still fails answers "not contained" rather than a 500.
            return False

    def _parse_version(self, version: str) -> Version | None:
        text = version.strip()
        if not text or len(text) > MAX_VERSION_CHARS:
            return None
        version_class = self.version_class
        if self.is_semver:
            # univers coerces ("1.2" -> 1.2.0, "1.2.3.4" -> 1.2.3+4); a component
            # version must be real semver, and its build metadata does not count.
            if _SEMVER.fullmatch(text) is None:
                return None
            text = text.partition("+")[0]
        try:
            return version_class(text)
        except _UNIVERS_ERRORS:
            return None


def _without_build(constraint: VersionConstraint) -> VersionConstraint:
    version = constraint.version
    if version is None or not version.value.build:
        return constraint
    public = str(version.value.truncate("prerelease"))
    return VersionConstraint(
        comparator=constraint.comparator,
        version=type(version)(public),
        version_class=constraint.version_class,
    )


def parse_range(text: str) -> VersionRange:
    """Parse and validate a ``vers:`` URI, or raise ``InvalidVersionRange``."""
    if len(text) > MAX_RANGE_CHARS:
        raise _refuse(f"A range has at most {MAX_RANGE_CHARS} characters.")
    uri_scheme, colon, rest = text.strip().partition(":")
    if not colon or uri_scheme.lower() != "vers":
        raise _refuse("A range starts with 'vers:', e.g. vers:npm/>=1.2.3|<2.0.0.")
    scheme, _, constraints = rest.partition("/")
    scheme = scheme.strip().lower()
    univers_scheme = UNIVERS_SCHEME_BY_SCHEME.get(scheme)
    if univers_scheme is None:
        known = ", ".join(sorted(UNIVERS_SCHEME_BY_SCHEME))
        raise _refuse(f"Unknown versioning scheme {scheme!r}; known: {known}.")
    range_class = RANGE_CLASS_BY_SCHEMES[univers_scheme]
    version_class = cast("type[Version]", range_class.version_class)
    count = sum(1 for part in constraints.split("|") if part.strip())
    if count > MAX_CONSTRAINTS:
        raise _refuse(f"A range has at most {MAX_CONSTRAINTS} constraints.")
    try:
        parsed = UniversRange.from_string(  # type: ignore[no-untyped-call]
            f"vers:{univers_scheme}/{constraints}"
        )
        checked = list(parsed.constraints)
        if issubclass(version_class, SemverVersion):
            checked = [_without_build(constraint) for constraint in checked]
        VersionConstraint.validate(checked)  # type: ignore[no-untyped-call]
    except _UNIVERS_ERRORS as error:
        raise _refuse(str(error)[:300]) from error
    return VersionRange(
        scheme=scheme, version_class=version_class, _range=range_class(constraints=tuple(checked))
    )


def range_matches_purl_type(version_range: VersionRange, purl_type: str) -> bool:
    """Whether ``version_range`` applies to purls of ``purl_type`` (see the module table)."""
    if version_range.scheme in ANY_TYPE_SCHEMES:
        return True
    return version_range.scheme == purl_type.strip().lower()
