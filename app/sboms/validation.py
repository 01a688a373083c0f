"""Which spec version an SBOM declares, and whether it matches that version's OFFICIAL
schema. Pure: reads only schema files installed with attestd, never the network.

Schemas:

* CycloneDX 1.2-1.7 JSON and XML: the official schemas as cyclonedx-python-lib 11.12
  ships them, copied into ``app/sboms/schemas/cyclonedx`` (its README names the source,
  the licence and the few edits the library made, such as local names for the
  referenced spdx, jsf and cryptography-defs schemas). The library has no public API
  that gives these files, so attestd keeps its own copies. JSON is checked with
  jsonschema-rs, XML with libxml2's XML Schema validator.
* SPDX 2.2 and 2.3 JSON (and tag-value, converted to the same JSON shape by
  ``app.sboms.tagvalue``): the official SPDX JSON schemas in ``app/sboms/schemas``.
* SPDX 3.0.1 JSON-LD: the official SPDX 3.0.1 JSON schema in ``app/sboms/schemas``
  (see the README there).

Each validator is compiled once, on first use, and cached. JSON ``$ref``s resolve only
from a registry of the bundled files, with jsonschema-rs in offline mode; XSD imports
only from the bundled folder. Format keywords (``date-time``, ``iri-reference``,
``idn-email``…) ARE checked: jsonschema-rs checks them natively, which measured 7 ms
for a 10,000-component document (32 ms with formats, 25 ms without), unlike
python-jsonschema's rfc3987-syntax (55 ms per URL), which is not on this path.

Spec versions outside 1.2-1.7 / SPDX-2.2, SPDX-2.3 / SPDX 3.0.1 are
``SbomUnsupportedVersion``;
violations are ``SbomSchemaInvalid`` whose reasons are the first ``MAX_REASONS``
errors as "<JSON pointer>: <message>" (XML: "<path> (line N): <message>").
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from lxml import etree

from app.sboms.errors import SbomSchemaInvalid, SbomUnsupportedVersion
from app.sboms.formats import CYCLONEDX_XML_NAMESPACE, SPDX3_CONTEXT, SbomFormat

CYCLONEDX_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
SPDX_VERSIONS = ("2.2", "2.3")
SPDX3_VERSIONS = ("3.0.1",)
MAX_REASONS = 20
# A reason longer than this keeps its start and its end (where the verdict is).
_REASON_MAX = 300

_SPDX_SCHEMAS = {
    "2.2": "spdx-schema-2.2.2.json",
    "2.3": "spdx-schema-2.3.json",
    "3.0.1": "spdx-json-schema-3.0.1.json",
}
_SPDX_VERSION = re.compile(r"^SPDX-(\d+\.\d+)$")
_CYCLONEDX_BASE_URI = "http://cyclonedx.org/schema/"
_CYCLONEDX_REFERENCED = (
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
    "cryptography-defs.SNAPSHOT.schema.json",
)


def _shorten(text: str) -> str:
    if len(text) <= _REASON_MAX:
        return text
    return f"{text[:120]} … {text[-(_REASON_MAX - 123) :]}"


def _unsupported_version(
    found: str, supported: tuple[str, ...], name: str
) -> SbomUnsupportedVersion:
    return SbomUnsupportedVersion(
        f"{name} {found[:40]} is not supported.",
        reasons=[f"supported {name} versions: {', '.join(supported)}"],
    )


# --- spec versions ----------------------------------------------------------------


def _required_string(document: Any, key: str) -> str:
    if not isinstance(document, dict):
        raise SbomSchemaInvalid(
            "The SBOM is not a JSON object.", reasons=["/: the document must be an object"]
        )
    value = document.get(key)
    if value is None:
        raise SbomSchemaInvalid(
            f"The SBOM has no {key}.", reasons=[f'/: "{key}" is a required property']
        )
    if not isinstance(value, str):
        raise SbomSchemaInvalid(
            f"The SBOM's {key} is not a string.", reasons=[f"/{key}: must be a string"]
        )
    return value


def cyclonedx_json_version(document: Any) -> str:
    """The supported spec version of a CycloneDX JSON document (``specVersion``)."""
    version = _required_string(document, "specVersion")
    if version not in CYCLONEDX_VERSIONS:
        raise _unsupported_version(version, CYCLONEDX_VERSIONS, "CycloneDX")
    return version


def spdx_json_version(document: Any) -> str:
    """The supported SPDX version of an SPDX JSON document (``spdxVersion``: SPDX-2.3)."""
    if isinstance(document, dict) and "spdxVersion" not in document and "@context" in document:
        raise _unsupported_version("3 (JSON-LD)", SPDX_VERSIONS, "SPDX")
    declared = _required_string(document, "spdxVersion")
    match = _SPDX_VERSION.match(declared)
    if match is None or match.group(1) not in SPDX_VERSIONS:
        raise _unsupported_version(declared, SPDX_VERSIONS, "SPDX")
    return match.group(1)


def spdx3_version(document: Any) -> str:
    """The supported SPDX version of an SPDX 3 JSON-LD document, from its ``@context``."""
    context = _required_string(document, "@context")
    match = SPDX3_CONTEXT.match(context)
    if match is None or match.group(1) not in SPDX3_VERSIONS:
        raise SbomUnsupportedVersion(
            f"SPDX JSON-LD context {context[:80]} is not supported.",
            reasons=[
                "supported SPDX 3 contexts: "
                + ", ".join(f"https://spdx.org/rdf/{v}/spdx-context.jsonld" for v in SPDX3_VERSIONS)
            ],
        )
    return match.group(1)


def cyclonedx_xml_version(root: etree._Element) -> str:
    """The supported spec version of a CycloneDX XML document, from its namespace."""
    namespace = etree.QName(root).namespace or ""
    match = CYCLONEDX_XML_NAMESPACE.match(namespace)
    if match is None:
        raise SbomSchemaInvalid(
            "The SBOM is not a CycloneDX XML document.",
            reasons=[
                f"/{etree.QName(root).localname}: the root element is not in a CycloneDX "
                "namespace (http://cyclonedx.org/schema/bom/1.x)"
            ],
        )
    version = match.group(1)
    if version not in CYCLONEDX_VERSIONS:
        raise _unsupported_version(version, CYCLONEDX_VERSIONS, "CycloneDX")
    return version


def spec_version(sbom_format: SbomFormat, document: Any) -> str:
    """The spec version the document declares, if attestd supports it."""
    if sbom_format is SbomFormat.CYCLONEDX_JSON:
        return cyclonedx_json_version(document)
    if sbom_format in {SbomFormat.SPDX_JSON, SbomFormat.SPDX_TAG_VALUE}:
        return spdx_json_version(document)
    if sbom_format is SbomFormat.SPDX_JSON_LD:
        return spdx3_version(document)
    return cyclonedx_xml_version(document)


# --- schema files -----------------------------------------------------------------


def spdx_schema_dir() -> Path:
    """The folder of the official SPDX JSON schemas that attestd ships."""
    return Path(__file__).with_name("schemas")


def cyclonedx_schema_dir() -> Path:
    """The folder of the official CycloneDX schemas that attestd ships."""
    return spdx_schema_dir() / "cyclonedx"


def _load_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


@functools.cache
def _cyclonedx_registry() -> jsonschema_rs.Registry:
    # The bundled bom schemas $ref "spdx.SNAPSHOT.schema.json",
    # "jsf-0.82.SNAPSHOT.schema.json" and (1.7) "cryptography-defs.SNAPSHOT.schema.json"
    # relative to their $id (http://cyclonedx.org/schema/…); each one's own internal refs
    # resolve against its $id. These names are served from the bundled files, and nothing
    # else resolves (offline validators).
    folder = cyclonedx_schema_dir()
    resources: list[tuple[str, Any]] = []
    for file_name in _CYCLONEDX_REFERENCED:
        schema = _load_json(folder / file_name)
        resources.append((_CYCLONEDX_BASE_URI + file_name, schema))
        resources.append((schema["$id"], schema))
    return jsonschema_rs.Registry(resources)


@functools.cache
def cyclonedx_json_validator(version: str) -> jsonschema_rs.Validator:
    """The compiled validator of the official CycloneDX ``version`` JSON schema."""
    if version not in CYCLONEDX_VERSIONS:
        raise _unsupported_version(version, CYCLONEDX_VERSIONS, "CycloneDX")
    schema = _load_json(cyclonedx_schema_dir() / f"bom-{version}.SNAPSHOT.schema.json")
    return jsonschema_rs.validator_for(
        schema, registry=_cyclonedx_registry(), offline=True, validate_formats=True
    )


@functools.cache
def spdx_json_validator(version: str) -> jsonschema_rs.Validator:
    """The compiled validator of the official SPDX ``version`` JSON schema (2.x or 3.x)."""
    if version not in _SPDX_SCHEMAS:
        raise _unsupported_version(version, (*SPDX_VERSIONS, *SPDX3_VERSIONS), "SPDX")
    schema = _load_json(spdx_schema_dir() / _SPDX_SCHEMAS[version])
    return jsonschema_rs.validator_for(schema, offline=True, validate_formats=True)


class _BundledSchemasOnly(etree.Resolver):
    """Lets an XSD import only files from the folder it was loaded from."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.resolve()

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        path = Path((system_url or "").removeprefix("file://")).resolve()
        if path.parent == self.folder and path.is_file():
            return self.resolve_filename(str(path), context)
        raise ValueError(f"schema import outside the bundled schemas: {system_url}")


