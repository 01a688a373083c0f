"""Which SBOM format a request carries, from its Content-Type and, for the generic JSON
and XML types, from the document itself. Pure: no I/O.

Accepted Content-Types (parameters such as ``version=1.7`` or ``charset=utf-8`` are
allowed; any charset but UTF-8 is refused):

* ``application/vnd.cyclonedx+json``, ``application/vnd.cyclonedx+xml``,
  ``text/spdx`` (SPDX 2 tag-value): the format is what the type says;
* ``application/spdx+json``: SPDX JSON, version 2 (``spdxVersion``) or version 3
  (JSON-LD: an ``@context`` and no ``spdxVersion``), told apart by the document;
* ``application/json``: a JSON object with ``"bomFormat": "CycloneDX"`` is CycloneDX,
  one with ``spdxVersion`` is SPDX 2, one with an SPDX 3 ``@context`` is SPDX 3;
* ``application/ld+json``: a JSON-LD document with an SPDX 3 ``@context``;
* ``application/xml``, ``text/xml``: a root element in a CycloneDX namespace
  (``http://cyclonedx.org/schema/bom/1.x``) is CycloneDX.

Anything else is ``SbomUnsupportedFormat`` (415).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.media_types import MediaTypeError, parse_media_type
from app.sboms.errors import SbomUnsupportedFormat
from app.sboms.parsing import parse_json, parse_xml

CYCLONEDX_JSON_MEDIA_TYPE = "application/vnd.cyclonedx+json"
CYCLONEDX_XML_MEDIA_TYPE = "application/vnd.cyclonedx+xml"
SPDX_JSON_MEDIA_TYPE = "application/spdx+json"
SPDX_TAG_VALUE_MEDIA_TYPE = "text/spdx"
JSON_LD_MEDIA_TYPE = "application/ld+json"

# The namespace of a CycloneDX XML document names its spec version.
CYCLONEDX_XML_NAMESPACE = re.compile(r"^http://cyclonedx\.org/schema/bom/(\d+\.\d+)$")
# The JSON-LD context of an SPDX 3 document names its spec version.
SPDX3_CONTEXT = re.compile(r"^https://spdx\.org/rdf/(3\.\d+\.\d+)/spdx-context\.jsonld$")
SPDX3_CONTEXT_EXAMPLE = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


class Syntax(enum.StrEnum):
    JSON = "json"
    XML = "xml"
    TAG_VALUE = "tag-value"


class SbomFormat(enum.StrEnum):
    """A supported SBOM format; the value is its name on the wire."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"  # SPDX 2.2 / 2.3
    SPDX_TAG_VALUE = "spdx-tag-value"  # SPDX 2.2 / 2.3
    SPDX_JSON_LD = "spdx-jsonld"  # SPDX 3

    @property
    def syntax(self) -> Syntax:
        return _SYNTAXES.get(self, Syntax.JSON)

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def is_spdx(self) -> bool:
        return self not in {SbomFormat.CYCLONEDX_JSON, SbomFormat.CYCLONEDX_XML}


_SYNTAXES = {SbomFormat.CYCLONEDX_XML: Syntax.XML, SbomFormat.SPDX_TAG_VALUE: Syntax.TAG_VALUE}
_MEDIA_TYPES = {
    SbomFormat.CYCLONEDX_JSON: CYCLONEDX_JSON_MEDIA_TYPE,
    SbomFormat.CYCLONEDX_XML: CYCLONEDX_XML_MEDIA_TYPE,
    SbomFormat.SPDX_JSON: SPDX_JSON_MEDIA_TYPE,
    SbomFormat.SPDX_TAG_VALUE: SPDX_TAG_VALUE_MEDIA_TYPE,
    SbomFormat.SPDX_JSON_LD: SPDX_JSON_MEDIA_TYPE,
}
_CYCLONEDX = frozenset({SbomFormat.CYCLONEDX_JSON})
_SPDX2 = frozenset({SbomFormat.SPDX_JSON})
_SPDX3 = frozenset({SbomFormat.SPDX_JSON_LD})
# In-toto predicate types whose predicate is an SBOM, and the formats it may be in.
SBOM_PREDICATE_FORMATS: Mapping[str, frozenset[SbomFormat]] = {
    "https://cyclonedx.org/bom": _CYCLONEDX,
    **{f"https://cyclonedx.org/bom/v1.{minor}": _CYCLONEDX for minor in range(8)},
    "https://spdx.dev/Document": _SPDX2 | _SPDX3,
    **{f"https://spdx.dev/Document/v2.{minor}": _SPDX2 for minor in range(4)},
    "https://spdx.dev/Document/v3.0": _SPDX3,
}
# application/spdx+json is SPDX 2 or 3: the document says which (``sniff_json``).
_EXPLICIT = {
    CYCLONEDX_JSON_MEDIA_TYPE: SbomFormat.CYCLONEDX_JSON,
    CYCLONEDX_XML_MEDIA_TYPE: SbomFormat.CYCLONEDX_XML,
    SPDX_TAG_VALUE_MEDIA_TYPE: SbomFormat.SPDX_TAG_VALUE,
}
_SNIFFED = {
    SPDX_JSON_MEDIA_TYPE: Syntax.JSON,
    "application/json": Syntax.JSON,
    JSON_LD_MEDIA_TYPE: Syntax.JSON,
    "application/xml": Syntax.XML,
    "text/xml": Syntax.XML,
}
# Every media type POST /v1/sboms accepts.
ACCEPTED_MEDIA_TYPES = (*_EXPLICIT, *_SNIFFED)
_ACCEPTED = ", ".join(ACCEPTED_MEDIA_TYPES)


