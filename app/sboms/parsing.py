"""Hardened parsing of SBOM bytes: JSON with orjson, XML with lxml. Pure: no I/O.

Every way a document can be malformed ends in ``SbomMalformed`` (400) with a reason:

* JSON: invalid UTF-8 (a byte order mark included), syntax errors, ``NaN`` /
  ``Infinity`` and numbers that overflow a double, duplicate object keys, a NUL
  character in a string (raw or as ``\\u0000``; PostgreSQL text cannot hold it and
  no SBOM field needs it), nesting deeper than ``MAX_DEPTH``.
* XML: anything libxml2 rejects (syntax, invalid UTF-8, NUL and other characters XML
  forbids, text nodes over 10 MB), any DOCTYPE at all (so no DTD, no entity: no XXE,
  no billion laughs), an encoding other than UTF-8, nesting deeper than ``MAX_DEPTH``.

Nothing is ever fetched: the XML parser has no network, loads no DTD, resolves no
entity and has a resolver that refuses every URL.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from lxml import etree

from app.collector import collector_paused
from app.sboms.errors import SbomMalformed

# Deepest nesting accepted. The document (its root object, array or element) is level
# 1 and every value inside an array or object, or element inside an element, is one
# level deeper than its parent: {"a": [1]} has 3 levels. Real SBOMs stay far below it
# (a nested CycloneDX component costs two levels); it keeps every later recursive walk
# of a document far from Python's recursion limit. orjson stops at 1024 levels on its
# own and libxml2 (without huge_tree) at 256.
MAX_DEPTH = 128

# Reasons quote at most this much of a key or a parser message.
_QUOTE_MAX = 200

# --- JSON -----------------------------------------------------------------------------
#
# orjson keeps the last of duplicate keys silently, so duplicates are found another
# way. Measured here on a 10,000-component CycloneDX 1.6 document (5.3 MB):
#
#   orjson.loads                                     113 ms, 49-63 ms with the GC paused
#   json.loads + object_pairs_hook (exact check)     207 ms, 130 ms with the GC paused
#   Python walk of the parsed tree (keys + depth)     57-70 ms on top of orjson
#   regex tokenising of the raw bytes for keys       107 ms on top of orjson
#   chosen: one indented orjson.dumps + byte counts   ~40 ms on top of orjson
#
# The chosen check: every ':' outside a string is a key separator, and a ':' inside a
# string is written literally or as \u003a. orjson.dumps writes one ':' per key and
# every ':' of string content literally. So unless the raw text holds a \u003a escape,
# raw.count(':') == dumped.count(':') exactly when no key was dropped, and a dropped
# duplicate always makes the dump shorter by at least its own ':'. A mismatch (or a
# \u003a escape) sends the document to the exact but slower stdlib check, which also
# names the key. The same dump, indented two spaces per level, shows the depth: a
# value at level L starts a line indented 2 * (L - 1) spaces (newlines inside strings
# are escaped, so every newline is structural), so a line indented 2 * MAX_DEPTH spaces
# means a value deeper than MAX_DEPTH. A search for it runs at memchr speed.
_TOO_DEEP_LINE = b"\n" + b" " * (2 * MAX_DEPTH)
_ESCAPED_COLONS = (b"\\u003a", b"\\u003A")
# A \u0000 escape in orjson's output that is not itself an escaped backslash + "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _quote(value: str) -> str:
    if len(value) > _QUOTE_MAX:
        value = value[:_QUOTE_MAX] + "…"
    return orjson.dumps(value).decode()


def _too_deep() -> SbomMalformed:
    return SbomMalformed(
        "The SBOM is nested too deeply.",
        reasons=[f"nesting is deeper than {MAX_DEPTH} levels"],
    )


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return document


def _find_duplicate_key(body: bytes) -> str | None:
    """The first duplicated key of a document orjson accepted (exact, slower)."""
    try:
        json.loads(body, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKeyError as duplicate:
        return duplicate.key
    return None


def parse_json(body: bytes) -> Any:
    """The JSON value in ``body``, or ``SbomMalformed`` saying why it is not acceptable."""
    # Pausing the collector while orjson builds hundreds of thousands of objects makes
    # big parses ~2x faster (measured above); nothing here creates reference cycles.
    try:
        with collector_paused():
            document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):
            raise _too_deep() from None
        raise SbomMalformed(
            "The SBOM is not well-formed JSON.", reasons=[str(error)[:_QUOTE_MAX]]
        ) from None

    try:
        dumped = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        # orjson refuses to serialise nesting beyond its own recursion limit (254).
        raise _too_deep() from None
    if _TOO_DEEP_LINE in dumped:
        raise _too_deep()

    if body.count(b":") != dumped.count(b":") or any(e in body for e in _ESCAPED_COLONS):
        duplicate = _find_duplicate_key(body)
        if duplicate is not None:
            raise SbomMalformed(
                "The SBOM has an object with a duplicate key.",
                reasons=[f"duplicate key {_quote(duplicate)} in an object"],
            )

    if b"\\u0000" in dumped and _NUL_ESCAPE.search(dumped):
        raise SbomMalformed(
            "The SBOM contains a NUL character.",
            reasons=["a string contains a NUL character (\\u0000)"],
        )
    return document


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
            "The SBOM is not well-formed XML.", reasons=[str(error)[:_QUOTE_MAX]]
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
            reasons=[f"XML encoding {_quote(docinfo.encoding or '')} is not accepted; use UTF-8"],
        )
    if root.xpath(_XML_TOO_DEEP):
        raise _too_deep()
    return root