@dataclass(frozen=True, slots=True)
class _XmlSchema:
    schema: etree.XMLSchema
    # An XMLSchema keeps the error log of its last run, so runs take turns.
    lock: threading.Lock


@functools.cache
def _cyclonedx_xml_schema(version: str) -> _XmlSchema:
    if version not in CYCLONEDX_VERSIONS:
        raise _unsupported_version(version, CYCLONEDX_VERSIONS, "CycloneDX")
    folder = cyclonedx_schema_dir()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    parser.resolvers.add(_BundledSchemasOnly(folder))
    xsd = etree.parse(str(folder / f"bom-{version}.SNAPSHOT.xsd"), parser)
    return _XmlSchema(etree.XMLSchema(xsd), threading.Lock())


def compile_all() -> None:
    """Compile every validator now (e.g. at startup) instead of on first use."""
    for version in CYCLONEDX_VERSIONS:
        cyclonedx_json_validator(version)
        _cyclonedx_xml_schema(version)
    for version in _SPDX_SCHEMAS:
        spdx_json_validator(version)


# --- validation ---------------------------------------------------------------------


def json_pointer(path: list[str | int]) -> str:
    """RFC 6901 pointer of an instance path; the document itself is shown as "/"."""
    if not path:
        return "/"
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _validate_json(validator: jsonschema_rs.Validator, document: Any, name: str) -> None:
    # is_valid stops at nothing and collects nothing: ~10% faster on the valid
    # documents that are the common case; the errors are gathered only on failure.
    if validator.is_valid(document):
        return
    errors = list(itertools.islice(validator.iter_errors(document), MAX_REASONS))
    if errors:
        raise SbomSchemaInvalid(
            f"The SBOM does not match the official {name} schema.",
            reasons=[_shorten(f"{json_pointer(e.instance_path)}: {e.message}") for e in errors],
        )


