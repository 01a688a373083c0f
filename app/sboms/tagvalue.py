"""SPDX 2.2 / 2.3 tag-value documents (``text/spdx``), read into the SPDX JSON shape.

The tag-value format (SPDX 2.3 specification, clause 5 and each field's "Tag:") is
a list of ``Tag: value`` lines; a value that spans lines is written
``<text>…</text>``. This reader turns a document into the object the SPDX JSON
serialisation of the same document would be, so that it is checked by the official
SPDX JSON schema and read by the same extraction as SPDX JSON: nothing is read twice.
Pure: no I/O.

Strict, and each refusal says where:

* bytes: not UTF-8, a NUL or other C0 control character besides tab, CR and LF,
  or a line longer than ``MAX_LINE`` → ``SbomMalformed`` (400), as for JSON and XML;
* structure → ``SbomSchemaInvalid`` (422), one "line N: …" reason per problem (the
  first ``MAX_REASONS``): a line that is not ``Tag: value``, an unknown tag, a tag
  outside the element it belongs to (``FileType`` before any ``FileName``), a
  single-valued tag given twice for one element, a ``<text>`` never closed (or
  text after its ``</text>``), a checksum that is not ``ALGORITHM: hex``, a
  relationship that is not ``ID TYPE ID``, a range that is not ``N:M``,
  ``FilesAnalyzed`` other than true/false, and the fields SPDX 2.2 and 2.3 both
  require (document creation fields, a package's SPDXID and download location, a
  file's SPDXID and checksum, …) when missing. What only one of the two versions
  requires is left to that version's JSON schema, whose reasons name the element's
  first line (see ``TagValueDocument.locate``).

spdx-tools (the SPDX project's Python library) parses tag-value too, but took 51 s
for a 2,000-package document here, which a service that takes uploads cannot afford;
this reader is linear (about 0.5 s for 10,000 packages, schema included). It also
reads lines one at a time, so that a body of line feeds is not a list of millions of
strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.sboms.errors import SbomMalformed, SbomSchemaInvalid
from app.strict_json import quote

# The longest line (a <text> value counts as one), as libxml2 caps an XML text node.
MAX_LINE = 10 * 1024 * 1024
MAX_REASONS = 20

_TAG_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]*):[ \t]*(.*)$")
_CHECKSUM = re.compile(r"^([A-Za-z0-9-]+):[ \t]*([0-9A-Fa-f]+)$")
_RELATIONSHIP = re.compile(r"^(\S+)[ \t]+([A-Z_]+)[ \t]+(\S+)$")
_EXTERNAL_REF = re.compile(r"^(\S+)[ \t]+(\S+)[ \t]+(\S+)$")
_EXTERNAL_DOCUMENT = re.compile(r"^(DocumentRef-\S+)[ \t]+(\S+)[ \t]+(\S+:[ \t]*\S+)$")
_VERIFICATION_CODE = re.compile(r"^([0-9A-Fa-f]+)(?:[ \t]*\(excludes:[ \t]*(.*)\))?$")
_RANGE = re.compile(r"^(\d+):(\d+)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TEXT_OPEN = "<text>"
_TEXT_CLOSE = "</text>"


class _Refused(Exception):
    """One reason a value cannot be read (without its line number)."""


def _text(value: str) -> str:
    return value


def _boolean(value: str) -> bool:
    if value not in {"true", "false"}:
        raise _Refused(f"{quote(value)} is not true or false")
    return value == "true"


def _checksum(value: str) -> dict[str, str]:
    match = _CHECKSUM.match(value)
    if match is None:
        raise _Refused(f"{quote(value)} is not a checksum (ALGORITHM: hex value)")
    return {"algorithm": match.group(1), "checksumValue": match.group(2)}


def _purpose(value: str) -> str:
    return value.replace("-", "_")


def _verification_code(value: str) -> dict[str, Any]:
    match = _VERIFICATION_CODE.match(value)
    if match is None:
        raise _Refused(f"{quote(value)} is not a verification code (hex [(excludes: …)])")
    code: dict[str, Any] = {"packageVerificationCodeValue": match.group(1)}
    if match.group(2):
        code["packageVerificationCodeExcludedFiles"] = [
            name.strip() for name in match.group(2).split(",") if name.strip()
        ]
    return code


def _external_ref(value: str) -> dict[str, str]:
    match = _EXTERNAL_REF.match(value)
    if match is None:
        raise _Refused(f"{quote(value)} is not an external reference (CATEGORY TYPE LOCATOR)")
    category, kind, locator = match.groups()
    return {"referenceCategory": category, "referenceType": kind, "referenceLocator": locator}


def _external_document(value: str) -> dict[str, Any]:
    match = _EXTERNAL_DOCUMENT.match(value)
    if match is None:
        raise _Refused(
            f"{quote(value)} is not an external document reference "
            "(DocumentRef-ID URI ALGORITHM: hex value)"
        )
    return {
        "externalDocumentId": match.group(1),
        "spdxDocument": match.group(2),
        "checksum": _checksum(match.group(3)),
    }


def _relationship(value: str) -> dict[str, str]:
    match = _RELATIONSHIP.match(value)
    if match is None:
        raise _Refused(f"{quote(value)} is not a relationship (ID TYPE ID)")
    source, kind, target = match.groups()
    return {"spdxElementId": source, "relationshipType": kind, "relatedSpdxElement": target}


def _range(value: str) -> tuple[int, int]:
    match = _RANGE.match(value)
    if match is None:
        raise _Refused(f"{quote(value)} is not a range (N:M)")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # the JSON key
    read: Callable[[str], Any] = _text
    many: bool = False  # a list: the tag may be repeated


@dataclass(frozen=True, slots=True)
class _Kind:
    """An element kind: where its JSON objects go and which tags it takes."""

    name: str  # for reasons
    collection: str  # the document's list that holds these elements
    start: str  # the tag that starts one
    fields: dict[str, _Field]
    required: tuple[str, ...]  # tags SPDX 2.2 and 2.3 both require


_DOCUMENT_FIELDS = {
    "SPDXVersion": _Field("spdxVersion"),
    "DataLicense": _Field("dataLicense"),
    "SPDXID": _Field("SPDXID"),
    "DocumentName": _Field("name"),
    "DocumentNamespace": _Field("documentNamespace"),
    "ExternalDocumentRef": _Field("externalDocumentRefs", _external_document, many=True),
    "DocumentComment": _Field("comment"),
}
_CREATION_FIELDS = {
    "Creator": _Field("creators", many=True),
    "Created": _Field("created"),
    "CreatorComment": _Field("comment"),
    "LicenseListVersion": _Field("licenseListVersion"),
}
_DOCUMENT_REQUIRED = ("SPDXVersion", "DataLicense", "SPDXID", "DocumentName", "DocumentNamespace")
_CREATION_REQUIRED = ("Creator", "Created")

_PACKAGE = _Kind(
    "package",
    "packages",
    "PackageName",
    {
        "PackageName": _Field("name"),
        "SPDXID": _Field("SPDXID"),
        "PackageVersion": _Field("versionInfo"),
        "PackageFileName": _Field("packageFileName"),
        "PackageSupplier": _Field("supplier"),
        "PackageOriginator": _Field("originator"),
        "PackageDownloadLocation": _Field("downloadLocation"),
        "FilesAnalyzed": _Field("filesAnalyzed", _boolean),
        "PackageVerificationCode": _Field("packageVerificationCode", _verification_code),
        "PackageChecksum": _Field("checksums", _checksum, many=True),
        "PackageHomePage": _Field("homepage"),
        "PackageSourceInfo": _Field("sourceInfo"),
        "PackageLicenseConcluded": _Field("licenseConcluded"),
        "PackageLicenseInfoFromFiles": _Field("licenseInfoFromFiles", many=True),
        "PackageLicenseDeclared": _Field("licenseDeclared"),
        "PackageLicenseComments": _Field("licenseComments"),
        "PackageCopyrightText": _Field("copyrightText"),
        "PackageSummary": _Field("summary"),
        "PackageDescription": _Field("description"),
        "PackageComment": _Field("comment"),
        "ExternalRef": _Field("externalRefs", _external_ref, many=True),
        "PackageAttributionText": _Field("attributionTexts", many=True),
        "PrimaryPackagePurpose": _Field("primaryPackagePurpose", _purpose),
        "ReleaseDate": _Field("releaseDate"),
        "BuiltDate": _Field("builtDate"),
        "ValidUntilDate": _Field("validUntilDate"),
    },
    ("SPDXID", "PackageDownloadLocation"),
)
_FILE = _Kind(
    "file",
    "files",
    "FileName",
    {
        "FileName": _Field("fileName"),
        "SPDXID": _Field("SPDXID"),
        "FileType": _Field("fileTypes", many=True),
        "FileChecksum": _Field("checksums", _checksum, many=True),
        "LicenseConcluded": _Field("licenseConcluded"),
        "LicenseInfoInFile": _Field("licenseInfoInFiles", many=True),
        "LicenseComments": _Field("licenseComments"),
        "FileCopyrightText": _Field("copyrightText"),
        "FileComment": _Field("comment"),
        "FileNotice": _Field("noticeText"),
        "FileContributor": _Field("fileContributors", many=True),
        "FileAttributionText": _Field("attributionTexts", many=True),
    },
    ("SPDXID", "FileChecksum"),
)
_SNIPPET = _Kind(
    "snippet",
    "snippets",
    "SnippetSPDXID",
    {
        "SnippetSPDXID": _Field("SPDXID"),
        "SnippetFromFileSPDXID": _Field("snippetFromFile"),
        "SnippetByteRange": _Field("byteRange", _range),
        "SnippetLineRange": _Field("lineRange", _range),
        "SnippetLicenseConcluded": _Field("licenseConcluded"),
        "LicenseInfoInSnippet": _Field("licenseInfoInSnippets", many=True),
        "SnippetLicenseComments": _Field("licenseComments"),
        "SnippetCopyrightText": _Field("copyrightText"),
        "SnippetComment": _Field("comment"),
        "SnippetName": _Field("name"),
        "SnippetAttributionText": _Field("attributionTexts", many=True),
    },
    ("SnippetFromFileSPDXID", "SnippetByteRange"),
)
_LICENSE = _Kind(
    "extracted licence",
    "hasExtractedLicensingInfos",
    "LicenseID",
    {
        "LicenseID": _Field("licenseId"),
        "ExtractedText": _Field("extractedText"),
        "LicenseName": _Field("name"),
        "LicenseCrossReference": _Field("seeAlsos", many=True),
        "LicenseComment": _Field("comment"),
    },
    ("ExtractedText",),
)
_RELATIONSHIP_KIND = _Kind(
    "relationship",
    "relationships",
    "Relationship",
    {"Relationship": _Field("", _relationship), "RelationshipComment": _Field("comment")},
    (),
)
_ANNOTATION = _Kind(
    "annotation",
    "annotations",
    "Annotator",
    {
        "Annotator": _Field("annotator"),
        "AnnotationDate": _Field("annotationDate"),
        "AnnotationType": _Field("annotationType"),
        "SPDXREF": _Field("SPDXREF"),
        "AnnotationComment": _Field("comment"),
    },
    ("AnnotationDate", "AnnotationType", "SPDXREF", "AnnotationComment"),
)
_KINDS = {
    kind.start: kind
    for kind in (_PACKAGE, _FILE, _SNIPPET, _LICENSE, _RELATIONSHIP_KIND, _ANNOTATION)
}
_ELEMENT_TAGS = {tag for kind in _KINDS.values() for tag in kind.fields}


@dataclass
class _Element:
    kind: _Kind
    line: int
    value: dict[str, Any] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class TagValueDocument:
    """A tag-value document as SPDX JSON, and the line each element starts on."""

    document: dict[str, Any]
    # JSON pointer of each element ("/packages/0") -> its first line.
    lines: dict[str, int]

    def locate(self, reason: str) -> str:
        """A schema reason ("/packages/0/…: …") prefixed with the element's line."""
        pointer = reason.split(":", 1)[0]
        parts = pointer.split("/")
        element = "/".join(parts[:3])
        line = self.lines.get(element)
        return reason if line is None else f"line {line}: {reason}"


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SbomMalformed(
            "The SBOM is not UTF-8.", reasons=[f"invalid UTF-8 at byte {error.start}"]
        ) from None
    if text.startswith("\ufeff"):
        raise SbomMalformed(
            "The SBOM starts with a byte order mark.", reasons=["a UTF-8 BOM is not accepted"]
        )
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise SbomMalformed(
            "The SBOM holds a control character.",
            reasons=[f"line {line}: control character U+{ord(control.group()):04X}"],
        )
    return text


