"""extract (app/sboms/extraction.py): golden files, a CycloneDX JSON/XML pair, SPDX
subjects and relationships, purl fields and invalid purls, and real generator output."""

from __future__ import annotations

import dataclasses
import json

import pytest
from lxml import etree

from app.sboms.contents import Component
from app.sboms.extraction import extract
from app.sboms.loading import load_sbom
from app.sboms.purls import parse_purl
from tests.sboms.sbom_files import KNOWN_GOOD, read

SUBJECT_DIGEST = "sha256:3f8e2b1c4d5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
REQUESTS_SHA256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
URLLIB3_SHA256 = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
CYCLONEDX_VERSIONS = ["1.2", "1.3", "1.4", "1.5", "1.6"]
CDX_JSON = "application/vnd.cyclonedx+json"
CDX_XML = "application/vnd.cyclonedx+xml"
SPDX_JSON = "application/spdx+json"


def _extract(content_type: str, body: bytes):
    return extract(load_sbom(content_type, body))


# --- golden files ---------------------------------------------------------------------


@pytest.mark.parametrize("case", KNOWN_GOOD)
def test_every_known_good_file_gives_its_components_but_not_its_subject(case):
    contents = _extract(case["content_type"], read(case["file"]))

    # The manifest counts SPDX packages, one of which is the described package.
    subject_packages = 1 if case["format"].startswith("spdx-") else 0
    assert len(contents.components) == case["components"] - subject_packages
    assert contents.subject_name == case.get("subject", "payments")
    invalid = [component for component in contents.components if not component.purl_valid]
    assert len(invalid) == case.get("invalid_purls", 0)
    assert all(component.purl_key is None for component in invalid)


@pytest.mark.parametrize("syntax", ["json", "xml"])
@pytest.mark.parametrize("version", CYCLONEDX_VERSIONS)
def test_golden_cyclonedx_file_gives_its_components_subject_and_metadata(version, syntax):
    content_type = CDX_JSON if syntax == "json" else CDX_XML
    contents = _extract(content_type, read(f"cyclonedx-{version}.{syntax}"))

    assert len(contents.components) == 2
    requests, urllib3 = contents.components
    assert requests == Component(
        ref="pkg:pypi/requests@2.32.3",
        name="requests",
        version="2.32.3",
        type="library",
        purl="pkg:pypi/requests@2.32.3",
        purl_valid=True,
        purl_key="pkg:pypi/requests",
        purl_version="2.32.3",
        cpe=None,
        supplier=None,
        licenses=("Apache-2.0",),
        hashes=(("SHA-256", REQUESTS_SHA256),),
    )
    # 1.2 declares urllib3's license as an id, later files as an expression.
    assert (urllib3.name, urllib3.licenses) == ("urllib3", ("MIT",))
    assert urllib3.hashes == (("SHA-256", URLLIB3_SHA256),)
    assert contents.dependencies == (
        ("payments", "pkg:pypi/requests@2.32.3"),
        ("pkg:pypi/requests@2.32.3", "pkg:pypi/urllib3@2.2.2"),
    )
    assert (contents.subject_name, contents.subject_version) == ("payments", "1.4.0")
    assert contents.subject_digests == (SUBJECT_DIGEST,)
    assert contents.tools == ("hand-written 1",)
    assert contents.timestamp == "2024-05-01T12:00:00Z"
    assert (contents.authors, contents.producer, contents.lifecycles) == ((), None, ())


@pytest.mark.parametrize("version", CYCLONEDX_VERSIONS)
def test_golden_cyclonedx_xml_and_json_of_the_same_bom_give_equal_contents(version):
    from_json = _extract(CDX_JSON, read(f"cyclonedx-{version}.json"))
    from_xml = _extract(CDX_XML, read(f"cyclonedx-{version}.xml"))

    assert from_xml == from_json


