"""The one way into the SBOM domain: bytes and a Content-Type in, a validated document
out (detect -> parse -> spec version -> official schema). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.sboms.errors import SbomSchemaInvalid
from app.sboms.formats import SbomFormat, Syntax, declared_format, sniff_json, sniff_xml
from app.sboms.parsing import parse_json, parse_xml
from app.sboms.tagvalue import TagValueDocument, parse_tag_value
from app.sboms.validation import spec_version, validate

# Where each format declares its spec version, for reasons.
_VERSION_LOCATION = {
    SbomFormat.CYCLONEDX_JSON: "/specVersion",
    SbomFormat.SPDX_JSON: "/spdxVersion",
    SbomFormat.SPDX_TAG_VALUE: "SPDXVersion",
    SbomFormat.SPDX_JSON_LD: "/@context",
    SbomFormat.CYCLONEDX_XML: "/bom (its namespace)",
}


@dataclass(frozen=True, slots=True)
class LoadedSbom:
    """An SBOM that parsed hardened and matches the official schema of its version.

    ``document`` is the parsed JSON object (a dict) for the JSON formats, the same
    object as SPDX JSON for SPDX tag-value, and the root ``lxml.etree._Element`` for
    CycloneDX XML.
    """

    format: SbomFormat
    spec_version: str
    document: Any


def load_sbom(content_type: str | None, body: bytes) -> LoadedSbom:
    """Detect, parse and validate an SBOM, or raise the ``app.sboms.errors`` problem.

    415 for a format that is not an SBOM attestd accepts, 400 for malformed bytes,
    422 for an unsupported spec version or a document that fails its schema.
    """
    declared = declared_format(content_type)
    document: Any
    tag_value: TagValueDocument | None = None
    if declared.syntax is Syntax.TAG_VALUE:
        tag_value = parse_tag_value(body)
        document, sbom_format = tag_value.document, SbomFormat.SPDX_TAG_VALUE
    elif declared.syntax is Syntax.JSON:
        document = parse_json(body)
        sbom_format = declared.format or sniff_json(document, declared.essence)
    else:
        document = parse_xml(body)
        sbom_format = declared.format or sniff_xml(document)

    version = spec_version(sbom_format, document)
    if declared.version is not None and declared.version != version:
        raise SbomSchemaInvalid(
            "The SBOM's spec version differs from its Content-Type.",
            reasons=[
                f"{_VERSION_LOCATION[sbom_format]}: the document is version {version} "
                "but the Content-Type "
                f"says version={declared.version[:20]}"
            ],
        )
    try:
        validate(sbom_format, version, document)
    except SbomSchemaInvalid as invalid:
        if tag_value is None:
            raise
        # The reasons point into the JSON form; say on which line each element starts.
        raise SbomSchemaInvalid(
            invalid.detail, reasons=[tag_value.locate(reason) for reason in invalid.reasons]
        ) from None
    return LoadedSbom(sbom_format, version, document)