def _lines(text: str) -> Iterator[str]:
    """Each line, without its LF or CRLF, made one at a time (a body of 64 MB of line
    feeds would otherwise be a list of 64 million strings). Only LF ends a line:
    str.splitlines would also split at U+2028 and the like inside a value."""
    start, size = 0, len(text)
    while start <= size:
        end = text.find("\n", start)
        if end == -1:
            end = size
        yield text[start:end].removesuffix("\r")
        start = end + 1


def _logical_lines(text: str, problems: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, tag, value) of each Tag: value; a <text> value may span lines."""
    lines = enumerate(_lines(text), start=1)
    for number, line in lines:
        if len(line) > MAX_LINE:
            raise SbomMalformed(
                "The SBOM has a line that is too long.",
                reasons=[f"line {number}: longer than {MAX_LINE} characters"],
            )
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _TAG_LINE.match(line)
        if match is None:
            problems.append(f"line {number}: not a Tag: value line: {quote(stripped)}")
            continue
        tag, value = match.group(1), match.group(2)
        if value.startswith(_TEXT_OPEN):
            parts = [value[len(_TEXT_OPEN) :]]
            size, last = len(parts[0]), number
            while _TEXT_CLOSE not in parts[-1]:
                following = next(lines, None)
                if following is None:
                    break
                last, text_line = following
                parts.append(text_line)
                size += len(text_line) + 1
                if size > MAX_LINE:
                    raise SbomMalformed(
                        "The SBOM has a value that is too long.",
                        reasons=[f"line {number}: {tag} is longer than {MAX_LINE} characters"],
                    )
            value, closed, after = "\n".join(parts).partition(_TEXT_CLOSE)
            if not closed:
                problems.append(
                    f"line {number}: {tag}: {_TEXT_OPEN} is never closed by {_TEXT_CLOSE}"
                )
                return
            if after.strip():
                problems.append(
                    f"line {last}: {tag}: text after {_TEXT_CLOSE}: {quote(after.strip())}"
                )
                continue
        elif _TEXT_CLOSE in value:
            problems.append(f"line {number}: {tag}: {_TEXT_CLOSE} without {_TEXT_OPEN}")
            continue
        else:
            value = value.rstrip()
        yield number, tag, value


def _set(target: dict[str, Any], tags: set[str], spec: _Field, tag: str, value: str) -> None:
    read = spec.read(value)
    if spec.many:
        target.setdefault(spec.key, []).append(read)
    elif tag in tags:
        raise _Refused("given twice for the same element")
    else:
        target[spec.key] = read
    tags.add(tag)


def _missing(tags: set[str], required: tuple[str, ...]) -> list[str]:
    return [tag for tag in required if tag not in tags]


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.document: dict[str, Any] = {}
        self.creation: dict[str, Any] = {}
        self.document_tags: set[str] = set()
        self.elements: list[_Element] = []
        self.current: _Element | None = None
        self.last_external_ref: dict[str, Any] | None = None

    def read(self, number: int, tag: str, value: str) -> None:
        try:
            self._read(number, tag, value)
        except _Refused as refused:
            self.problems.append(f"line {number}: {tag}: {refused}")

    def _read(self, number: int, tag: str, value: str) -> None:
        if tag in _KINDS:
            self.current = _Element(_KINDS[tag], number)
            self.elements.append(self.current)
            self.last_external_ref = None
            if tag == "Relationship":
                self.current.value.update(_relationship(value))
                self.current.tags.add(tag)
                return
        current = self.current
        if current is not None and tag in current.kind.fields:
            self._element_field(current, tag, value)
        elif tag in _CREATION_FIELDS:
            _set(self.creation, self.document_tags, _CREATION_FIELDS[tag], tag, value)
        elif tag in _DOCUMENT_FIELDS and (current is None or tag != "SPDXID"):
            _set(self.document, self.document_tags, _DOCUMENT_FIELDS[tag], tag, value)
        elif tag == "ExternalRefComment" and self.last_external_ref is not None:
            if "comment" in self.last_external_ref:
                raise _Refused("given twice for the same external reference")
            self.last_external_ref["comment"] = value
        elif tag in _ELEMENT_TAGS or tag == "ExternalRefComment":
            owners = sorted(k.start for k in _KINDS.values() if tag in k.fields) or ["ExternalRef"]
            raise _Refused(f"outside the element it belongs to (it follows {' or '.join(owners)})")
        else:
            raise _Refused("unknown tag")

    def _element_field(self, element: _Element, tag: str, value: str) -> None:
        _set(element.value, element.tags, element.kind.fields[tag], tag, value)
        if tag == "ExternalRef":
            self.last_external_ref = element.value["externalRefs"][-1]

    def finish(self) -> TagValueDocument:
        for tag in _missing(self.document_tags, _DOCUMENT_REQUIRED + _CREATION_REQUIRED):
            self.problems.append(f"line 1: the document has no {tag}")
        lines: dict[str, int] = {}
        annotations: list[_Element] = []
        by_id: dict[str, dict[str, Any]] = {}
        for element in self.elements:
            kind = element.kind
            for tag in _missing(element.tags, kind.required):
                self.problems.append(f"line {element.line}: the {kind.name} has no {tag}")
            if kind is _ANNOTATION:
                annotations.append(element)
                continue
            value = _snippet(element.value) if kind is _SNIPPET else element.value
            collection = self.document.setdefault(kind.collection, [])
            lines[f"/{kind.collection}/{len(collection)}"] = element.line
            collection.append(value)
            if isinstance(value.get("SPDXID"), str):
                by_id[value["SPDXID"]] = value
        if self.creation:
            self.document["creationInfo"] = self.creation
        by_id.setdefault(str(self.document.get("SPDXID", "")), self.document)
        for annotation in annotations:
            target = by_id.get(str(annotation.value.pop("SPDXREF", "")))
            if target is None:
                self.problems.append(
                    f"line {annotation.line}: the annotation's SPDXREF names no element"
                )
                continue
            target.setdefault("annotations", []).append(annotation.value)
        if self.problems:
            raise SbomSchemaInvalid(
                "The SBOM is not a valid SPDX tag-value document.",
                reasons=self.problems[:MAX_REASONS],
            )
        return TagValueDocument(self.document, lines)


def _snippet(value: dict[str, Any]) -> dict[str, Any]:
    """A snippet's byte and line ranges as the JSON ``ranges`` of start/end pointers."""
    ranges = []
    source = value.get("snippetFromFile")
    for key, unit in (("byteRange", "offset"), ("lineRange", "lineNumber")):
        if key in value:
            start, end = value.pop(key)
            ranges.append(
                {
                    "startPointer": {"reference": source, unit: start},
                    "endPointer": {"reference": source, unit: end},
                }
            )
    if ranges:
        value["ranges"] = ranges
    return value


def parse_tag_value(body: bytes) -> TagValueDocument:
    """The SPDX JSON form of a tag-value document, or the problem that refuses it."""
    reader = _Reader()
    for number, tag, value in _logical_lines(_decode(body), reader.problems):
        reader.read(number, tag, value)
    return reader.finish()