def _unsupported(reason: str) -> SbomUnsupportedFormat:
    return SbomUnsupportedFormat(
        "The request body is not an SBOM format attestd accepts.",
        reasons=[reason, f"accepted Content-Types: {_ACCEPTED}"],
    )


@dataclass(frozen=True, slots=True)
class DeclaredFormat:
    """What the Content-Type says: a format, or only a syntax to sniff."""

    syntax: Syntax
    format: SbomFormat | None
    # The Content-Type's essence (``application/json``…), which bounds what is sniffed.
    essence: str
    # The ``version`` parameter, when given; it must agree with the document.
    version: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)


def declared_format(content_type: str | None) -> DeclaredFormat:
    """The format or syntax a Content-Type declares, or ``SbomUnsupportedFormat``."""
    try:
        essence, parameters = parse_media_type(content_type)
    except MediaTypeError as error:
        raise _unsupported(str(error)) from None

    charset = parameters.get("charset")
    if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
        raise _unsupported(f"charset {charset[:40]} is not accepted; SBOMs must be UTF-8")
    version = parameters.get("version")
    if essence in _EXPLICIT:
        sbom_format = _EXPLICIT[essence]
        return DeclaredFormat(sbom_format.syntax, sbom_format, essence, version, parameters)
    if essence in _SNIFFED:
        return DeclaredFormat(_SNIFFED[essence], None, essence, version, parameters)
    raise _unsupported(f"Content-Type {essence[:80]} is not an SBOM format")


def is_spdx3(document: Any) -> bool:
    """An object whose JSON-LD ``@context`` is an SPDX 3 context (any 3.x version)."""
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    return isinstance(context, str) and SPDX3_CONTEXT.match(context) is not None


def sniff_json(document: Any, essence: str = "application/json") -> SbomFormat:
    """CycloneDX, SPDX 2 or SPDX 3, told apart by their marker fields; else 415.

    ``essence`` is the Content-Type that was sniffed: ``application/spdx+json`` is
    SPDX 3 when the document has an SPDX 3 ``@context`` and no ``spdxVersion``, and
    SPDX 2 otherwise (its schema then names what is missing); ``application/ld+json``
    is only SPDX 3.
    """
    spdx3 = is_spdx3(document)
    if essence == SPDX_JSON_MEDIA_TYPE:
        spdx2 = isinstance(document, dict) and "spdxVersion" in document
        return SbomFormat.SPDX_JSON_LD if spdx3 and not spdx2 else SbomFormat.SPDX_JSON
    found: set[SbomFormat] = set()
    if isinstance(document, dict):
        if document.get("bomFormat") == "CycloneDX":
            found.add(SbomFormat.CYCLONEDX_JSON)
        if "spdxVersion" in document:
            found.add(SbomFormat.SPDX_JSON)
        if spdx3:
            found.add(SbomFormat.SPDX_JSON_LD)
    if essence == JSON_LD_MEDIA_TYPE:
        if found == {SbomFormat.SPDX_JSON_LD}:
            return SbomFormat.SPDX_JSON_LD
        raise _unsupported(
            f'a {JSON_LD_MEDIA_TYPE} SBOM is SPDX 3: an object whose "@context" is '
            f"{SPDX3_CONTEXT_EXAMPLE} and that has no other SBOM marker"
        )
    if len(found) == 1:
        return found.pop()
    raise _unsupported(
        'a JSON SBOM is an object with "bomFormat": "CycloneDX", with "spdxVersion" '
        f'(SPDX 2) or with the "@context" of SPDX 3 ({SPDX3_CONTEXT_EXAMPLE})'
    )


def predicate_format(allowed: frozenset[SbomFormat], predicate: Any) -> SbomFormat:
    """The format of an SBOM predicate, if its predicate type allows it; else 415.

    A predicate without another format's marker is read as its type says, so that the
    schema names what it lacks.
    """
    if allowed == _CYCLONEDX:
        spdx = isinstance(predicate, dict) and ("spdxVersion" in predicate or is_spdx3(predicate))
        found = sniff_json(predicate) if spdx else SbomFormat.CYCLONEDX_JSON
    else:
        found = sniff_json(predicate, SPDX_JSON_MEDIA_TYPE)
    if found not in allowed:
        raise _unsupported(
            f"the predicate is {found.value}, which its predicate type does not allow "
            f"(it allows {', '.join(sorted(f.value for f in allowed))})"
        )
    return found


def sniff_xml(root: etree._Element) -> SbomFormat:
    """CycloneDX when the root element is in a CycloneDX namespace; else 415."""
    namespace = etree.QName(root).namespace or ""
    if CYCLONEDX_XML_NAMESPACE.match(namespace):
        return SbomFormat.CYCLONEDX_XML
    raise _unsupported(
        "an XML SBOM has its root element in a CycloneDX namespace "
        "(http://cyclonedx.org/schema/bom/1.x)"
    )


def detect_format(content_type: str | None, body: bytes) -> SbomFormat:
    """The SBOM format of a request: from its Content-Type, sniffing the body if generic.

    Sniffing parses the body (hardened, see ``parsing``), so a malformed body sent as
    plain JSON or XML is ``SbomMalformed``; ``loading.load_sbom`` parses only once.
    """
    declared = declared_format(content_type)
    if declared.format is not None:
        return declared.format
    if declared.syntax is Syntax.JSON:
        return sniff_json(parse_json(body), declared.essence)
    return sniff_xml(parse_xml(body))
