"""Validation against the official schemas (app/sboms/validation.py)."""

from __future__ import annotations

import copy
import hashlib
import json
import socket

import jsonschema_rs
import pytest
from lxml import etree

from app.sboms import validation
from app.sboms.errors import SbomSchemaInvalid, SbomUnsupportedVersion
from app.sboms.formats import SbomFormat
from app.sboms.loading import load_sbom
from app.sboms.parsing import parse_xml
from app.sboms.validation import (
    CYCLONEDX_VERSIONS,
    MAX_REASONS,
    SPDX_VERSIONS,
    compile_all,
    cyclonedx_json_validator,
    cyclonedx_schema_dir,
    json_pointer,
    spdx_json_validator,
    spdx_schema_dir,
    spec_version,
    validate,
)
from tests.sboms.sbom_files import KNOWN_GOOD, loopback_http_server, read


def cyclonedx_16() -> dict:
    return json.loads(read("cyclonedx-1.6.json"))


def schema_invalid(sbom_format: SbomFormat, version: str, document) -> SbomSchemaInvalid:
    with pytest.raises(SbomSchemaInvalid) as raised:
        validate(sbom_format, version, document)
    assert (raised.value.status, raised.value.slug) == (422, "sbom-schema-invalid")
    return raised.value


# --- reasons ------------------------------------------------------------------------


def test_only_the_first_errors_are_reported_each_with_its_json_pointer():
    document = cyclonedx_16()
    document["components"] = [{"type": "no-such-type", "name": f"c{i}"} for i in range(100)]

    problem = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document)

    assert len(problem.reasons) == MAX_REASONS
    assert problem.reasons[0].startswith("/components/0/type: ")
    assert all(reason.startswith("/components/") for reason in problem.reasons)


def test_a_long_message_is_shortened_but_keeps_its_verdict():
    document = cyclonedx_16()
    document["components"] = {f"key{i}": "x" * 50 for i in range(200)}

    problem = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document)

    assert len(problem.reasons) == 1
    assert problem.reasons[0].startswith("/components: ")
    assert len(problem.reasons[0]) <= 300
    assert problem.reasons[0].endswith('is not of type "array"')


def test_json_pointers_escape_slash_and_tilde():
    assert json_pointer([]) == "/"
    assert json_pointer(["components", 3, "name"]) == "/components/3/name"
    assert json_pointer(["a/b", "c~d", ""]) == "/a~1b/c~0d/"


def test_xml_reasons_give_the_element_path_and_line():
    body = read("cyclonedx-1.6.xml").replace(b"<name>urllib3</name>", b"", 1)

    problem = schema_invalid(SbomFormat.CYCLONEDX_XML, "1.6", parse_xml(body))

    assert problem.reasons[0].startswith("/bom/components/component[2]/version (line 34): ")
    assert "{http://cyclonedx.org" not in problem.reasons[0]


def test_referenced_schemas_are_enforced():
    # spdx.SNAPSHOT.schema.json (license ids) and jsf-0.82 (signatures) are $refs.
    document = cyclonedx_16()
    document["components"][0]["licenses"] = [{"license": {"id": "Not-A-Real-License"}}]
    document["signature"] = {"algorithm": "ES256", "value": 42}

    reasons = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document).reasons

    assert [r.split(":")[0] for r in reasons] == ["/components/0/licenses", "/signature"]
    document["components"][0]["licenses"] = [{"license": {"id": "MIT"}}]
    del document["signature"]
    validate(SbomFormat.CYCLONEDX_JSON, "1.6", document)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "2024-13-45T99:00:00Z"),
        ("timestamp", "2024-05-01"),
    ],
)
def test_format_keywords_are_checked(field, value):
    document = cyclonedx_16()
    document["metadata"][field] = value
    reasons = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document).reasons
    assert reasons == [f'/metadata/{field}: "{value}" is not a "date-time"']


def test_an_iri_reference_with_spaces_is_rejected():
    document = cyclonedx_16()
    document["components"][0]["externalReferences"] = [{"type": "website", "url": "a b\n"}]
    reasons = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document).reasons
    assert reasons[0].startswith("/components/0/externalReferences/0/url: ")


@pytest.mark.parametrize("version", SPDX_VERSIONS)
def test_spdx_documents_are_checked_against_their_own_version(version):
    document = json.loads(read(f"spdx-{version}.json"))
    del document["packages"][0]["SPDXID"]
    reasons = schema_invalid(SbomFormat.SPDX_JSON, version, document).reasons
    assert reasons == ['/packages/0: "SPDXID" is a required property']


def test_spdx_2_2_requires_what_2_3_made_optional():
    document = json.loads(read("spdx-2.3.json"))
    document["spdxVersion"] = "SPDX-2.2"
    del document["packages"][0]["primaryPackagePurpose"]
    del document["packages"][1]["copyrightText"]

    reasons = schema_invalid(SbomFormat.SPDX_JSON, "2.2", document).reasons

    assert reasons == ['/packages/1: "copyrightText" is a required property']
    validate(SbomFormat.SPDX_JSON, "2.3", document)