def _xml_location(root: etree._Element, error: Any) -> str:
    """A readable path such as /bom/components/component[2] for an error, or its line."""
    path = getattr(error, "path", None)
    found = root.getroottree().xpath(path) if path else []
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return f"line {error.line}"
    steps: list[str] = []
    element: etree._Element | None = found[0]
    while element is not None:
        name = etree.QName(element).localname
        parent = element.getparent()
        siblings = [] if parent is None else [s for s in parent if s.tag == element.tag]
        if len(siblings) > 1:
            name = f"{name}[{siblings.index(element) + 1}]"
        steps.append(name)
        element = parent
    return "/" + "/".join(reversed(steps)) + f" (line {error.line})"


def _validate_xml(root: etree._Element, version: str) -> None:
    compiled = _cyclonedx_xml_schema(version)
    with compiled.lock:
        if compiled.schema.validate(root):
            return
        errors = list(itertools.islice(compiled.schema.error_log, MAX_REASONS))
    namespace = "{" + (etree.QName(root).namespace or "") + "}"
    raise SbomSchemaInvalid(
        f"The SBOM does not match the official CycloneDX {version} XML schema.",
        reasons=[
            _shorten(f"{_xml_location(root, e)}: {e.message.replace(namespace, '')}")
            for e in errors
        ],
    )


