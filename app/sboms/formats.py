"""Which SBOM format a request carries, from its Content-Type and, for the generic JSON
and XML types, from the document itself. Pure: no I/O.

Accepted Content-Types (parameters such as ``version=1.6`` or ``charset=utf-8`` are
allowed; any charset but UTF-8 is refused):

* ``application/vnd.cyclonedx+json``, ``application/vnd.cyclonedx+xml``,
  ``application/spdx+json``: the format is what the type says;
* ``application/json``: a JSON object with ``"bomFormat": "CycloneDX"`` is CycloneDX,
  one with ``spdxVersion`` is SPDX;
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

# The namespace of a CycloneDX XML document names its spec version.
CYCLONEDX_XML_NAMESPACE = re.compile(r"^http://cyclonedx\.org/schema/bom/(\d+\.\d+)$")


class Syntax(enum.StrEnum):
    JSON = "json"
    XML = "xml"


class SbomFormat(enum.StrEnum):
    """A supported SBOM format; the value is its name on the wire."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"

    @property
    def syntax(self) -> Syntax:
        return Syntax.XML if self is SbomFormat.CYCLONEDX_XML else Syntax.JSON

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    SbomFormat.CYCLONEDX_JSON: CYCLONEDX_JSON_MEDIA_TYPE,
    SbomFormat.CYCLONEDX_XML: CYCLONEDX_XML_MEDIA_TYPE,
    SbomFormat.SPDX_JSON: SPDX_JSON_MEDIA_TYPE,
}
# In-toto predicate types whose predicate is an SBOM, and the format it is loaded as.
SBOM_PREDICATE_FORMATS: Mapping[str, SbomFormat] = {
    "https://cyclonedx.org/bom": SbomFormat.CYCLONEDX_JSON,
    **{f"https://cyclonedx.org/bom/v1.{minor}": SbomFormat.CYCLONEDX_JSON for minor in range(8)},
    "https://spdx.dev/Document": SbomFormat.SPDX_JSON,
    **{f"https://spdx.dev/Document/v2.{minor}": SbomFormat.SPDX_JSON for minor in range(4)},
    "https://spdx.dev/Document/v3.0": SbomFormat.SPDX_JSON,
}
_EXPLICIT = {media_type: sbom_format for sbom_format, media_type in _MEDIA_TYPES.items()}
_SNIFFED = {
    "application/json": Syntax.JSON,
    "application/xml": Syntax.XML,
    "text/xml": Syntax.XML,
}
_ACCEPTED = ", ".join([*_EXPLICIT, *_SNIFFED])


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
        return DeclaredFormat(sbom_format.syntax, sbom_format, version, parameters)
    if essence in _SNIFFED:
        return DeclaredFormat(_SNIFFED[essence], None, version, parameters)
    raise _unsupported(f"Content-Type {essence[:80]} is not an SBOM format")


def sniff_json(document: Any) -> SbomFormat:
    """CycloneDX or SPDX, told apart by their marker fields; else 415."""
    if isinstance(document, dict):
        is_cyclonedx = document.get("bomFormat") == "CycloneDX"
        is_spdx = "spdxVersion" in document
        if is_cyclonedx and not is_spdx:
            return SbomFormat.CYCLONEDX_JSON
        if is_spdx and not is_cyclonedx:
            return SbomFormat.SPDX_JSON
    raise _unsupported(
        'a JSON SBOM is an object with "bomFormat": "CycloneDX" or with "spdxVersion"'
    )


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
        return sniff_json(parse_json(body))
    return sniff_xml(parse_xml(body))