@pytest.mark.parametrize("version", ["2.2", "2.3"])
def test_golden_spdx_file_excludes_the_described_package_and_makes_it_the_subject(version):
    contents = _extract(SPDX_JSON, read(f"spdx-{version}.json"))

    assert [component.name for component in contents.components] == ["requests", "urllib3"]
    requests = contents.components[0]
    assert requests.ref == "SPDXRef-Package-requests"
    assert (requests.purl, requests.purl_valid) == ("pkg:pypi/requests@2.32.3", True)
    assert (requests.purl_key, requests.purl_version) == ("pkg:pypi/requests", "2.32.3")
    assert requests.licenses == ("Apache-2.0",)
    assert requests.hashes == (("SHA256", REQUESTS_SHA256),)
    assert requests.type is None  # no primaryPackagePurpose on dependencies
    assert (contents.subject_name, contents.subject_version) == ("payments", "1.4.0")
    assert contents.subject_digests == (SUBJECT_DIGEST,)
    assert contents.dependencies == (
        ("SPDXRef-Package-payments", "SPDXRef-Package-requests"),
        ("SPDXRef-Package-requests", "SPDXRef-Package-urllib3"),
    )
    assert contents.producer == "Acme"
    assert contents.tools == ("hand-written-1",)
    assert contents.authors == ()
    assert contents.timestamp == "2024-05-01T12:00:00Z"
    assert contents.lifecycles == ()


def test_a_component_is_built_with_every_field_it_is_given_and_stays_frozen():
    names = [field.name for field in dataclasses.fields(Component)]
    values = {name: f"value of {name}" for name in names}

    component = Component(**values)

    assert {name: getattr(component, name) for name in names} == values
    assert dataclasses.replace(component, name="other").name == "other"
    assert dataclasses.replace(component, name="other").purl_key == "value of purl_key"
    with pytest.raises(dataclasses.FrozenInstanceError):
        component.purl_key = "changed"  # type: ignore[misc]
    del values["purl_key"], values["purl_version"]
    built_by_hand = Component(**values)  # as tests build components without a purl
    assert (built_by_hand.purl_key, built_by_hand.purl_version) == (None, None)


