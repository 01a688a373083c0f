"""SPDX tag-value documents read into the SPDX JSON shape (app/sboms/tagvalue.py)."""

from __future__ import annotations

import json

import pytest

from app.sboms.errors import SbomMalformed, SbomSchemaInvalid
from app.sboms.loading import load_sbom
from app.sboms.tagvalue import MAX_LINE, MAX_REASONS, parse_tag_value
from tests.sboms.sbom_files import read

GOOD = read("spdx-2.3.spdx").decode()


def refused(body: str | bytes) -> list[str]:
    with pytest.raises(SbomSchemaInvalid) as raised:
        parse_tag_value(body.encode() if isinstance(body, str) else body)
    return raised.value.reasons


def malformed(body: bytes) -> list[str]:
    with pytest.raises(SbomMalformed) as raised:
        parse_tag_value(body)
    assert (raised.value.status, raised.value.slug) == (400, "sbom-malformed")
    return raised.value.reasons


def test_a_tag_value_document_is_the_same_object_as_its_json_twin():
    document = parse_tag_value(GOOD.encode()).document
    twin = json.loads(read("spdx-2.3.json"))
    # The JSON twin has no comments and names its subject in documentDescribes.
    urllib3 = document["packages"][2]
    assert (
        urllib3.pop("copyrightText") == "Copyright (c) 2008-2020 Andrey Petrov\nand contributors."
    )
    assert urllib3["externalRefs"][0].pop("comment") == "the release on PyPI"
    assert document["relationships"][2].pop("comment") == "requests needs urllib3 at run time"
    twin["packages"][2].pop("copyrightText")
    del twin["documentDescribes"]
    twin["relationships"][0:0] = []
    assert document == twin


def test_each_element_remembers_its_first_line():
    parsed = parse_tag_value(GOOD.encode())
    assert parsed.lines == {
        "/packages/0": 12,
        "/packages/1": 24,
        "/packages/2": 35,
        "/relationships/0": 49,
        "/relationships/1": 50,
        "/relationships/2": 51,
    }
    assert parsed.locate("/packages/1/checksums/0: bad") == "line 24: /packages/1/checksums/0: bad"
    assert parsed.locate("/: bad") == "/: bad"


def test_files_snippets_licences_and_annotations_go_where_spdx_json_puts_them():
    body = GOOD + "\n".join(
        [
            "FileName: ./src/app.py",
            "SPDXID: SPDXRef-File-app",
            "FileType: SOURCE",
            "FileChecksum: SHA1: da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "LicenseConcluded: LicenseRef-Acme",
            "LicenseInfoInFile: LicenseRef-Acme",
            "FileCopyrightText: NOASSERTION",
            "SnippetSPDXID: SPDXRef-Snippet",
            "SnippetFromFileSPDXID: SPDXRef-File-app",
            "SnippetByteRange: 1:20",
            "SnippetLineRange: 1:2",
            "SnippetLicenseConcluded: LicenseRef-Acme",
            "SnippetCopyrightText: NOASSERTION",
            "LicenseID: LicenseRef-Acme",
            "ExtractedText: <text>All rights reserved.",
            "Ask Acme.</text>",
            "LicenseName: Acme licence",
            "LicenseCrossReference: https://acme.example/licence",
            "Annotator: Person: Jane Doe",
            "AnnotationDate: 2024-05-02T00:00:00Z",
            "AnnotationType: REVIEW",
            "SPDXREF: SPDXRef-Package-requests",
            "AnnotationComment: checked",
            "",
        ]
    )
    loaded = load_sbom("text/spdx", body.encode())
    document = loaded.document
    assert document["files"][0]["fileTypes"] == ["SOURCE"]
    assert document["snippets"][0]["ranges"] == [
        {
            "startPointer": {"reference": "SPDXRef-File-app", "offset": 1},
            "endPointer": {"reference": "SPDXRef-File-app", "offset": 20},
        },
        {
            "startPointer": {"reference": "SPDXRef-File-app", "lineNumber": 1},
            "endPointer": {"reference": "SPDXRef-File-app", "lineNumber": 2},
        },
    ]
    assert document["hasExtractedLicensingInfos"][0]["extractedText"] == (
        "All rights reserved.\nAsk Acme."
    )
    assert document["packages"][1]["annotations"] == [
        {
            "annotator": "Person: Jane Doe",
            "annotationDate": "2024-05-02T00:00:00Z",
            "annotationType": "REVIEW",
            "comment": "checked",
        }
    ]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (("PackageVersion: 2", "PackageVerzion: 2"), "line 26: PackageVerzion: unknown tag"),
        (("PackageVersion: 2.32.3", "PackageVersion 2.32.3"), "line 26: not a Tag: value line"),
        (
            ("PackageVersion: 2.32.3", "PackageVersion: 2.32.3\nPackageVersion: 2"),
            "line 27: PackageVersion: given twice for the same element",
        ),
        (
            ("FilesAnalyzed: false\nPackageChecksum: SHA256: 2c", "FilesAnalyzed: no\nPackageChec"
             "ksum: SHA256: 2c"),
            'line 28: FilesAnalyzed: "no" is not true or false',
        ),
        (
            ("SHA256: 2c26", "SHA256 2c26"),
            'line 29: PackageChecksum: "SHA256 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98'
            'a5e886266e7ae" is not a checksum (ALGORITHM: hex value)',
        ),
        (("SHA256: 2c26", "SHA256: zz26"), "line 29: PackageChecksum: "),
        (
            ("ExternalRef: PACKAGE-MANAGER purl pkg:pypi/requests@2.32.3", "ExternalRef: purl"),
            'line 33: ExternalRef: "purl" is not an external reference (CATEGORY TYPE LOCATOR)',
        ),
        (
            ("DEPENDS_ON SPDXRef-Package-urllib3", "DEPENDS_ON"),
            "is not a relationship (ID TYPE ID)",
        ),
        (
            ("and contributors.</text>", "and contributors."),
            "line 43: PackageCopyrightText: <text> is never closed by </text>",
        ),
        (
            ("and contributors.</text>", "and contributors.</text> trailing"),
            'line 44: PackageCopyrightText: text after </text>: "trailing"',
        ),
        (
            ("PackageLicenseDeclared: MIT", "PackageLicenseDeclared: MIT</text>"),
            "line 42: PackageLicenseDeclared: </text> without <text>",
        ),
        (
            ("PrimaryPackagePurpose: APPLICATION", "FileType: SOURCE"),
            "line 22: FileType: outside the element it belongs to (it follows FileName)",
        ),
        (
            ("ExternalRefComment: the release on PyPI", "RelationshipComment: misplaced"),
            "line 46: RelationshipComment: outside the element it belongs to (it follows Relati",
        ),
        (
            ("PackageDownloadLocation: https://pypi.org/project/requests/2.32.3/\n", ""),
            "line 24: the package has no PackageDownloadLocation",
        ),
        (("Created: 2024-05-01T12:00:00Z\n", ""), "line 1: the document has no Created"),
        (
            ("SPDXID: SPDXRef-Package-urllib3\n", ""),
            "line 35: the package has no SPDXID",
        ),
    ],
    ids=[
        "unknown-tag", "no-colon", "twice", "files-analyzed", "checksum-format",
        "checksum-not-hex", "external-ref", "relationship", "text-not-closed",
        "text-after-close", "close-without-open", "file-tag-in-package",
        "comment-outside", "no-download-location", "no-created", "no-spdxid",
    ],
)  # fmt: skip
def test_each_structural_flaw_is_refused_with_its_line(edit, reason):
    old, new = edit
    assert old in GOOD
    reasons = refused(GOOD.replace(old, new, 1))
    assert any(r.startswith(reason) or reason in r for r in reasons), reasons