def test_cyclonedx_1_2_rejects_what_1_6_accepts():
    document = cyclonedx_16()
    document["specVersion"] = "1.2"
    document["metadata"]["lifecycles"] = [{"phase": "build"}]  # new in 1.5
    document["components"][0]["type"] = "machine-learning-model"  # new in 1.5

    reasons = schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.2", document).reasons

    assert any(r.startswith("/components/0/type: ") for r in reasons)


# --- spec versions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"bomFormat": "CycloneDX"}, '/: "specVersion" is a required property'),
        ({"bomFormat": "CycloneDX", "specVersion": 1.6}, "/specVersion: must be a string"),
        (
            {"bomFormat": "CycloneDX", "specVersion": None},
            '/: "specVersion" is a required property',
        ),
        (["CycloneDX"], "/: the document must be an object"),
    ],
)
def test_a_missing_or_non_string_spec_version_is_a_schema_problem(document, reason):
    with pytest.raises(SbomSchemaInvalid) as raised:
        spec_version(SbomFormat.CYCLONEDX_JSON, document)
    assert raised.value.reasons == [reason]


@pytest.mark.parametrize(
    ("sbom_format", "document"),
    [
        (SbomFormat.CYCLONEDX_JSON, {"specVersion": "1.0"}),
        (SbomFormat.CYCLONEDX_JSON, {"specVersion": "1.8"}),
        (SbomFormat.CYCLONEDX_JSON, {"specVersion": "2"}),
        (SbomFormat.CYCLONEDX_JSON, {"specVersion": " 1.6"}),
        (SbomFormat.SPDX_JSON, {"spdxVersion": "SPDX-2.1"}),
        (SbomFormat.SPDX_JSON, {"spdxVersion": "SPDX-3.0"}),
        (SbomFormat.SPDX_JSON, {"spdxVersion": "2.3"}),
        (SbomFormat.SPDX_JSON, {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}),
        (SbomFormat.SPDX_JSON_LD, {"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}),
        (SbomFormat.SPDX_JSON_LD, {"@context": "https://spdx.org/rdf/3.1.0/spdx-context.jsonld"}),
    ],
)
def test_unknown_spec_versions_are_unsupported(sbom_format, document):
    with pytest.raises(SbomUnsupportedVersion) as raised:
        spec_version(sbom_format, document)
    assert (raised.value.status, raised.value.slug) == (422, "sbom-unsupported-version")


@pytest.mark.parametrize("version", CYCLONEDX_VERSIONS)
def test_the_xml_namespace_gives_the_cyclonedx_version(version):
    root = parse_xml(f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}"/>'.encode())
    assert spec_version(SbomFormat.CYCLONEDX_XML, root) == version


def test_declared_cyclonedx_xml_outside_its_namespace_is_a_schema_problem():
    with pytest.raises(SbomSchemaInvalid) as raised:
        load_sbom("application/vnd.cyclonedx+xml", b'<feed xmlns="http://www.w3.org/2005/Atom"/>')
    assert raised.value.reasons[0].startswith("/feed: ")


# --- schema files, caching, no network ---------------------------------------------------

SPDX_SCHEMA_SHA256 = {
    "spdx-schema-2.2.2.json": "d791e3ccafef821121867eb46aaeaaf7c81b0decf828a785bed1f588181569af",
    "spdx-schema-2.3.json": "ca7fd7cc2c8107c3b6b5976058bb72363e8c072f0e446609d4fe7234860c2894",
    "spdx-json-schema-3.0.1.json": (
        "d6a575018303e97f7e39e391f466ecda91d4a48fe6cfff5bf576ab33c1634a44"
    ),
}


def test_the_shipped_spdx_schemas_are_the_official_files_unchanged():
    for name, digest in SPDX_SCHEMA_SHA256.items():
        content = (spdx_schema_dir() / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digest, name
    titles = {
        json.loads((spdx_schema_dir() / n).read_bytes()).get("title") for n in SPDX_SCHEMA_SHA256
    }
    assert titles == {"SPDX 2.2", "SPDX 2.3", None}
    spdx3 = json.loads((spdx_schema_dir() / "spdx-json-schema-3.0.1.json").read_bytes())
    assert spdx3["properties"]["@context"] == {
        "const": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    }


def test_the_shipped_cyclonedx_schemas_are_those_of_cyclonedx_python_lib_11_12():
    listed = (cyclonedx_schema_dir() / "README.md").read_text(encoding="utf-8")
    names = {p.name for p in cyclonedx_schema_dir().iterdir()} - {"README.md"}
    for version in CYCLONEDX_VERSIONS:
        assert f"bom-{version}.SNAPSHOT.schema.json" in names
        assert f"bom-{version}.SNAPSHOT.xsd" in names
    for name in names:
        digest = hashlib.sha256((cyclonedx_schema_dir() / name).read_bytes()).hexdigest()
        assert f"| `{name}` | `{digest}` |" in listed, name


def test_validators_are_compiled_once():
    assert cyclonedx_json_validator("1.6") is cyclonedx_json_validator("1.6")
    assert spdx_json_validator("2.3") is spdx_json_validator("2.3")
    assert cyclonedx_json_validator("1.5") is not cyclonedx_json_validator("1.6")


def _clear_caches() -> None:
    validation._cyclonedx_registry.cache_clear()
    validation.cyclonedx_json_validator.cache_clear()
    validation.spdx_json_validator.cache_clear()
    validation._cyclonedx_xml_schema.cache_clear()


@pytest.fixture
def sockets_blocked(monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _clear_caches()
    yield attempts
    _clear_caches()


def test_every_validator_compiles_and_validates_with_sockets_blocked(sockets_blocked):
    compile_all()
    loaded = [
        load_sbom(case.values[0]["content_type"], read(case.values[0]["file"]))
        for case in KNOWN_GOOD
    ]
    assert len(loaded) == len(KNOWN_GOOD)
    assert sockets_blocked == []


def test_an_offline_validator_refuses_a_remote_reference_without_fetching_it():
    # The validators are built like this: offline, with the bundled registry.
    with (
        loopback_http_server() as (base, requests),
        pytest.raises(jsonschema_rs.ValidationError, match="Retrieval is disabled"),
    ):
        jsonschema_rs.validator_for(
            {"$ref": f"{base}/other.json"},
            registry=validation._cyclonedx_registry(),
            offline=True,
        )
    assert requests == []


def test_the_bundled_references_resolve_from_the_registry():
    resolver = validation._cyclonedx_registry().resolver(
        "http://cyclonedx.org/schema/bom-1.6.schema.json"
    )
    spdx = resolver.lookup("spdx.SNAPSHOT.schema.json").contents
    jsf = resolver.lookup("jsf-0.82.SNAPSHOT.schema.json#/definitions/signature").contents
    assert "MIT" in spdx["enum"]
    assert "oneOf" in jsf


def test_xsd_imports_outside_the_bundled_folder_are_refused(tmp_path):
    with loopback_http_server() as (base, requests):
        xsd = tmp_path / "evil.xsd"
        xsd.write_text(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x">'
            f'<xs:import namespace="urn:y" schemaLocation="{base}/y.xsd"/></xs:schema>'
        )
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(validation._BundledSchemasOnly(tmp_path / "elsewhere"))
        with pytest.raises((etree.XMLSchemaParseError, etree.XMLSyntaxError, ValueError)):
            etree.XMLSchema(etree.parse(str(xsd), parser))
    assert requests == []


def test_a_document_cannot_smuggle_its_own_schema():
    # An instance "$schema" is data, not an instruction to the validator.
    document = copy.deepcopy(cyclonedx_16())
    document["$schema"] = "http://json-schema.org/draft-07/schema#"
    document["components"][0]["type"] = "nonsense"
    schema_invalid(SbomFormat.CYCLONEDX_JSON, "1.6", document)


# --- SPDX 3 ---------------------------------------------------------------------------------


def _spdx3() -> dict:
    return json.loads(read("spdx-3.0.1.json"))


def test_an_spdx_3_document_validates_against_the_official_schema():
    validate(SbomFormat.SPDX_JSON_LD, "3.0.1", _spdx3())


def test_an_spdx_3_element_the_schema_does_not_know_is_refused_with_its_place():
    document = _spdx3()
    document["@graph"][6]["type"] = "software_Pakage"
    reasons = schema_invalid(SbomFormat.SPDX_JSON_LD, "3.0.1", document).reasons
    # The element is named by its type and id: "matches no class" alone says little.
    requests = "https://attestd.example/spdx/payments-1.4.0/package/requests"
    assert reasons[0].startswith(f"/@graph/6 (software_Pakage {requests}): ")


def test_an_spdx_3_graph_needs_exactly_one_spdx_document():
    document = _spdx3()
    second = dict(document["@graph"][3], spdxId="https://example.com/second")
    document["@graph"].append(second)
    reasons = schema_invalid(SbomFormat.SPDX_JSON_LD, "3.0.1", document).reasons
    assert reasons == ["/@graph: 2 SpdxDocument elements; exactly one is required"]


@pytest.mark.parametrize(("index", "key"), [(7, "spdxId"), (0, "@id")])
def test_two_spdx_3_elements_with_one_id_are_refused(index, key):
    document = _spdx3()
    twin = dict(document["@graph"][index])
    document["@graph"].append(twin)
    reasons = schema_invalid(SbomFormat.SPDX_JSON_LD, "3.0.1", document).reasons
    last = len(document["@graph"]) - 1
    assert reasons == [f"/@graph/{last}/{key}: {twin[key]} names another element too"]


def test_a_single_spdx_3_element_without_a_graph_is_judged_too():
    # The schema allows one top-level element; it is not a document, so it is refused.
    document = {
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        **_spdx3()["@graph"][1],
    }
    reasons = schema_invalid(SbomFormat.SPDX_JSON_LD, "3.0.1", document).reasons
    assert reasons == ["/@graph: 0 SpdxDocument elements; exactly one is required"]
