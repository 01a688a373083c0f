"""Format detection (app/sboms/formats.py): Content-Types and sniffing."""

from __future__ import annotations

import pytest

from app.sboms.errors import SbomMalformed, SbomUnsupportedFormat
from app.sboms.formats import (
    SBOM_PREDICATE_FORMATS,
    SbomFormat,
    Syntax,
    declared_format,
    detect_format,
    predicate_format,
    sniff_json,
    sniff_xml,
)
from app.sboms.parsing import parse_xml
from tests.sboms.sbom_files import read


def unsupported(content_type: str | None, body: bytes = b"{}") -> SbomUnsupportedFormat:
    with pytest.raises(SbomUnsupportedFormat) as raised:
        detect_format(content_type, body)
    assert (raised.value.status, raised.value.slug) == (415, "sbom-unsupported-format")
    return raised.value


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/vnd.cyclonedx+json", SbomFormat.CYCLONEDX_JSON),
        ("application/vnd.cyclonedx+xml", SbomFormat.CYCLONEDX_XML),
        ("text/spdx", SbomFormat.SPDX_TAG_VALUE),
        ("Application/VND.CycloneDX+JSON", SbomFormat.CYCLONEDX_JSON),
        ("application/vnd.cyclonedx+json; version=1.6", SbomFormat.CYCLONEDX_JSON),
        ("application/vnd.cyclonedx+xml;version=1.5;charset=UTF-8", SbomFormat.CYCLONEDX_XML),
        ('text/spdx ; charset="utf-8"', SbomFormat.SPDX_TAG_VALUE),
    ],
)
def test_sbom_media_types_name_their_format_without_reading_the_body(content_type, expected):
    assert detect_format(content_type, b"not even parsed") is expected


@pytest.mark.parametrize(
    ("content_type", "file_name", "expected"),
    [
        ("application/json", "cyclonedx-1.6.json", SbomFormat.CYCLONEDX_JSON),
        ("application/json; charset=utf-8", "spdx-2.2.json", SbomFormat.SPDX_JSON),
        ("application/xml", "cyclonedx-1.2.xml", SbomFormat.CYCLONEDX_XML),
        ("text/xml", "cyclonedx-1.6.xml", SbomFormat.CYCLONEDX_XML),
    ],
)
def test_plain_json_and_xml_are_sniffed(content_type, file_name, expected):
    assert detect_format(content_type, read(file_name)) is expected


def test_declared_format_keeps_the_version_parameter():
    declared = declared_format('application/vnd.cyclonedx+json; Version="1.6"; charset=utf-8')
    assert (declared.format, declared.syntax, declared.version) == (
        SbomFormat.CYCLONEDX_JSON,
        Syntax.JSON,
        "1.6",
    )
    assert declared.parameters == {"version": "1.6", "charset": "utf-8"}


def test_a_plain_type_declares_only_a_syntax():
    declared = declared_format("text/xml")
    assert (declared.format, declared.syntax, declared.version) == (None, Syntax.XML, None)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "   ",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/vnd.cyclonedx+protobuf",
        "application/spdx+xml",
        "application/cyclonedx+json",
        "text/json",
        "json",
        "application/json/extra",
    ],
)
def test_other_content_types_are_unsupported(content_type):
    problem = unsupported(content_type)
    assert any("accepted Content-Types" in reason for reason in problem.reasons)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=latin-1",
        "application/vnd.cyclonedx+xml; charset=utf-16",
        "application/spdx+json; charset=",
        "application/json; version",
        "application/json; =1.6",
        "application/json; version=1.6 garbage",
    ],
)
def test_foreign_charsets_and_malformed_parameters_are_unsupported(content_type):
    unsupported(content_type)


@pytest.mark.parametrize(
    "document",
    [
        {"bomFormat": "CycloneDX", "spdxVersion": "SPDX-2.3"},
        {"bomFormat": "cyclonedx"},
        {"bomFormat": "SPDX"},
        {"name": "x"},
        [{"bomFormat": "CycloneDX"}],
        "CycloneDX",
        None,
    ],
    ids=["both-markers", "wrong-case", "other-bom-format", "no-marker", "array", "string", "null"],
)
def test_json_without_exactly_one_sbom_marker_is_unsupported(document):
    with pytest.raises(SbomUnsupportedFormat):
        sniff_json(document)


def test_json_markers_decide_the_format():
    assert sniff_json({"bomFormat": "CycloneDX"}) is SbomFormat.CYCLONEDX_JSON
    assert sniff_json({"spdxVersion": "SPDX-2.1"}) is SbomFormat.SPDX_JSON


@pytest.mark.parametrize("version", ["1.0", "1.2", "1.6", "1.7", "2.0"])
def test_any_cyclonedx_namespace_is_cyclonedx_xml(version):
    # Whether that version is supported is decided later (422, not 415).
    root = parse_xml(f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}"/>'.encode())
    assert sniff_xml(root) is SbomFormat.CYCLONEDX_XML


@pytest.mark.parametrize(
    "body",
    [
        b"<bom/>",
        b'<bom xmlns="http://cyclonedx.org/schema/bom"/>',
        b'<bom xmlns="https://cyclonedx.org/schema/bom/1.6"/>',
        b'<x:bom xmlns:x="http://spdx.org/rdf/terms#"/>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"/>',
    ],
    ids=["no-namespace", "no-version", "https", "spdx-rdf", "atom"],
)
def test_xml_outside_the_cyclonedx_namespace_is_unsupported(body):
    unsupported("application/xml", body)


