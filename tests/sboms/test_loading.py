"""load_sbom (app/sboms/loading.py): golden files, known-bad files and real generator output."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re

import pytest
from lxml import etree

from app.errors import AppError
from app.sboms.errors import SBOM_PROBLEMS
from app.sboms.formats import SbomFormat
from app.sboms.loading import LoadedSbom, load_sbom
from tests.sboms.sbom_files import (
    FILES,
    GENERIC_TYPES,
    KNOWN_BAD,
    KNOWN_GOOD,
    component_count,
    loopback_http_server,
    read,
)


@pytest.mark.parametrize("case", KNOWN_GOOD)
def test_known_good_file_loads_with_its_declared_type(case):
    sbom = load_sbom(case["content_type"], read(case["file"]))

    assert sbom.format == SbomFormat(case["format"])
    assert sbom.spec_version == case["spec_version"]
    assert component_count(sbom) == case["components"]


@pytest.mark.parametrize("case", KNOWN_GOOD)
def test_known_good_file_loads_when_sniffed_from_a_plain_type(case):
    sbom_format = SbomFormat(case["format"])

    sbom = load_sbom(GENERIC_TYPES[sbom_format], read(case["file"]))

    assert (sbom.format, sbom.spec_version) == (sbom_format, case["spec_version"])


def test_cyclonedx_xml_is_sniffed_from_text_xml_too():
    assert load_sbom("text/xml", read("cyclonedx-1.4.xml")).format is SbomFormat.CYCLONEDX_XML


@pytest.mark.parametrize("case", KNOWN_BAD)
def test_known_bad_file_is_rejected_with_its_problem(case):
    with pytest.raises(AppError) as raised:
        load_sbom(case["content_type"], read(case["file"]))

    problem = raised.value
    assert (problem.status, problem.slug) == (case["status"], case["slug"])
    assert type(problem) in SBOM_PROBLEMS
    assert any(case["reason"] in reason for reason in problem.reasons), problem.reasons


def test_every_file_in_the_folder_has_an_expectation():
    # Folders hold sets with tests of their own (same-content: tests/sboms/test_same_content.py).
    expected = {case.values[0]["file"] for case in (*KNOWN_GOOD, *KNOWN_BAD)}
    on_disk = {
        p.name
        for p in FILES.iterdir()
        if p.is_file() and p.name not in {"known_good.json", "known_bad.json", "SOURCES.md"}
    }
    assert on_disk == expected


def test_loaded_sbom_is_immutable():
    sbom = load_sbom("application/spdx+json", read("spdx-2.3.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sbom.spec_version = "2.2"  # type: ignore[misc]


def test_a_json_document_is_the_parsed_object_and_an_xml_one_its_root_element():
    json_sbom = load_sbom("application/vnd.cyclonedx+json", read("cyclonedx-1.6.json"))
    xml_sbom = load_sbom("application/vnd.cyclonedx+xml", read("cyclonedx-1.6.xml"))

    assert json_sbom.document["metadata"]["component"]["name"] == "payments"
    assert isinstance(xml_sbom.document, etree._Element)
    assert etree.QName(xml_sbom.document).localname == "bom"


def test_a_valid_sbom_padded_with_50_mb_of_whitespace_still_loads():
    padded = read("cyclonedx-1.6.json") + b" \n\t\r" * (50 * 1024 * 1024 // 4)

    sbom = load_sbom("application/vnd.cyclonedx+json", padded)

    assert component_count(sbom) == 2


def test_no_url_in_a_document_is_ever_fetched():
    with loopback_http_server() as (base, requests):
        cyclonedx = json.loads(read("cyclonedx-1.6.json"))
        cyclonedx["$schema"] = f"{base}/bom-1.6.schema.json"
        cyclonedx["components"][0]["externalReferences"] = [
            {"type": "website", "url": f"{base}/website"}
        ]
        spdx = json.loads(read("spdx-2.3.json"))
        spdx["documentNamespace"] = f"{base}/spdx/namespace"
        xml = read("cyclonedx-1.6.xml").replace(
            b"<bom ",
            b'<bom xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
            b'"http://cyclonedx.org/schema/bom/1.6 ' + base.encode() + b'/bom-1.6.xsd" ',
            1,
        )
        external_dtd = b'<?xml version="1.0"?><!DOCTYPE bom SYSTEM "' + base.encode() + b'/x.dtd">'
        external_dtd += b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"/>'

        loaded = [
            load_sbom("application/vnd.cyclonedx+json", json.dumps(cyclonedx).encode()),
            load_sbom("application/spdx+json", json.dumps(spdx).encode()),
            load_sbom("application/vnd.cyclonedx+xml", xml),
        ]
        with pytest.raises(AppError) as raised:
            load_sbom("application/vnd.cyclonedx+xml", external_dtd)

    assert [sbom.spec_version for sbom in loaded] == ["1.6", "2.3", "1.6"]
    assert raised.value.slug == "sbom-malformed"
    assert requests == []


# --- real generator output (cyclonedx-bom's `cyclonedx-py environment`) ----------------


def _installed_distributions() -> set[str]:
    names = (dist.metadata["Name"] or "" for dist in importlib.metadata.distributions())
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names if name}


def _names(sbom: LoadedSbom) -> set[str]:
    if sbom.format is SbomFormat.CYCLONEDX_JSON:
        raw = [component["name"] for component in sbom.document["components"]]
    else:
        ns = etree.QName(sbom.document).namespace
        raw = [
            element.text or ""
            for element in sbom.document.findall(
                f"{{{ns}}}components/{{{ns}}}component/{{{ns}}}name"
            )
        ]
    return {re.sub(r"[-_.]+", "-", name).lower() for name in raw}


# Versions read here, out of those tests/sboms/conftest.py generates.
CHECKED = [
    ("JSON", "1.6"),
    ("JSON", "1.4"),
    ("JSON", "1.2"),
    ("XML", "1.6"),
    ("XML", "1.5"),
    ("XML", "1.3"),
]


@pytest.mark.parametrize(("output_format", "version"), CHECKED)
def test_generated_sbom_of_this_environment_loads_with_every_installed_package(
    generated_sboms, output_format, version
):
    body = generated_sboms[(output_format, version)].read_bytes()
    content_type = f"application/vnd.cyclonedx+{output_format.lower()}"

    declared = load_sbom(content_type, body)
    sniffed = load_sbom(GENERIC_TYPES[declared.format], body)

    assert declared.spec_version == sniffed.spec_version == version
    assert _names(declared) == _installed_distributions()
    assert component_count(declared) == len(_installed_distributions())