def test_contents_are_immutable():
    contents = _extract(SPDX_JSON, read("spdx-2.3.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        contents.producer = "someone else"  # type: ignore[misc]


# --- a richer CycloneDX 1.6 pair (JSON and XML of the same BOM) -------------------------

SHA512_UPPER = "AB" * 64
SHA1 = "cd" * 20
RICH_JSON = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {
        "timestamp": "2025-01-02T03:04:05Z",
        "lifecycles": [{"phase": "build"}, {"name": "nightly", "description": "CI"}],
        "tools": {
            "components": [{"type": "application", "name": "cyclonedx-py", "version": "7.0.0"}],
            "services": [{"name": "scanner"}],
        },
        "manufacturer": {"name": "Acme Corp"},
        "authors": [{"name": "Jane Doe"}, {"name": "John Roe"}],
        "component": {
            "type": "container",
            "bom-ref": "image",
            "name": "shop-image",
            "version": "2.0",
            "hashes": [
                {"alg": "SHA-1", "content": SHA1},
                {"alg": "SHA-512", "content": SHA512_UPPER},
            ],
        },
        "supplier": {"name": "Acme Distribution"},
    },
    "components": [
        {
            "type": "framework",
            "bom-ref": "fw",
            "supplier": {"name": "Web Inc"},
            "name": "web",
            "version": "1.0",
            "licenses": [{"license": {"name": "Custom License"}}],
            "cpe": "cpe:2.3:a:web:web:1.0:*:*:*:*:*:*:*",
            "purl": "pkg:npm/%40scope/web@1.0",
            "components": [
                {
                    "type": "library",
                    "bom-ref": "inner",
                    "publisher": "Inner Pub",
                    "name": "inner",
                    "version": "0.1",
                    "purl": "pkg:PyPI/Inner_Lib@0.1",
                    "components": [{"type": "library", "bom-ref": "deepest", "name": "deepest"}],
                }
            ],
        },
        {
            "type": "library",
            "bom-ref": "last",
            "name": "last",
            "version": "3",
            "hashes": [{"alg": "SHA-1", "content": SHA1.upper()}],
            "licenses": [{"expression": "MIT OR Apache-2.0"}],
            "purl": "not a purl",
        },
    ],
    "dependencies": [
        {"ref": "image", "dependsOn": ["fw", "last"]},
        {"ref": "fw", "dependsOn": ["inner"]},
        {"ref": "inner"},
    ],
}

RICH_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <metadata>
    <timestamp>2025-01-02T03:04:05Z</timestamp>
    <lifecycles>
      <lifecycle><phase>build</phase></lifecycle>
      <lifecycle><name>nightly</name><description>CI</description></lifecycle>
    </lifecycles>
    <tools>
      <components>
        <component type="application"><name>cyclonedx-py</name><version>7.0.0</version></component>
      </components>
      <services><service><name>scanner</name></service></services>
    </tools>
    <authors><author><name>Jane Doe</name></author><author><name>John Roe</name></author></authors>
    <component type="container" bom-ref="image">
      <name>shop-image</name>
      <version>2.0</version>
      <hashes>
        <hash alg="SHA-1">{SHA1}</hash>
        <hash alg="SHA-512">{SHA512_UPPER}</hash>
      </hashes>
    </component>
    <manufacturer><name>Acme Corp</name></manufacturer>
    <supplier><name>Acme Distribution</name></supplier>
  </metadata>
  <components>
    <component type="framework" bom-ref="fw">
      <supplier><name>Web Inc</name></supplier>
      <name>web</name>
      <version>1.0</version>
      <licenses><license><name>Custom License</name></license></licenses>
      <cpe>cpe:2.3:a:web:web:1.0:*:*:*:*:*:*:*</cpe>
      <purl>pkg:npm/%40scope/web@1.0</purl>
      <components>
        <!-- a comment the reader must step over -->
        <component type="library" bom-ref="inner">
          <publisher>Inner Pub</publisher>
          <name>inner</name>
          <version>0.1</version>
          <purl>pkg:PyPI/Inner_Lib@0.1</purl>
          <components>
            <component type="library" bom-ref="deepest"><name>deepest</name></component>
          </components>
        </component>
      </components>
    </component>
    <component type="library" bom-ref="last">
      <name>last</name>
      <version>3</version>
      <hashes><hash alg="SHA-1">{SHA1.upper()}</hash></hashes>
      <licenses><expression>MIT OR Apache-2.0</expression></licenses>
      <purl>not a purl</purl>
    </component>
  </components>
  <dependencies>
    <dependency ref="image"><dependency ref="fw"/><dependency ref="last"/></dependency>
    <dependency ref="fw"><dependency ref="inner"/></dependency>
    <dependency ref="inner"/>
  </dependencies>
</bom>
""".encode()


@pytest.fixture(scope="module")
def rich_pair():
    return (
        _extract(CDX_JSON, json.dumps(RICH_JSON).encode()),
        _extract(CDX_XML, RICH_XML),
    )


def test_cyclonedx_json_and_xml_of_the_same_rich_bom_give_equal_contents(rich_pair):
    from_json, from_xml = rich_pair
    assert from_xml == from_json


@pytest.mark.parametrize("syntax", [0, 1], ids=["json", "xml"])
def test_nested_components_are_found_depth_first_and_the_subject_is_not_one(rich_pair, syntax):
    contents = rich_pair[syntax]

    assert [component.ref for component in contents.components] == [
        "fw",
        "inner",
        "deepest",
        "last",
    ]
    assert "shop-image" not in {component.name for component in contents.components}


@pytest.mark.parametrize("syntax", [0, 1], ids=["json", "xml"])
def test_rich_bom_fields_are_normalised(rich_pair, syntax):
    contents = rich_pair[syntax]
    web, inner, deepest, last = contents.components

    assert web.supplier == "Web Inc"
    assert web.type == "framework"
    assert web.cpe == "cpe:2.3:a:web:web:1.0:*:*:*:*:*:*:*"
    assert web.licenses == ("Custom License",)
    assert (web.purl, web.purl_valid) == ("pkg:npm/%40scope/web@1.0", True)
    assert (web.purl_key, web.purl_version) == ("pkg:npm/%40scope/web", "1.0")
    # Not canonical as written: the key and version are those of the canonical purl.
    assert (inner.purl, inner.purl_valid) == ("pkg:pypi/inner-lib@0.1", True)
    assert (inner.purl_key, inner.purl_version) == ("pkg:pypi/inner-lib", "0.1")
    assert inner.supplier == "Inner Pub"  # the publisher when there is no supplier
    assert (deepest.version, deepest.purl, deepest.purl_valid) == (None, None, True)
    assert (deepest.purl_key, deepest.purl_version) == (None, None)
    assert deepest.licenses == deepest.hashes == ()
    assert last.licenses == ("MIT OR Apache-2.0",)
    assert last.hashes == (("SHA-1", SHA1),)  # content lower-cased


@pytest.mark.parametrize("syntax", [0, 1], ids=["json", "xml"])
def test_invalid_purl_is_kept_as_given_and_flagged(rich_pair, syntax):
    last = rich_pair[syntax].components[-1]

    assert (last.purl, last.purl_valid) == ("not a purl", False)
    assert (last.purl_key, last.purl_version) == (None, None)


@pytest.mark.parametrize("syntax", [0, 1], ids=["json", "xml"])
def test_rich_bom_metadata_of_cyclonedx_1_6(rich_pair, syntax):
    contents = rich_pair[syntax]

    # Only SHA-256 / SHA-512 make subject digests; the SHA-1 is left out.
    assert contents.subject_digests == (f"sha512:{SHA512_UPPER.lower()}",)
    assert (contents.subject_name, contents.subject_version) == ("shop-image", "2.0")
    assert contents.authors == ("Jane Doe", "John Roe")
    assert contents.producer == "Acme Corp"  # manufacturer before supplier
    assert contents.tools == ("cyclonedx-py 7.0.0", "scanner")
    assert contents.lifecycles == ("build", "nightly")
    assert contents.timestamp == "2025-01-02T03:04:05Z"
    assert contents.dependencies == (("image", "fw"), ("image", "last"), ("fw", "inner"))


def test_cyclonedx_producer_falls_back_to_metadata_supplier_then_subject_supplier():
    bom = json.loads(json.dumps(RICH_JSON))
    del bom["metadata"]["manufacturer"]
    assert _extract(CDX_JSON, json.dumps(bom).encode()).producer == "Acme Distribution"

    del bom["metadata"]["supplier"]
    bom["metadata"]["component"]["supplier"] = {"name": "Image Team"}
    assert _extract(CDX_JSON, json.dumps(bom).encode()).producer == "Image Team"


def test_cyclonedx_1_5_manufacture_is_the_producer():
    bom = json.loads(read("cyclonedx-1.5.json"))
    bom["metadata"]["manufacture"] = {"name": "Old Style Inc"}
    bom["metadata"]["supplier"] = {"name": "Not This One"}

    assert _extract(CDX_JSON, json.dumps(bom).encode()).producer == "Old Style Inc"


def test_malformed_subject_hash_makes_no_digest():
    bom = json.loads(read("cyclonedx-1.6.json"))
    # Schema-valid (a 128-hex-digit value) but the wrong length for SHA-256.
    bom["metadata"]["component"]["hashes"] = [{"alg": "SHA-256", "content": "a" * 128}]

    assert _extract(CDX_JSON, json.dumps(bom).encode()).subject_digests == ()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # canonical already
        ("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64", "pkg:deb/debian/curl"),
        # normalised: scope escaped, qualifiers sorted, raw '+' escaped
        ("pkg:npm/@Types/Node@20.1.0+x?b=2&a=1", "pkg:npm/%40Types/node"),
    ],
)
def test_component_purl_fields_are_parse_purls(given, expected):
    bom = json.loads(read("cyclonedx-1.6.json"))
    bom["components"][0]["purl"] = given

    component = _extract(CDX_JSON, json.dumps(bom).encode()).components[0]

    purl = parse_purl(given)
    assert purl.key == expected
    fields = (component.purl, component.purl_valid, component.purl_key, component.purl_version)
    assert fields == (purl.text, True, purl.key, purl.version)
    assert component.purl.startswith(expected)


# --- SPDX relationships and described packages -----------------------------------------


def _spdx_variant() -> dict:
    document = json.loads(read("spdx-2.3.json"))
    del document["documentDescribes"]  # the DESCRIBES relationship alone names the subject
    requests, urllib3 = document["packages"][1:]
    requests["supplier"] = "Person: Jane Doe (jane@example.com)"
    requests["primaryPackagePurpose"] = "LIBRARY"
    requests["externalRefs"].append(
        {
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": "cpe:2.3:a:python:requests:2.32.3:*:*:*:*:*:*:*",
        }
    )
    requests["licenseConcluded"] = "NONE"
    urllib3["supplier"] = "NOASSERTION"
    urllib3["externalRefs"][0]["referenceLocator"] = "pkg:pypi"
    urllib3["checksums"][0]["checksumValue"] = URLLIB3_SHA256.upper()
    document["creationInfo"]["creators"].insert(0, "Person: Jane Doe")
    document["creationInfo"]["comment"] = "Generated at build time by CI"
    document["relationships"] = [
        document["relationships"][0],
        {
            "spdxElementId": "SPDXRef-Package-urllib3",
            "relationshipType": "DEPENDENCY_OF",
            "relatedSpdxElement": "SPDXRef-Package-requests",
        },
        {
            "spdxElementId": "SPDXRef-Package-payments",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": "SPDXRef-Package-urllib3",
        },
        {
            "spdxElementId": "SPDXRef-Package-payments",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-Package-requests",
        },
    ]
    return document


@pytest.fixture(scope="module")
def spdx_variant():
    return _extract(SPDX_JSON, json.dumps(_spdx_variant()).encode())


def test_spdx_describes_relationship_alone_names_the_subject(spdx_variant):
    assert [component.name for component in spdx_variant.components] == ["requests", "urllib3"]
    assert spdx_variant.subject_name == "payments"
    assert spdx_variant.subject_digests == (SUBJECT_DIGEST,)


def test_spdx_dependency_of_is_inverted_and_contains_is_not_a_dependency(spdx_variant):
    assert spdx_variant.dependencies == (
        ("SPDXRef-Package-requests", "SPDXRef-Package-urllib3"),
        ("SPDXRef-Package-payments", "SPDXRef-Package-requests"),
    )


def test_spdx_package_fields_are_normalised(spdx_variant):
    requests, urllib3 = spdx_variant.components

    assert requests.supplier == "Jane Doe (jane@example.com)"
    assert requests.type == "library"
    assert requests.cpe == "cpe:2.3:a:python:requests:2.32.3:*:*:*:*:*:*:*"
    assert requests.licenses == ("Apache-2.0",)  # NONE skipped, declared kept
    assert urllib3.supplier is None
    assert (urllib3.purl, urllib3.purl_valid) == ("pkg:pypi", False)
    assert (urllib3.purl_key, urllib3.purl_version) == (None, None)
    assert urllib3.hashes == (("SHA256", URLLIB3_SHA256),)


def test_spdx_creators_give_authors_producer_and_tools(spdx_variant):
    assert spdx_variant.authors == ("Jane Doe",)
    assert spdx_variant.producer == "Acme"
    assert spdx_variant.tools == ("hand-written-1",)
    assert spdx_variant.lifecycles == ("Generated at build time by CI",)


def test_spdx_without_a_described_package_has_no_subject_and_keeps_every_package():
    document = json.loads(read("spdx-2.3.json"))
    document["documentDescribes"] = []
    document["relationships"] = document["relationships"][1:]

    contents = _extract(SPDX_JSON, json.dumps(document).encode())

    assert len(contents.components) == 3
    assert (contents.subject_name, contents.subject_digests) == (None, ())


# --- real generator output (cyclonedx-bom's `cyclonedx-py environment`) ----------------


def _json_components(components: list[dict]) -> list[dict]:
    found = []
    for component in components:
        found.append(component)
        found.extend(_json_components(component.get("components", [])))
    return found


def _xml_components(parent: etree._Element, ns: str) -> list[etree._Element]:
    found = []
    for component in parent.findall(f"{{{ns}}}components/{{{ns}}}component"):
        found.append(component)
        found.extend(_xml_components(component, ns))
    return found


# Versions read here, out of those tests/sboms/conftest.py generates.
CHECKED = [("JSON", "1.6"), ("XML", "1.6"), ("JSON", "1.3")]


@pytest.mark.parametrize(("output_format", "version"), CHECKED)
def test_generated_sbom_gives_every_component_of_the_file_with_valid_purls(
    generated_sboms, output_format, version
):
    body = generated_sboms[(output_format, version)].read_bytes()
    sbom = load_sbom(f"application/vnd.cyclonedx+{output_format.lower()}", body)
    if output_format == "JSON":
        in_file = _json_components(sbom.document.get("components", []))
        purls_in_file = [component["purl"] for component in in_file if "purl" in component]
        subject = sbom.document["metadata"].get("component", {}).get("name")
    else:
        ns = etree.QName(sbom.document).namespace
        in_file = _xml_components(sbom.document, ns)
        purls_in_file = [p.text for c in in_file if (p := c.find(f"{{{ns}}}purl")) is not None]
        subject = sbom.document.findtext(f"{{{ns}}}metadata/{{{ns}}}component/{{{ns}}}name")

    contents = extract(sbom)

    assert len(in_file) > 10
    assert len(contents.components) == len(in_file)
    assert [c.purl for c in contents.components if c.purl] == [
        parse_purl(purl).text for purl in purls_in_file
    ]
    assert len(purls_in_file) > 10
    assert all(component.purl_valid for component in contents.components)
    for component in contents.components:
        if component.purl:
            assert component.purl_key
            assert component.purl.startswith(component.purl_key)
            assert component.purl_version == component.version
    assert contents.subject_name == subject
    assert contents.tools  # the generator names itself
    assert contents.timestamp


def test_generated_json_and_xml_of_the_same_environment_give_equal_contents(generated_sboms):
    from_json = _extract(CDX_JSON, generated_sboms[("JSON", "1.6")].read_bytes())
    from_xml = _extract(CDX_XML, generated_sboms[("XML", "1.6")].read_bytes())

    assert from_json.dependencies  # the generator writes the dependency graph
    # Two runs: only the timestamp may differ.
    assert dataclasses.replace(from_xml, timestamp=None) == dataclasses.replace(
        from_json, timestamp=None
    )


# --- SPDX 3 ---------------------------------------------------------------------------


SPDX3 = "application/spdx+json"


def _spdx3(edit=None):
    document = json.loads(read("spdx-3.0.1.json"))
    if edit is not None:
        edit(document["@graph"])
    return _extract(SPDX3, json.dumps(document).encode())


def test_spdx_3_packages_become_components_with_their_fields():
    contents = _spdx3()
    requests, urllib3 = contents.components
    assert (requests.name, requests.version, requests.purl) == (
        "requests",
        "2.32.3",
        "pkg:pypi/requests@2.32.3",
    )
    # A purl given as an externalIdentifier counts as one given as software_packageUrl.
    assert urllib3.purl == "pkg:pypi/urllib3@2.2.2"
    assert urllib3.purl_key is not None
    assert requests.licenses == ("Apache-2.0",)
    assert urllib3.hashes == (
        ("sha256", "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"),
    )
    assert contents.subject_name == "payments"
    assert contents.primary is not None
    assert contents.primary.supplier == "Acme"
    assert contents.primary.type == "application"
    # NOASSERTION (expandedlicensing_NoAssertionLicense) says nothing, as in SPDX 2.
    assert contents.primary.licenses == ("Apache-2.0",)
    assert contents.subject_digests == (
        "sha256:3f8e2b1c4d5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
    )
    assert [(a.rsplit("/", 1)[1], b.rsplit("/", 1)[1]) for a, b in contents.dependencies] == [
        ("payments", "requests"),
        ("requests", "urllib3"),
    ]
    assert (contents.producer, contents.tools) == ("Acme", ("hand-written-1",))
    assert contents.timestamp == "2024-05-01T12:00:00Z"


def test_spdx_3_elements_given_inline_are_read_like_those_referred_to():
    def inline(graph):
        graph[5]["suppliedBy"] = dict(graph[1], spdxId="https://example.com/other")
        graph[0]["createdBy"] = [graph[1]]

    contents = _spdx3(inline)
    assert contents.primary is not None
    assert contents.primary.supplier == "Acme"
    assert contents.producer == "Acme"


def test_spdx_3_listed_licences_none_and_relationships_to_nothing():
    def edit(graph):
        graph[-3]["to"] = ["https://spdx.org/licenses/MIT"]  # urllib3's declared licence
        graph[-4]["to"] = ["expandedlicensing_NoneLicense"]  # urllib3's concluded licence
        graph[-1]["to"] = ["NoneElement"]

    contents = _spdx3(edit)
    assert contents.components[1].licenses == ("MIT",)
    assert contents.dependencies[-1][1] == "NONE"


def test_spdx_3_describes_relationships_name_the_subject_too():
    def edit(graph):
        graph[3]["rootElement"] = []
        graph.append(
            {
                "type": "Relationship",
                "spdxId": "https://example.com/describes",
                "creationInfo": "_:creationinfo",
                "from": graph[3]["spdxId"],
                "relationshipType": "describes",
                "to": [graph[7]["spdxId"]],
            }
        )

    contents = _spdx3(edit)
    assert contents.subject_name == "urllib3"
    assert [c.name for c in contents.components] == ["payments", "requests"]


def test_spdx_3_sbom_type_is_the_generation_context_and_agents_give_contacts():
    contents = _extract("application/ld+json", read("spdx-3.0.1-package-sbom.json"))
    assert contents.lifecycles == ("build",)
    assert contents.authors == ("Joshua Watt",)
    assert contents.creator_contacts == ("JPEWhacker@gmail.com",)
    assert contents.primary is not None
    assert contents.primary.contacts == ("JPEWhacker@gmail.com",)
    assert [edge[0].rsplit("/", 1)[1] for edge in contents.containment] == ["Package1"]


def test_spdx_3_references_to_elements_of_the_wrong_kind_are_not_read():
    def edit(graph):
        requests = graph[6]["spdxId"]
        graph[5]["suppliedBy"] = requests  # a package, not an agent
        graph[-3]["to"] = [requests]  # urllib3's declared licence: a package named requests
        graph[-4]["to"] = [requests]  # and its concluded one
        graph[0]["createdUsing"] = [requests]  # a package, not a tool
        graph[0]["createdBy"] = [requests]

    contents = _spdx3(edit)
    assert contents.primary is not None
    assert contents.primary.supplier is None
    assert contents.components[1].licenses == ()
    assert (contents.tools, contents.producer, contents.authors) == ((), None, ())