def test_an_annotation_of_no_element_is_refused():
    body = GOOD + "Annotator: Tool: x\nAnnotationDate: 2024-01-01T00:00:00Z\n"
    body += "AnnotationType: OTHER\nSPDXREF: SPDXRef-Nothing\nAnnotationComment: c\n"
    assert refused(body) == ["line 53: the annotation's SPDXREF names no element"]


def test_only_the_first_reasons_are_given():
    body = GOOD + "".join(f"Unknown{i}: x\n" for i in range(MAX_REASONS + 5))
    assert len(refused(body)) == MAX_REASONS


def test_comments_blank_lines_and_crlf_are_fine():
    body = GOOD.replace("\n", "\r\n").replace("## Packages", "# a comment\r\n\r\n   ")
    assert len(parse_tag_value(body.encode()).document["packages"]) == 3


def test_a_line_separator_inside_a_value_does_not_end_the_line():
    body = GOOD.replace("DocumentName: payments-1.4.0", "DocumentName: pay\u2028ments")
    assert parse_tag_value(body.encode()).document["name"] == "pay\u2028ments"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (GOOD.encode().replace(b"payments-1.4.0", b"pay\xc3ments", 1), "invalid UTF-8 at byte"),
        (b"\xef\xbb\xbf" + GOOD.encode(), "a UTF-8 BOM is not accepted"),
        (
            GOOD.replace("DocumentName: ", "DocumentName: \x00").encode(),
            "line 4: control character U+0000",
        ),
        (
            GOOD.replace("DocumentName: ", "DocumentName: \x1b").encode(),
            "line 4: control character U+001B",
        ),
    ],
    ids=["invalid-utf8", "bom", "nul", "escape"],
)
def test_bytes_that_are_not_clean_utf_8_text_are_malformed(body, reason):
    assert malformed(body)[0].startswith(reason)


def test_a_huge_line_is_refused_without_reading_it_as_a_value():
    body = GOOD + "PackageComment: " + "x" * (MAX_LINE + 1) + "\n"
    assert malformed(body.encode()) == [f"line 53: longer than {MAX_LINE} characters"]


def test_a_huge_multi_line_text_is_refused_too():
    body = GOOD + "PackageComment: <text>" + ("y" * 1024 + "\n") * (MAX_LINE // 1024 + 1)
    assert malformed(body.encode()) == [
        f"line 53: PackageComment is longer than {MAX_LINE} characters"
    ]