def test_sniffing_a_malformed_body_is_a_malformed_problem():
    with pytest.raises(SbomMalformed):
        detect_format("application/json", b'{"bomFormat": "CycloneDX"')
    with pytest.raises(SbomMalformed):
        detect_format("application/xml", b"<bom")


def test_each_format_knows_its_media_type_and_syntax():
    assert {(f.value, f.media_type, f.syntax) for f in SbomFormat} == {
        ("cyclonedx-json", "application/vnd.cyclonedx+json", Syntax.JSON),
        ("cyclonedx-xml", "application/vnd.cyclonedx+xml", Syntax.XML),
        ("spdx-json", "application/spdx+json", Syntax.JSON),
        ("spdx-jsonld", "application/spdx+json", Syntax.JSON),
        ("spdx-tag-value", "text/spdx", Syntax.TAG_VALUE),
    }


SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"spdxVersion": "SPDX-2.3"}, SbomFormat.SPDX_JSON),
        ({"@context": SPDX3_CONTEXT, "@graph": []}, SbomFormat.SPDX_JSON_LD),
        ({"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}, SbomFormat.SPDX_JSON_LD),
        # Both markers, or neither: SPDX 2, whose schema then says what is wrong.
        ({"@context": SPDX3_CONTEXT, "spdxVersion": "SPDX-2.3"}, SbomFormat.SPDX_JSON),
        ({"@context": "https://schema.org"}, SbomFormat.SPDX_JSON),
        ({"bomFormat": "CycloneDX"}, SbomFormat.SPDX_JSON),
    ],
)
def test_spdx_json_is_version_2_or_3_by_its_markers(document, expected):
    assert sniff_json(document, "application/spdx+json") is expected


@pytest.mark.parametrize(
    "document",
    [
        {"spdxVersion": "SPDX-2.3"},
        {"bomFormat": "CycloneDX"},
        {"@context": "https://schema.org", "@graph": []},
        {"@context": SPDX3_CONTEXT, "bomFormat": "CycloneDX"},
        [],
    ],
    ids=["spdx-2", "cyclonedx", "other-json-ld", "two-markers", "array"],
)
def test_json_ld_is_only_spdx_3(document):
    with pytest.raises(SbomUnsupportedFormat) as raised:
        sniff_json(document, "application/ld+json")
    assert raised.value.reasons[0].startswith("a application/ld+json SBOM is SPDX 3")


def test_plain_json_with_an_spdx_3_context_is_spdx_3():
    assert sniff_json({"@context": SPDX3_CONTEXT}) is SbomFormat.SPDX_JSON_LD


@pytest.mark.parametrize(
    ("predicate_type", "predicate", "expected"),
    [
        ("https://cyclonedx.org/bom/v1.7", {"bomFormat": "CycloneDX"}, SbomFormat.CYCLONEDX_JSON),
        # No marker at all: read as CycloneDX, whose schema then says what is missing.
        ("https://cyclonedx.org/bom", {"components": []}, SbomFormat.CYCLONEDX_JSON),
        ("https://spdx.dev/Document/v2.3", {"spdxVersion": "SPDX-2.3"}, SbomFormat.SPDX_JSON),
        ("https://spdx.dev/Document/v2.3", {}, SbomFormat.SPDX_JSON),
        ("https://spdx.dev/Document/v3.0", {"@context": SPDX3_CONTEXT}, SbomFormat.SPDX_JSON_LD),
        ("https://spdx.dev/Document", {"@context": SPDX3_CONTEXT}, SbomFormat.SPDX_JSON_LD),
        ("https://spdx.dev/Document", {"spdxVersion": "SPDX-2.2"}, SbomFormat.SPDX_JSON),
    ],
)
def test_an_sbom_predicate_is_read_in_a_format_its_type_names(predicate_type, predicate, expected):
    allowed = SBOM_PREDICATE_FORMATS[predicate_type]
    assert predicate_format(allowed, predicate) is expected


@pytest.mark.parametrize(
    ("predicate_type", "predicate", "found"),
    [
        ("https://cyclonedx.org/bom/v1.6", {"spdxVersion": "SPDX-2.3"}, "spdx-json"),
        ("https://cyclonedx.org/bom/v1.6", {"@context": SPDX3_CONTEXT}, "spdx-jsonld"),
        ("https://spdx.dev/Document/v2.3", {"@context": SPDX3_CONTEXT}, "spdx-jsonld"),
        ("https://spdx.dev/Document/v3.0", {"spdxVersion": "SPDX-2.3"}, "spdx-json"),
        ("https://spdx.dev/Document/v3.0", {}, "spdx-json"),
    ],
)
def test_an_sbom_predicate_of_another_format_than_its_type_names_is_refused(
    predicate_type, predicate, found
):
    with pytest.raises(SbomUnsupportedFormat) as raised:
        predicate_format(SBOM_PREDICATE_FORMATS[predicate_type], predicate)
    assert raised.value.reasons[0].startswith(f"the predicate is {found}, which its")
