"""Hardened parsing of SBOM bytes: JSON with orjson, XML with lxml. Pure: no I/O.

Every way a document can be malformed ends in ``SbomMalformed`` (400) with a reason:

* JSON: what ``app.strict_json`` refuses (invalid UTF-8, syntax errors, ``NaN`` /
  ``Infinity`` and numbers that overflow a double, duplicate object keys, a NUL
  character, nesting deeper than ``MAX_DEPTH``).
* XML: anything libxml2 rejects (syntax, invalid UTF-8, NUL and other characters XML
  forbids, text nodes over 10 MB), any DOCTYPE at all (so no DTD, no entity: no XXE,
  no billion laughs), an encoding other than UTF-8, nesting deeper than ``MAX_DEPTH``.

Nothing is ever fetched: the XML parser has no network, loads no DTD, resolves no
entity and has a resolver that refuses every URL.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from app.sboms.errors import SbomMalformed
from app.strict_json import MAX_DEPTH, QUOTE_MAX, JsonRefused, parse_strict_json, quote, too_deep


def _too_deep() -> SbomMalformed:
    refused = too_deep()
    return SbomMalformed(f"The SBOM {refused.problem}.", reasons=[refused.reason])


def parse_json(body: bytes) -> Any:
    """The JSON value in ``body``, or ``SbomMalformed`` saying why it is not acceptable."""
    try:
        return parse_strict_json(body)
    except JsonRefused as refused:
        raise SbomMalformed(f"The SBOM {refused.problem}.", reasons=[refused.reason]) from None


# --- XML ------------------------------------------------------------------------------

_ACCEPTED_XML_ENCODINGS = frozenset({"utf-8", "us-ascii", "ascii"})


class _RefuseEverything(etree.Resolver):
    """Loads nothing: no DTD, entity, XInclude or schema location is ever fetched."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> None:
        raise SbomMalformed(
            "The SBOM refers to an external resource.",
            reasons=["external resources are never loaded"],
        )


def _xml_parser() -> etree.XMLParser:
    # A parser is not thread-safe, so each parse gets its own (creating one is cheap).
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )
    parser.resolvers.add(_RefuseEverything())
    return parser


# True when an element sits deeper than MAX_DEPTH (the root element is level 1). Kept
# as text: libxml2 walks it level by level in C (about 20 ms for 10,000 components),
# and a compiled etree.XPath object is best not shared between threads.
_XML_TOO_DEEP = "boolean(/" + "/".join(["*"] * (MAX_DEPTH + 1)) + ")"


def parse_xml(body: bytes) -> etree._Element:
    """The root element of the XML document in ``body``, or ``SbomMalformed``."""
    try:
        root = etree.fromstring(body, _xml_parser())
    except etree.XMLSyntaxError as error:
        raise SbomMalformed(
            "The SBOM is not well-formed XML.", reasons=[str(error)[:QUOTE_MAX]]
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise SbomMalformed(
            "The SBOM has a document type declaration.",
            reasons=["XML with a DOCTYPE (DTD or entity declarations) is not accepted"],
        )
    encoding = (docinfo.encoding or "UTF-8").lower()
    if encoding not in _ACCEPTED_XML_ENCODINGS:
        raise SbomMalformed(
            "The SBOM is not UTF-8.",
            reasons=[f"XML encoding {quote(docinfo.encoding or '')} is not accepted; use UTF-8"],
        )
    if root.xpath(_XML_TOO_DEEP):
        raise _too_deep()
    return root