_GRAPH_ELEMENT = re.compile(r"^/@graph/(\d+)")


def _spdx3_element(document: dict[str, Any], reason: str) -> str:
    """A reason about ``/@graph/N…`` that also names element N's type and id: the
    schema's own message for an element that matches no class says little more."""
    match = _GRAPH_ELEMENT.match(reason)
    graph = document.get("@graph")
    if match is None or not isinstance(graph, list) or int(match.group(1)) >= len(graph):
        return reason
    element = graph[int(match.group(1))]
    if not isinstance(element, dict):
        return reason
    named = " ".join(
        str(value)[:120]
        for key in ("type", "spdxId", "@id")
        if isinstance(value := element.get(key), str)
    )
    return _shorten(f"{match.group(0)} ({named}){reason[match.end() :]}") if named else reason


def _check_spdx3_graph(document: dict[str, Any]) -> None:
    """What the SPDX 3 JSON schema cannot say: one SpdxDocument, and ids that are unique.

    Elements refer to each other by id; two elements with one id would let a reader
    pick either (a package's licence or supplier taken from another one).
    """
    graph = document.get("@graph", [document])
    problems: list[str] = []
    seen: set[str] = set()
    documents = 0
    for index, element in enumerate(graph):
        documents += element.get("type") == "SpdxDocument"
        for key in ("spdxId", "@id"):
            identifier = element.get(key)
            if isinstance(identifier, str):
                if identifier in seen:
                    problems.append(
                        f"/@graph/{index}/{key}: {identifier[:200]} names another element too"
                    )
                seen.add(identifier)
    if documents != 1:
        problems.insert(0, f"/@graph: {documents} SpdxDocument elements; exactly one is required")
    if problems:
        raise SbomSchemaInvalid(
            "The SBOM is not a single SPDX 3 document.",
            reasons=[_shorten(problem) for problem in problems[:MAX_REASONS]],
        )


def validate(sbom_format: SbomFormat, version: str, document: Any) -> None:
    """Check a parsed document against the official schema of its format and version."""
    if sbom_format is SbomFormat.CYCLONEDX_JSON:
        _validate_json(cyclonedx_json_validator(version), document, f"CycloneDX {version}")
    elif sbom_format is SbomFormat.SPDX_JSON_LD:
        try:
            _validate_json(spdx_json_validator(version), document, f"SPDX {version}")
        except SbomSchemaInvalid as invalid:
            raise SbomSchemaInvalid(
                invalid.detail, reasons=[_spdx3_element(document, r) for r in invalid.reasons]
            ) from None
        _check_spdx3_graph(document)
    elif sbom_format.is_spdx:
        _validate_json(spdx_json_validator(version), document, f"SPDX {version}")
    else:
        _validate_xml(document, version)
