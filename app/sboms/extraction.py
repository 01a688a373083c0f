"""The normalised contents (``app.sboms.contents``) of a validated SBOM. Pure: no I/O.

One reader per format family:

* CycloneDX JSON is read directly. CycloneDX XML is first rewritten into the JSON
  shape of the same fields (namespace-aware, whatever the spec version), so both
  syntaxes go through one reader and the same document gives equal contents.
* SPDX 2 JSON, and tag-value (read into the same JSON shape by ``app.sboms.tagvalue``):
  every package is a component except the described ones (named by
  ``documentDescribes`` or a DESCRIBES / DESCRIBED_BY relationship of the document),
  which are the SBOM's subject.
* SPDX 3 JSON-LD: the elements of its ``@graph``, by id; the packages its
  SpdxDocument's root elements (or ``describes`` relationships) name are the subject,
  the others components, with licences, dependencies and containment from its
  Relationship elements, so that the same content gives the same components as SPDX 2.

Vulnerabilities (CycloneDX 1.4+, ``vulnerabilities[]``; XML ``<vulnerabilities>``) are
kept one per entry as listed: an id listed twice (say, once a source) counts twice, and
an entry without an id is kept with id "" so that the counts of listed and open
vulnerabilities stay true. Each keeps its analysis state and justification (an analysis
without a ``state`` is no analysis), the highest severity of its ratings (``unknown``
when none is rated), and what it affects: each ``affects[].ref`` as the purl of the
component (or primary component) with that bom-ref, else as written. The vulnerability
extension namespace of CycloneDX 1.2/1.3 XML is not read, and SPDX 2.x has no
vulnerabilities. Like components, their number is bounded only by the body-size limit:
a cap here would make the stored counts wrong.

Purls go through ``app.sboms.purls.parse_purl``: canonical text, key and version; one
that does not parse is kept exactly as given and flagged (``purl_valid=False``), never
an error. The input has already passed its official schema, so shapes are trusted, but
the reader still skips what it does not recognise instead of failing on it.

Extraction runs on every upload, so its per-component path is kept lean. Measured on
a 10,000-component CycloneDX 1.6 JSON document (purls of five ecosystems, a hash and
licenses a component, ~2 dependency edges a component): ~65 ms, where reading every
purl with packageurl-python made it ~260 ms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from app.collector import collector_paused
from app.policy.maturity import Severity
from app.sboms.contents import Component, SbomContents, Vulnerability
from app.sboms.formats import SbomFormat
from app.sboms.loading import LoadedSbom
from app.sboms.purls import purl_fields

# Subject digests: CycloneDX / SPDX algorithm name -> (prefix, hex length).
_DIGESTS = {
    "SHA-256": ("sha256", 64),
    "SHA-512": ("sha512", 128),
    "SHA256": ("sha256", 64),
    "SHA512": ("sha512", 128),
}
_HEX = re.compile(r"^[0-9a-f]+$")
_SPDX_NO_VALUE = frozenset({"NOASSERTION", "NONE"})
_SPDX_CPE_TYPES = frozenset({"cpe22Type", "cpe23Type"})
# The e-mail address SPDX writes after a person's or organization's name: "Name (email)".
_SPDX_CONTACT = re.compile(r"\(([^()]*)\)\s*$")
_BSI_PROPERTY_PREFIX = "bsi:component:"
_BSI_FILENAME = "bsi:component:filename"


def extract(sbom: LoadedSbom) -> SbomContents:
    """The components, dependency edges, subject and metadata of ``sbom``."""
    # Extraction creates no reference cycles. The parsed document's containers are
    # still in a young generation when it starts: left running, the collector walks
    # them all once extraction's allocations have triggered a few young collections
    # (~20 ms for a 10,000-component document). Paused, the one collection that
    # follows walks only what extraction made (~10 ms), and the document waits for a
    # later one, or is freed before any.
    with collector_paused():
        if sbom.format in {SbomFormat.SPDX_JSON, SbomFormat.SPDX_TAG_VALUE}:
            return _spdx(sbom.document)
        if sbom.format is SbomFormat.SPDX_JSON_LD:
            return _spdx3(sbom.document)
        if sbom.format is SbomFormat.CYCLONEDX_XML:
            return _cyclonedx(_CycloneDxXml(sbom.document).bom())
        return _cyclonedx(sbom.document)


# --- shared -------------------------------------------------------------------------


# A component's (purl, purl_valid, purl_key, purl_version) when it has no purl.
_NO_PURL = (None, True, None, None)


def _purl(value: Any) -> tuple[str | None, bool, str | None, str | None]:
    """A component's (purl, purl_valid, purl_key, purl_version): ``parse_purl``'s fields."""
    return purl_fields(value) if isinstance(value, str) and value else _NO_PURL


def _hashes(entries: Any, algorithm_key: str, value_key: str) -> tuple[tuple[str, str], ...]:
    """(algorithm as written, lower-case value) of each entry naming both."""
    if not isinstance(entries, list):
        return ()
    found = []
    for entry in entries:
        if isinstance(entry, dict):
            algorithm, value = entry.get(algorithm_key), entry.get(value_key)
            if isinstance(algorithm, str) and algorithm and isinstance(value, str) and value:
                found.append((algorithm, value.strip().lower()))
    return tuple(found)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _digest(algorithm: str, value: str) -> str | None:
    """``sha256:<hex>`` / ``sha512:<hex>`` for a well-formed digest, else None."""
    known = _DIGESTS.get(algorithm.upper())
    if known is None:
        return None
    prefix, length = known
    hex_value = value.strip().lower()
    if len(hex_value) != length or not _HEX.match(hex_value):
        return None
    return f"{prefix}:{hex_value}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- CycloneDX ----------------------------------------------------------------------


def _cyclonedx(bom: dict[str, Any]) -> SbomContents:
    metadata = _dict(bom.get("metadata"))
    subject = _dict(metadata.get("component"))
    edges, leaves = _cyclonedx_graph(_list(bom.get("dependencies")))
    components = _cyclonedx_components(_list(bom.get("components")))
    primary = _cyclonedx_component(subject) if subject else None
    return SbomContents(
        components=components,
        dependencies=edges,
        subject_name=_text(subject.get("name")),
        subject_version=_text(subject.get("version")),
        subject_digests=_unique(
            _digest(str(entry.get("alg", "")), str(entry.get("content", ""))) or ""
            for entry in map(_dict, _list(subject.get("hashes")))
        ),
        authors=_unique(
            _text(_dict(author).get("name")) or "" for author in _list(metadata.get("authors"))
        ),
        producer=_cyclonedx_producer(metadata, subject),
        tools=_cyclonedx_tools(metadata.get("tools")),
        timestamp=_text(metadata.get("timestamp")),
        lifecycles=_unique(
            _text(_dict(lifecycle).get("phase")) or _text(_dict(lifecycle).get("name")) or ""
            for lifecycle in _list(metadata.get("lifecycles"))
        ),
        vulnerabilities=_cyclonedx_vulnerabilities(
            _list(bom.get("vulnerabilities")), (*components, *([primary] if primary else []))
        ),
        primary=primary,
        leaves=leaves,
        complete=any(
            _dict(composition).get("aggregate") == "complete"
            for composition in _list(bom.get("compositions"))
        ),
        creator_contacts=_unique(
            [
                *_people_contacts(metadata.get("authors")),
                *_entity_contacts(metadata.get("manufacturer")),  # 1.6
                *_entity_contacts(metadata.get("manufacture")),  # 1.2-1.5
                *_entity_contacts(metadata.get("supplier")),
            ]
        ),
    )


def _cyclonedx_components(components: list[Any]) -> tuple[Component, ...]:
    """Every component, depth first: each one, then the components nested in it."""
    found = []
    stack = components[::-1]
    while stack:
        component = _dict(stack.pop())
        if nested := _list(component.get("components")):
            stack.extend(reversed(nested))
        found.append(_cyclonedx_component(component))
    return tuple(found)


def _cyclonedx_component(component: dict[str, Any]) -> Component:
    # Runs once a component, 10,000 times for a large SBOM: each field is read with
    # one dict.get, and no generator is set up.
    get = component.get
    purl, purl_valid, purl_key, purl_version = _purl(get("purl"))
    supplier = get("supplier")
    bsi = _bsi_properties(properties) if (properties := get("properties")) else ()
    return Component(
        ref=_text(get("bom-ref")),
        name=str(get("name") or ""),
        version=_text(get("version")),
        type=_text(get("type")),
        purl=purl,
        purl_valid=purl_valid,
        purl_key=purl_key,
        purl_version=purl_version,
        cpe=_text(get("cpe")),
        supplier=(_text(supplier.get("name")) if isinstance(supplier, dict) else None)
        or _text(get("publisher")),
        licenses=_cyclonedx_licenses(get("licenses")),
        hashes=_hashes(get("hashes"), "alg", "content"),
        contacts=_component_contacts(supplier, get("manufacturer"), get("authors"), get("author")),
        filename=next((value for name, value in bsi if name == _BSI_FILENAME), None),
        properties=bsi,
    )


def _component_contacts(
    supplier: Any, manufacturer: Any, authors: Any, author: Any
) -> tuple[str, ...]:
    """The URLs and e-mail addresses of a component's supplier, manufacturer and authors."""
    if not (supplier or manufacturer or authors or author):
        return ()  # most components: nothing to read
    return _unique(
        [
            *_entity_contacts(supplier),
            *_entity_contacts(manufacturer),  # 1.6
            *_people_contacts(authors),  # 1.6
            *([author] if isinstance(author, str) else []),  # 1.2-1.5: free text
        ]
    )


