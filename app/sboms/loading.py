"""The one way into the SBOM domain: bytes and a Content-Type in, a validated document
out (detect -> parse -> spec version -> official schema). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.sboms.errors import SbomSchemaInvalid
from app.sboms.formats import SbomFormat, Syntax, declared_format, sniff_json, sniff_xml
from app.sboms.parsing import parse_json, parse_xml
from app.sboms.validation import spec_version, validate

# Where each format declares its spec version, for reasons.
_VERSION_LOCATION = {
    SbomFormat.CYCLONEDX_JSON: "/specVersion",
    SbomFormat.SPDX_JSON: "/spdxVersion",
    SbomFormat.CYCLONEDX_XML: "/bom (its namespace)",
}


@dataclass(frozen=True, slots=True)
class LoadedSbom:
    """An SBOM that parsed hardened and matches the official schema of its version.

    ``document`` is the parsed JSON object (a dict) for the JSON formats and the root
    ``lxml.etree._Element`` for CycloneDX XML.
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
    if declared.syntax is Syntax.JSON:
        document = parse_json(body)
        sbom_format = declared.format or sniff_json(document)
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
    validate(sbom_format, version, document)
    return LoadedSbom(sbom_format, version, document)