def _entity_contacts(entity: Any) -> list[str]:
    """The URLs and contacts' e-mail addresses of a CycloneDX organizational entity."""
    if not isinstance(entity, dict):
        return []
    urls = [url for url in _list(entity.get("url")) if isinstance(url, str)]
    return [*urls, *_people_contacts(entity.get("contact"))]


def _people_contacts(people: Any) -> list[str]:
    """The e-mail addresses of CycloneDX organizational contacts (authors, contacts)."""
    return [email for person in _list(people) if (email := _text(_dict(person).get("email")))]


def _bsi_properties(properties: Any) -> tuple[tuple[str, str], ...]:
    """(name, value) of the BSI TR-03183-2 properties (``bsi:component:*``) among these."""
    return tuple(
        (name, value)
        for entry in _list(properties)
        if isinstance(name := _dict(entry).get("name"), str)
        and name.startswith(_BSI_PROPERTY_PREFIX)
        and isinstance(value := _dict(entry).get("value"), str)
    )


def _cyclonedx_licenses(choices: Any) -> tuple[str, ...]:
    if not isinstance(choices, list):
        return ()
    found: list[str] = []
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        if expression := _text(choice.get("expression")):
            found.append(expression)
            continue
        license_ = _dict(choice.get("license"))
        if name := _text(license_.get("id")) or _text(license_.get("name")):
            found.append(name)
    return tuple(found) if len(found) < 2 else _unique(found)


def _cyclonedx_graph(
    dependencies: list[Any],
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(edges, leaves) of the dependency graph.

    Edges are (ref, ref it depends on), each once, in order; leaves are the refs of
    entries that list no dependency, which CycloneDX defines as "depends on nothing".
    """
    edges: dict[tuple[str, str], None] = {}
    leaves: list[str] = []
    for dependency in dependencies:
        if not isinstance(dependency, dict):
            continue
        ref, targets = dependency.get("ref"), dependency.get("dependsOn")
        if not (isinstance(ref, str) and ref):
            continue
        if not targets:
            leaves.append(ref)
        elif isinstance(targets, list):
            for target in targets:
                if isinstance(target, str) and target:
                    edges[ref, target] = None
    return tuple(edges), _unique(leaves)


def _cyclonedx_vulnerabilities(
    vulnerabilities: list[Any], components: Iterable[Component]
) -> tuple[Vulnerability, ...]:
    """Every listed vulnerability, in order, ids trimmed, its affected refs read as purls."""
    if not vulnerabilities:
        return ()  # most SBOMs: no map of refs to build
    purls = {c.ref: c.purl for c in components if c.ref and c.purl}
    found = []
    for vulnerability in map(_dict, vulnerabilities):
        identifier = vulnerability.get("id")
        analysis = _dict(vulnerability.get("analysis"))
        refs = (_text(_dict(target).get("ref")) for target in _list(vulnerability.get("affects")))
        found.append(
            Vulnerability(
                id=identifier.strip() if isinstance(identifier, str) else "",
                analysis_state=_keyword(analysis.get("state")),
                severity=_highest_severity(_list(vulnerability.get("ratings"))),
                justification=_keyword(analysis.get("justification")),
                affects=_unique(purls.get(ref, ref) for ref in refs if ref),
            )
        )
    return tuple(found)


def _keyword(value: Any) -> str | None:
    """An enumerated value as written, trimmed and lower-cased; None when absent or empty."""
    return (value.strip().lower() or None) if isinstance(value, str) else None


def _highest_severity(ratings: list[Any]) -> Severity:
    """The most severe ``severity`` among the ratings; unknown when none names one."""
    rated = {_keyword(_dict(rating).get("severity")) for rating in ratings}
    # Severity lists the most severe first.
    return next((severity for severity in Severity if severity.value in rated), Severity.UNKNOWN)


def _cyclonedx_producer(metadata: dict[str, Any], subject: dict[str, Any]) -> str | None:
    for entity in (
        metadata.get("manufacturer"),  # 1.6
        metadata.get("manufacture"),  # 1.2-1.5 (deprecated in 1.6)
        metadata.get("supplier"),
        subject.get("supplier"),
    ):
        if name := _text(_dict(entity).get("name")):
            return name
    return None


def _cyclonedx_tools(tools: Any) -> tuple[str, ...]:
    """ "name version" of each tool: the 1.2-1.4 list, or 1.5+ {components, services}."""
    if isinstance(tools, dict):
        entries = [*_list(tools.get("components")), *_list(tools.get("services"))]
    else:
        entries = _list(tools)
    named = []
    for tool in map(_dict, entries):
        name = _text(tool.get("name"))
        if name is None:
            continue
        version = _text(tool.get("version"))
        named.append(f"{name} {version}" if version else name)
    return _unique(named)


def _unique_edges(edges: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(edges))


class _CycloneDxXml:
    """Rewrites the fields extraction reads from CycloneDX XML into the JSON shape."""

    def __init__(self, root: etree._Element) -> None:
        self._root = root
        self._ns = etree.QName(root).namespace or ""

    def _tag(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    def _child(self, element: etree._Element, name: str) -> etree._Element | None:
        return element.find(self._tag(name))

    def _children(self, element: etree._Element | None, *path: str) -> list[etree._Element]:
        if element is None:
            return []
        return element.findall("/".join(self._tag(step) for step in path))

    def _string(self, element: etree._Element, name: str) -> str | None:
        child = self._child(element, name)
        if child is None or child.text is None:
            return None
        return child.text.strip() or None

    def _entity(self, element: etree._Element, name: str) -> dict[str, Any] | None:
        """An organizational entity: its name, URLs and contacts."""
        child = self._child(element, name)
        if child is None:
            return None
        return {
            "name": self._string(child, "name"),
            "url": [(url.text or "").strip() for url in self._children(child, "url")],
            "contact": self._people(child, "contact"),
        }

    def _people(self, element: etree._Element, *path: str) -> list[dict[str, Any]]:
        """Organizational contacts (authors, an entity's contacts): their names and e-mails."""
        return [
            {"name": self._string(person, "name"), "email": self._string(person, "email")}
            for person in self._children(element, *path)
        ]

    def _named(self, element: etree._Element) -> dict[str, Any]:
        return {"name": self._string(element, "name"), "version": self._string(element, "version")}

    def bom(self) -> dict[str, Any]:
        return {
            "metadata": self._metadata(self._child(self._root, "metadata")),
            "components": [
                self._component(element)
                for element in self._children(self._root, "components", "component")
            ],
            "dependencies": [
                {
                    "ref": dependency.get("ref"),
                    "dependsOn": [
                        target.get("ref") for target in self._children(dependency, "dependency")
                    ],
                }
                for dependency in self._children(self._root, "dependencies", "dependency")
            ],
            "vulnerabilities": [
                self._vulnerability(element)
                for element in self._children(self._root, "vulnerabilities", "vulnerability")
            ],
            "compositions": [
                {"aggregate": self._string(composition, "aggregate")}
                for composition in self._children(self._root, "compositions", "composition")
            ],
        }

    def _vulnerability(self, vulnerability: etree._Element) -> dict[str, Any]:
        analysis = self._child(vulnerability, "analysis")
        return {
            "id": self._string(vulnerability, "id"),
            "ratings": [
                {"severity": self._string(rating, "severity")}
                for rating in self._children(vulnerability, "ratings", "rating")
            ],
            "analysis": None
            if analysis is None
            else {
                "state": self._string(analysis, "state"),
                "justification": self._string(analysis, "justification"),
            },
            "affects": [
                {"ref": self._string(target, "ref")}
                for target in self._children(vulnerability, "affects", "target")
            ],
        }

    def _metadata(self, metadata: etree._Element | None) -> dict[str, Any]:
        if metadata is None:
            return {}
        tools_element = self._child(metadata, "tools")
        tools: Any = []
        if tools_element is not None:
            legacy = self._children(tools_element, "tool")
            tools = [self._named(tool) for tool in legacy] or {
                "components": [
                    self._named(tool)
                    for tool in self._children(tools_element, "components", "component")
                ],
                "services": [
                    self._named(tool)
                    for tool in self._children(tools_element, "services", "service")
                ],
            }
        subject = self._child(metadata, "component")
        return {
            "timestamp": self._string(metadata, "timestamp"),
            "tools": tools,
            "authors": self._people(metadata, "authors", "author"),
            "component": None if subject is None else self._component(subject),
            "manufacturer": self._entity(metadata, "manufacturer"),
            "manufacture": self._entity(metadata, "manufacture"),
            "supplier": self._entity(metadata, "supplier"),
            "lifecycles": [
                {
                    "phase": self._string(lifecycle, "phase"),
                    "name": self._string(lifecycle, "name"),
                }
                for lifecycle in self._children(metadata, "lifecycles", "lifecycle")
            ],
        }

    def _component(self, component: etree._Element) -> dict[str, Any]:
        licenses: list[dict[str, Any]] = []
        for choice in self._children(component, "licenses"):
            for entry in choice:
                if entry.tag == self._tag("expression"):
                    licenses.append({"expression": (entry.text or "").strip()})
                elif entry.tag == self._tag("license"):
                    licenses.append(
                        {
                            "license": {
                                "id": self._string(entry, "id"),
                                "name": self._string(entry, "name"),
                            }
                        }
                    )
        return {
            "bom-ref": component.get("bom-ref"),
            "type": component.get("type"),
            "name": self._string(component, "name"),
            "version": self._string(component, "version"),
            "purl": self._string(component, "purl"),
            "cpe": self._string(component, "cpe"),
            "supplier": self._entity(component, "supplier"),
            "manufacturer": self._entity(component, "manufacturer"),
            "authors": self._people(component, "authors", "author"),
            "author": self._string(component, "author"),
            "publisher": self._string(component, "publisher"),
            "properties": [
                {"name": entry.get("name"), "value": (entry.text or "").strip()}
                for entry in self._children(component, "properties", "property")
            ],
            "licenses": licenses,
            "hashes": [
                {"alg": entry.get("alg"), "content": (entry.text or "").strip()}
                for entry in self._children(component, "hashes", "hash")
            ],
            "components": [
                self._component(child)
                for child in self._children(component, "components", "component")
            ],
        }


# --- SPDX ---------------------------------------------------------------------------


def _without_prefix(value: str, prefix: str) -> str | None:
    if not value.startswith(prefix):
        return None
    return value[len(prefix) :].strip() or None


def _spdx_described(document: dict[str, Any]) -> list[str]:
    """SPDXIDs the document describes, in the order it names them."""
    document_id = document.get("SPDXID", "SPDXRef-DOCUMENT")
    described = [ref for ref in _list(document.get("documentDescribes")) if isinstance(ref, str)]
    for relationship in map(_dict, _list(document.get("relationships"))):
        kind = relationship.get("relationshipType")
        if kind == "DESCRIBES" and relationship.get("spdxElementId") == document_id:
            described.append(str(relationship.get("relatedSpdxElement")))
        elif kind == "DESCRIBED_BY" and relationship.get("relatedSpdxElement") == document_id:
            described.append(str(relationship.get("spdxElementId")))
    return list(dict.fromkeys(described))


def _spdx_component(package: dict[str, Any]) -> Component:
    purl_locator: str | None = None
    cpe: str | None = None
    for reference in map(_dict, _list(package.get("externalRefs"))):
        kind, locator = reference.get("referenceType"), _text(reference.get("referenceLocator"))
        if locator is None:
            continue
        if kind == "purl" and purl_locator is None:
            purl_locator = locator
        elif kind in _SPDX_CPE_TYPES and cpe is None:
            cpe = locator
    purl, purl_valid, purl_key, purl_version = _purl(purl_locator)
    supplier = _text(package.get("supplier"))
    if supplier is not None:
        supplier = (
            None
            if supplier in _SPDX_NO_VALUE
            else _without_prefix(supplier, "Organization:")
            or _without_prefix(supplier, "Person:")
            or supplier
        )
    purpose = _text(package.get("primaryPackagePurpose"))
    return Component(
        ref=_text(package.get("SPDXID")),
        name=str(package.get("name") or ""),
        version=_text(package.get("versionInfo")),
        type=purpose.lower() if purpose else None,
        purl=purl,
        purl_valid=purl_valid,
        purl_key=purl_key,
        purl_version=purl_version,
        cpe=cpe,
        supplier=supplier,
        licenses=_unique(
            value
            for key in ("licenseConcluded", "licenseDeclared")
            if (value := _text(package.get(key))) and value not in _SPDX_NO_VALUE
        ),
        hashes=_hashes(package.get("checksums"), "algorithm", "checksumValue"),
        contacts=_unique(
            contact
            for key in ("supplier", "originator")
            if (contact := _spdx_contact(package.get(key)))
        ),
        filename=_text(package.get("packageFileName")),
    )


def _spdx_name(creator: str, prefix: str) -> str | None:
    """The name in a "Person: name (email)" creator, without its e-mail address."""
    value = _without_prefix(creator, prefix)
    return _SPDX_CONTACT.sub("", value).strip() or None if value else None


def _spdx_contact(entity: Any) -> str | None:
    """The e-mail address of an SPDX "Person: name (email)" or "Organization: …" value."""
    if not isinstance(entity, str):
        return None
    found = _SPDX_CONTACT.search(entity)
    return (found.group(1).strip() or None) if found else None


def _spdx(document: dict[str, Any]) -> SbomContents:
    order = {ref: index for index, ref in enumerate(_spdx_described(document))}
    components: list[Component] = []
    subjects: list[Component] = []
    for package in map(_dict, _list(document.get("packages"))):
        component = _spdx_component(package)
        (subjects if component.ref in order else components).append(component)
    subjects.sort(key=lambda subject: order.get(subject.ref or "", len(order)))
    subject = subjects[0] if subjects else None

    edges: list[tuple[str, str]] = []
    containment: list[tuple[str, str]] = []
    for relationship in map(_dict, _list(document.get("relationships"))):
        source = _text(relationship.get("spdxElementId"))
        target = _text(relationship.get("relatedSpdxElement"))
        if source is None or target is None:
            continue
        kind = relationship.get("relationshipType")
        if kind == "DEPENDS_ON":
            edges.append((source, target))
        elif kind == "DEPENDENCY_OF":
            edges.append((target, source))
        elif kind == "CONTAINS":
            containment.append((source, target))
        elif kind == "CONTAINED_BY":
            containment.append((target, source))

    creation = _dict(document.get("creationInfo"))
    creators = [creator for creator in _list(creation.get("creators")) if isinstance(creator, str)]
    comment = _text(creation.get("comment"))
    return SbomContents(
        components=tuple(components),
        dependencies=_unique_edges(edges),
        subject_name=subject.name or None if subject else None,
        subject_version=subject.version if subject else None,
        subject_digests=_unique(
            _digest(algorithm, value) or ""
            for described_package in subjects
            for algorithm, value in described_package.hashes
        ),
        authors=_unique(_spdx_name(creator, "Person:") or "" for creator in creators),
        producer=next(
            (name for creator in creators if (name := _spdx_name(creator, "Organization:"))),
            None,
        ),
        tools=_unique(_without_prefix(creator, "Tool:") or "" for creator in creators),
        timestamp=_text(creation.get("created")),
        lifecycles=(comment.strip(),) if comment and comment.strip() else (),
        primary=subject,
        containment=_unique_edges(containment),
        creator_contacts=_unique(
            contact
            for creator in creators
            if not creator.startswith("Tool:") and (contact := _spdx_contact(creator))
        ),
    )


# --- SPDX 3 -------------------------------------------------------------------------

# The JSON-LD individuals SPDX 3 writes where SPDX 2 writes NONE / NOASSERTION.
_SPDX3_INDIVIDUALS = {
    "NoneElement": "NONE",
    "NoAssertionElement": "NOASSERTION",
    "expandedlicensing_NoneLicense": "NONE",
    "expandedlicensing_NoAssertionLicense": "NOASSERTION",
}
_SPDX3_PACKAGES = frozenset({"software_Package", "ai_AIPackage", "dataset_DatasetPackage"})
_SPDX3_PURL_TYPES = frozenset({"packageUrl", "software_packageUrl"})
_SPDX3_CPE_TYPES = frozenset({"cpe23", "cpe22"})
_SPDX3_LISTED_LICENSE = "https://spdx.org/licenses/"
# Only elements of these types are read where the property names one: a package named
# "Acme" is no supplier, a package named "MIT" no licence.
_SPDX3_AGENTS = frozenset({"Agent", "Person", "Organization", "SoftwareAgent"})
_SPDX3_NAMED_LICENSES = frozenset(
    {"expandedlicensing_ListedLicense", "expandedlicensing_CustomLicense"}
)
# Relationship types read, as (source, target) edges of the SPDX 2 reader's kinds.
_SPDX3_DEPENDS = "dependsOn"
_SPDX3_CONTAINS = "contains"
_SPDX3_LICENSES = ("hasConcludedLicense", "hasDeclaredLicense")  # the SPDX 2 order


class _Spdx3Graph:
    """The elements of an SPDX 3 JSON-LD document, each findable by its id.

    A property that refers to an element holds either its id (``spdxId``, or
    ``@id`` for a blank node such as a CreationInfo) or the element itself inline;
    ``resolve`` answers both.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        graph = document.get("@graph")
        self.elements = [
            element
            for element in (_list(graph) if graph is not None else [document])
            if isinstance(element, dict)
        ]
        self.by_id: dict[str, dict[str, Any]] = {}
        for element in self.elements:
            for key in ("spdxId", "@id"):
                if isinstance(identifier := element.get(key), str):
                    self.by_id.setdefault(identifier, element)

    def resolve(self, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        return self.by_id.get(value, {}) if isinstance(value, str) else {}

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [element for element in self.elements if element.get("type") in types]


def _spdx3_id(value: Any) -> str | None:
    """The id a relationship end names, with SPDX 3's individuals as SPDX 2 writes them."""
    if isinstance(value, dict):
        value = value.get("spdxId")
    if not isinstance(value, str) or not value:
        return None
    return _SPDX3_INDIVIDUALS.get(value, value)


def _spdx3_emails(agent: dict[str, Any]) -> list[str]:
    return [
        email
        for identifier in map(_dict, _list(agent.get("externalIdentifier")))
        if identifier.get("externalIdentifierType") == "email"
        and (email := _text(identifier.get("identifier")))
    ]


def _spdx3_license(element: dict[str, Any], target: Any) -> str | None:
    """A licence as SPDX 2 writes it: an expression, a listed licence's id, or None.

    None for NONE / NOASSERTION (which say nothing, as in the SPDX 2 reader) and for an
    element that is not a licence.
    """
    kind = element.get("type")
    if kind == "simplelicensing_LicenseExpression":
        return _text(element.get("simplelicensing_licenseExpression"))
    if element and kind not in _SPDX3_NAMED_LICENSES:
        return None
    identifier = _text(element.get("spdxId")) or (target if isinstance(target, str) else None)
    if identifier and identifier.startswith(_SPDX3_LISTED_LICENSE):
        return identifier.removeprefix(_SPDX3_LISTED_LICENSE) or None
    return _text(element.get("name"))


class _Spdx3Reader:
    def __init__(self, graph: _Spdx3Graph) -> None:
        self.graph = graph
        self.licenses: dict[str, list[str]] = {}
        self.edges: list[tuple[str, str]] = []
        self.containment: list[tuple[str, str]] = []
        for relationship in graph.of_type("Relationship", "LifecycleScopedRelationship"):
            self._relationship(relationship)

    def _relationship(self, relationship: dict[str, Any]) -> None:
        kind = relationship.get("relationshipType")
        source = _spdx3_id(relationship.get("from"))
        if source is None:
            return
        for target in _list(relationship.get("to")):
            if kind in _SPDX3_LICENSES:
                name = _spdx3_license(self.graph.resolve(target), target)
                if name:
                    self.licenses.setdefault(source, []).append(name)
            elif (target_id := _spdx3_id(target)) is None:
                continue
            elif kind == _SPDX3_DEPENDS:
                self.edges.append((source, target_id))
            elif kind == _SPDX3_CONTAINS:
                self.containment.append((source, target_id))

    def agent(self, value: Any) -> dict[str, Any]:
        """The agent ``value`` names; empty when it names another kind of element."""
        element = self.graph.resolve(value)
        return element if element.get("type") in _SPDX3_AGENTS else {}

    def component(self, package: dict[str, Any]) -> Component:
        get = package.get
        purl_locator = _text(get("software_packageUrl"))
        cpe: str | None = None
        for identifier in map(_dict, _list(get("externalIdentifier"))):
            kind, value = (
                identifier.get("externalIdentifierType"),
                _text(identifier.get("identifier")),
            )
            if value is None:
                continue
            if kind in _SPDX3_PURL_TYPES and purl_locator is None:
                purl_locator = value
            elif kind in _SPDX3_CPE_TYPES and cpe is None:
                cpe = value
        purl, purl_valid, purl_key, purl_version = _purl(purl_locator)
        supplier = self.agent(get("suppliedBy"))
        agents = [supplier, *map(self.agent, _list(get("originatedBy")))]
        ref = _text(get("spdxId"))
        return Component(
            ref=ref,
            name=str(get("name") or ""),
            version=_text(get("software_packageVersion")),
            type=_keyword(get("software_primaryPurpose")),
            purl=purl,
            purl_valid=purl_valid,
            purl_key=purl_key,
            purl_version=purl_version,
            cpe=cpe,
            supplier=_text(supplier.get("name")),
            licenses=_unique(self.licenses.get(ref or "", ())),
            hashes=_hashes(
                [
                    method
                    for method in map(self.graph.resolve, _list(get("verifiedUsing")))
                    if method.get("type") == "Hash"
                ],
                "algorithm",
                "hashValue",
            ),
            contacts=_unique(email for agent in agents for email in _spdx3_emails(agent)),
        )


def _spdx3_described(graph: _Spdx3Graph) -> list[str]:
    """Ids of the packages the document describes: the root elements of its SpdxDocument,
    looking through the root elements of a Bom / software_Sbom it names, and the targets
    of its ``describes`` relationships, in that order."""
    described: list[str] = []
    collections = graph.of_type("SpdxDocument")
    seen: set[int] = set()
    while collections:
        collection = collections.pop(0)
        if id(collection) in seen:
            continue
        seen.add(id(collection))
        for root in _list(collection.get("rootElement")):
            element = graph.resolve(root)
            if element.get("type") in {"Bom", "software_Sbom", "Bundle"}:
                collections.append(element)
            elif (identifier := _spdx3_id(root)) is not None:
                described.append(identifier)
    sources = {
        source
        for element in graph.of_type("SpdxDocument", "Bom", "software_Sbom")
        if (source := _text(element.get("spdxId")))
    }
    for relationship in graph.of_type("Relationship"):
        if relationship.get("relationshipType") == "describes" and (
            _spdx3_id(relationship.get("from")) in sources
        ):
            described.extend(filter(None, map(_spdx3_id, _list(relationship.get("to")))))
    return list(dict.fromkeys(described))


def _spdx3(document: dict[str, Any]) -> SbomContents:
    graph = _Spdx3Graph(document)
    reader = _Spdx3Reader(graph)
    order = {ref: index for index, ref in enumerate(_spdx3_described(graph))}
    components: list[Component] = []
    subjects: list[Component] = []
    for package in graph.of_type(*_SPDX3_PACKAGES):
        component = reader.component(package)
        (subjects if component.ref in order else components).append(component)
    subjects.sort(key=lambda subject: order.get(subject.ref or "", len(order)))
    subject = subjects[0] if subjects else None

    spdx_document = next(iter(graph.of_type("SpdxDocument")), {})
    creation = graph.resolve(spdx_document.get("creationInfo"))
    creators = [reader.agent(agent) for agent in _list(creation.get("createdBy"))]
    tools = [graph.resolve(tool) for tool in _list(creation.get("createdUsing"))]
    sbom_types = [
        kind
        for sbom in graph.of_type("software_Sbom")
        for kind in _list(sbom.get("software_sbomType"))
        if isinstance(kind, str)
    ]
    comment = _text(creation.get("comment"))
    return SbomContents(
        components=tuple(components),
        dependencies=_unique_edges(reader.edges),
        subject_name=subject.name or None if subject else None,
        subject_version=subject.version if subject else None,
        subject_digests=_unique(
            _digest(algorithm, value) or ""
            for described_package in subjects
            for algorithm, value in described_package.hashes
        ),
        authors=_unique(
            _text(creator.get("name")) or ""
            for creator in creators
            if creator.get("type") == "Person"
        ),
        producer=next(
            (
                name
                for creator in creators
                if creator.get("type") == "Organization" and (name := _text(creator.get("name")))
            ),
            None,
        ),
        tools=_unique(
            _text(tool.get("name")) or "" for tool in tools if tool.get("type") == "Tool"
        ),
        timestamp=_text(creation.get("created")),
        lifecycles=_unique(sbom_types)
        or ((comment.strip(),) if comment and comment.strip() else ()),
        primary=subject,
        containment=_unique_edges(reader.containment),
        creator_contacts=_unique(email for creator in creators for email in _spdx3_emails(creator)),
    )
