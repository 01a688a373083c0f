"""SBOM profiles (app/sboms/profiles.py): what each profile requires, measured and judged.

Contents are built here, complete for every profile by default; each test takes away the
element it is about. Then real documents: extraction gives the profiles what they measure
in CycloneDX JSON, CycloneDX XML and SPDX alike; the SBOM records show the verdicts; and
migration 0013 measures the SBOMs stored before it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import update

from app.db import migrate
from app.policy.maturity import SbomProfile
from app.sboms.contents import Component, SbomContents
from app.sboms.extraction import extract
from app.sboms.formats import SbomFormat
from app.sboms.loading import load_sbom
from app.sboms.models import Sbom
from app.sboms.profiles import (
    COMPONENT_ELEMENTS,
    DOCUMENT_ELEMENTS,
    ELEMENTS,
    PROFILES,
    Measures,
    judge,
    judge_all,
    measure,
)
from app.sboms.quality import score
from tests.builders.sbom_contents import BSI_PROPERTIES, component
from tests.builders.services import SERVICE
from tests.databases import column_names, database_at, sbom_columns, store_sboms
from tests.sboms.sbom_files import read
from tests.sboms.uploads import DIGEST_A, upload

SHA512 = ("SHA-512", "5e" * 64)
SHARE = 0.95
CDX_JSON = "application/vnd.cyclonedx+json"
CDX_XML = "application/vnd.cyclonedx+xml"
SPDX_JSON = "application/spdx+json"


def contents(
    count: int = 20, *, primary: Component | None = None, **changes: object
) -> SbomContents:
    """An SBOM of ``count`` components, all depended on by the primary component."""
    components = tuple(component(f"c{index}") for index in range(count))
    app = component("app") if primary is None else primary
    full = SbomContents(
        components=components,
        dependencies=tuple(("app", c.ref or "") for c in components),
        subject_name="app",
        subject_version="2.0",
        subject_digests=(),
        authors=("Jane Doe",),
        producer="Example Corp",
        tools=("syft 1.0",),
        timestamp="2025-01-31T12:00:00Z",
        lifecycles=("build",),
        primary=app,
        creator_contacts=("https://example.com/security",),
    )
    return dataclasses.replace(full, **changes)


def verdict(
    sbom: SbomContents,
    profile: SbomProfile,
    share: float = SHARE,
    *,
    sbom_format: SbomFormat = SbomFormat.CYCLONEDX_JSON,
    spec_version: str = "1.6",
) -> tuple[bool, tuple[str, ...]]:
    result = judge(
        measure(sbom, sbom_format=sbom_format, spec_version=spec_version), profile, share
    )
    assert result.passed is not result.reasons
    return result.passed, result.reasons


def with_components(sbom: SbomContents, first: int, **changes: object) -> SbomContents:
    """``sbom`` with ``changes`` made to its first ``first`` components."""
    changed = tuple(
        dataclasses.replace(c, **changes) if index < first else c
        for index, c in enumerate(sbom.components)
    )
    return dataclasses.replace(sbom, components=changed)


# --- what each profile requires --------------------------------------------------------------


def test_every_profile_the_policy_can_name_has_its_rules() -> None:
    assert set(PROFILES) == set(SbomProfile)
    assert all(element in ELEMENTS for profile in PROFILES.values() for element in profile.elements)


def test_the_profiles_hold_the_elements_of_their_texts() -> None:
    assert PROFILES[SbomProfile.NTIA_2021].elements == (
        "author",  # author of SBOM data
        "timestamp",
        "software-producer",  # supplier name
        "component-name",
        "component-version",
        "software-identifier",  # other unique identifiers
        "dependency-relationships",
    )
    assert PROFILES[SbomProfile.CISA_2025].elements == (
        "author",
        "tool-name",
        "timestamp",
        "generation-context",
        "software-producer",
        "component-name",
        "component-version",
        "software-identifier",
        "component-hash",
        "license",
        "dependency-relationships",
    )
    assert PROFILES[SbomProfile.BSI_TR_03183_2].elements == (
        "format-version",  # section 4
        "sbom-creator",  # 5.2.1
        "timestamp",
        "component-creator",  # 5.2.2
        "component-name",
        "component-version",
        "filename",
        "dependency-relationships",
        "license",
        "component-hash-sha512",
        "executable-property",
        "archive-property",
        "structured-property",
    )


def test_a_complete_sbom_meets_every_profile() -> None:
    results = judge_all(
        measure(contents(), sbom_format=SbomFormat.CYCLONEDX_JSON, spec_version="1.6"), SHARE
    )

    assert [(r.profile, r.passed, r.reasons) for r in results] == [
        (profile, True, ()) for profile in SbomProfile
    ]
    assert results[1].title == "CISA minimum elements (2025)"
    assert results[1].component_share == SHARE


# Each element taken away from the whole SBOM: (element, what takes it away).
TAKEN_AWAY = {
    "author": {"authors": ()},
    "timestamp": {"timestamp": "2025-01-31"},  # a date alone is no timestamp
    "tool-name": {"tools": ()},
    "generation-context": {"lifecycles": ()},
    "sbom-creator": {"creator_contacts": ("Jane Doe",)},  # a name is no contact
}
COMPONENT_TAKEN_AWAY = {
    "software-producer": {"supplier": "NOASSERTION"},
    "component-name": {"name": " "},
    "component-version": {"version": None},
    "software-identifier": {"purl": "not a purl", "purl_valid": False},
    "component-hash": {"hashes": (("SHA-1", "ab" * 20), ("MD5", "ab" * 16))},
    "component-hash-sha512": {"hashes": (("SHA-256", "ab" * 32),)},
    "license": {"licenses": ()},
    "component-creator": {"contacts": ("Example Corp",)},
    "filename": {"filename": None},
    "executable-property": {
        "properties": tuple({**BSI_PROPERTIES, "bsi:component:executable": "yes"}.items())
    },
    "archive-property": {
        "properties": tuple(
            (k, v) for k, v in BSI_PROPERTIES.items() if k != "bsi:component:archive"
        )
    },
    "structured-property": {
        "properties": tuple({**BSI_PROPERTIES, "bsi:component:structured": ""}.items())
    },
}
# Taking away a hash of SHA-256 strength takes away the SHA-512 one too.
IMPLIED = {"component-hash": ("component-hash-sha512",)}


@pytest.mark.parametrize("element", list(TAKEN_AWAY))
def test_a_missing_document_element_fails_exactly_the_profiles_naming_it(element: str) -> None:
    sbom = contents(**TAKEN_AWAY[element])

    for profile, rules in PROFILES.items():
        passed, reasons = verdict(sbom, profile)
        if element in rules.elements:
            assert reasons == (f"{element}: the SBOM lacks {ELEMENTS[element].what}",)
        else:
            assert passed, (profile, reasons)


@pytest.mark.parametrize("element", list(COMPONENT_TAKEN_AWAY))
def test_a_missing_component_element_fails_exactly_the_profiles_naming_it(element: str) -> None:
    lacking = COMPONENT_TAKEN_AWAY[element]
    missing = {element, *IMPLIED.get(element, ())}
    on_primary = contents(primary=component("app", **lacking))
    on_two = with_components(contents(), 2, **lacking)  # 18 of 20: under 95 %
    on_one = with_components(contents(), 1, **lacking)  # 19 of 20: 95 %

    for profile, rules in PROFILES.items():
        named = [e for e in rules.elements if e in missing]
        assert verdict(on_primary, profile)[1] == tuple(
            f"{e}: the primary component lacks {ELEMENTS[e].what}" for e in named
        )
        assert verdict(on_two, profile)[1] == tuple(
            f"{e}: 18 of 20 components (90 %) carry {ELEMENTS[e].what}; {profile} needs 95 %"
            for e in named
        )
        assert verdict(on_one, profile) == (True, ())


def test_measures_follow_the_order_of_the_elements() -> None:
    """Each component element is measured by its own test, in ``COMPONENT_ELEMENTS`` order."""
    for element, lacking in COMPONENT_TAKEN_AWAY.items():
        measured = measure(
            contents(primary=component("app", **lacking)),
            sbom_format=SbomFormat.CYCLONEDX_JSON,
            spec_version="1.6",
        )
        assert measured.primary is not None
        missing = {e for e, carried in measured.primary.items() if not carried}
        assert missing == {element, *IMPLIED.get(element, ())}, element


def test_a_one_component_sbom_does_not_pass_on_its_one_complete_component() -> None:
    """Its primary component is judged too (quality scores the one component 10/10)."""
    thin = component("app", supplier=None, licenses=(), hashes=(), purl=None)
    sbom = contents(1, primary=thin)

    assert score(sbom).score == 10.0
    passed, reasons = verdict(sbom, SbomProfile.CISA_2025)
    assert not passed
    assert reasons == (
        "software-producer: the primary component lacks a supplier (software producer)",
        "software-identifier: the primary component lacks a valid purl or a CPE",
        "component-hash: the primary component lacks a SHA-256 or stronger hash",
        "license: the primary component lacks a license",
    )


def test_an_sbom_without_a_primary_component_meets_no_profile() -> None:
    sbom = dataclasses.replace(contents(), primary=None)

    for profile in SbomProfile:
        passed, reasons = verdict(sbom, profile)
        assert not passed
        assert reasons[0].startswith("primary-component: the SBOM describes no primary component")


def test_the_share_is_the_policys_and_rounds_against_the_sbom() -> None:
    two_thirds = with_components(contents(3), 1, licenses=())

    passed, reasons = verdict(two_thirds, SbomProfile.CISA_2025, 0.66)
    assert passed, reasons
    passed, reasons = verdict(two_thirds, SbomProfile.CISA_2025, 0.667)
    assert reasons == (
        "license: 2 of 3 components (66.6 %) carry a license; cisa-2025 needs 66.7 %",
    )
    assert verdict(with_components(contents(), 1, licenses=()), SbomProfile.CISA_2025, 1)[1] == (
        "license: 19 of 20 components (95 %) carry a license; cisa-2025 needs 100 %",
    )


def test_an_sbom_of_its_primary_component_alone_is_judged_on_it() -> None:
    alone = contents(0, dependencies=(), leaves=("app",))

    assert verdict(alone, SbomProfile.CISA_2025) == (True, ())
    undeclared = contents(0, dependencies=())
    assert verdict(undeclared, SbomProfile.NTIA_2021)[1] == (
        "dependency-relationships: the primary component lacks a dependency relationship",
    )


# --- dependency relationships ----------------------------------------------------------------


def test_an_sbom_with_no_relationship_and_no_completeness_statement_fails() -> None:
    sbom = contents(dependencies=())

    for profile in SbomProfile:
        _, reasons = verdict(sbom, profile)
        assert [r for r in reasons if r.startswith("dependency-relationships")] == [
            "dependency-relationships: the primary component lacks a dependency relationship; "
            f"0 of 20 components (0 %) carry a dependency relationship; {profile} needs 95 %"
        ]


def test_a_completeness_statement_declares_the_primary_components_relationships() -> None:
    complete = contents(0, dependencies=(), complete=True)

    assert verdict(complete, SbomProfile.CISA_2025) == (True, ())
    # It does not put other components in the graph.
    assert not verdict(contents(dependencies=(), complete=True), SbomProfile.CISA_2025)[0]


def test_relationships_are_edges_containment_or_declared_leaves() -> None:
    refs = [f"c{index}" for index in range(20)]
    contained = contents(dependencies=(), containment=tuple(("app", ref) for ref in refs))
    leaves_only = contents(dependencies=(), leaves=("app", *refs))
    says_nothing = contents(dependencies=tuple(("app", "NOASSERTION") for _ in refs[:1]))
    says_none = contents(0, dependencies=(("app", "NONE"),))

    assert verdict(contained, SbomProfile.NTIA_2021) == (True, ())
    assert verdict(leaves_only, SbomProfile.NTIA_2021) == (True, ())
    assert not verdict(says_nothing, SbomProfile.NTIA_2021)[0]
    assert verdict(says_none, SbomProfile.NTIA_2021) == (True, ())


def test_a_component_depended_on_is_in_the_graph_but_the_primary_must_declare_its_own() -> None:
    reversed_edges = contents(dependencies=tuple((f"c{i}", "app") for i in range(20)))

    assert verdict(reversed_edges, SbomProfile.NTIA_2021)[1] == (
        "dependency-relationships: the primary component lacks a dependency relationship",
    )


# --- hashes, contacts, BSI properties and format ---------------------------------------------


@pytest.mark.parametrize(
    ("hashes", "strong", "sha512"),
    [
        pytest.param((("SHA-256", "ab" * 32),), True, False, id="sha-256"),
        pytest.param((("SHA256", "ab" * 32),), True, False, id="spdx-sha256"),
        pytest.param((("SHA-384", "ab" * 48),), True, False, id="sha-384"),
        pytest.param((SHA512,), True, True, id="sha-512"),
        pytest.param((("SHA512", "5e" * 64),), True, True, id="spdx-sha512"),
        pytest.param((("SHA3-256", "ab" * 32),), True, False, id="sha3-256"),
        pytest.param((("BLAKE2b-512", "ab" * 64),), True, False, id="blake2b-512"),
        pytest.param((("BLAKE3", "ab" * 32),), True, False, id="blake3"),
        pytest.param((("BLAKE3", "ab" * 16),), False, False, id="blake3-short"),
        pytest.param((("SHA-1", "ab" * 20),), False, False, id="sha-1"),
        pytest.param((("MD5", "ab" * 16),), False, False, id="md5"),
        pytest.param((("SHA-256", "ab" * 20),), False, False, id="sha-256-of-sha-1-length"),
        pytest.param((("SHA-512", "ab" * 32),), False, False, id="sha-512-of-sha-256-length"),
        pytest.param((("SHA-256", "zz" * 32),), False, False, id="not-hex"),
        pytest.param((("MD5", "ab" * 16), SHA512), True, True, id="one-strong-of-two"),
    ],
)
def test_only_well_formed_hashes_of_sha_256_strength_count(hashes, strong, sha512) -> None:
    measured = measure(
        contents(primary=component("app", hashes=hashes)),
        sbom_format=SbomFormat.CYCLONEDX_JSON,
        spec_version="1.6",
    )

    assert measured.primary is not None
    assert measured.primary["component-hash"] is strong
    assert measured.primary["component-hash-sha512"] is sha512


@pytest.mark.parametrize(
    ("contact", "counts"),
    [
        ("security@example.com", True),
        ("https://example.com/security", True),
        ("http://example.com", True),
        ("Example Corp", False),
        ("mailto:security@example.com", True),
        ("ftp://example.com", False),
        ("security@localhost", False),
        ("", False),
    ],
)
def test_bsi_contacts_are_an_email_address_or_an_http_url(contact: str, counts: bool) -> None:
    passed, _ = verdict(contents(creator_contacts=(contact,)), SbomProfile.BSI_TR_03183_2)

    assert passed is counts


@pytest.mark.parametrize(
    ("sbom_format", "spec_version", "accepted"),
    [
        (SbomFormat.CYCLONEDX_JSON, "1.4", False),
        (SbomFormat.CYCLONEDX_JSON, "1.5", True),
        (SbomFormat.CYCLONEDX_XML, "1.6", True),
        (SbomFormat.SPDX_JSON, "2.2", True),
        (SbomFormat.SPDX_JSON, "2.3", True),
    ],
)
def test_bsi_asks_for_cyclonedx_1_5_or_spdx_2_2_1(sbom_format, spec_version, accepted) -> None:
    passed, reasons = verdict(
        contents(),
        SbomProfile.BSI_TR_03183_2,
        sbom_format=sbom_format,
        spec_version=spec_version,
    )

    assert passed is accepted
    assert accepted or reasons == (
        "format-version: the SBOM lacks CycloneDX 1.5+ or SPDX 2.2.1+ as its format",
    )


# --- stored measures ------------------------------------------------------------------------


def test_measures_are_stored_as_json_and_read_back_equal() -> None:
    measured = measure(contents(), sbom_format=SbomFormat.SPDX_JSON, spec_version="2.3")

    stored = json.loads(json.dumps(measured.to_json()))

    assert Measures.from_json(stored) == measured
    assert set(stored["covered"]) == set(COMPONENT_ELEMENTS)
    assert set(stored["document"]) == set(DOCUMENT_ELEMENTS)
    no_primary = dataclasses.replace(measured, primary=None)
    assert Measures.from_json(no_primary.to_json()) == no_primary


def _spoilt(change: str) -> object:
    stored = measure(
        contents(), sbom_format=SbomFormat.CYCLONEDX_JSON, spec_version="1.6"
    ).to_json()
    if change == "missing element":
        del stored["covered"]["license"]
    elif change == "unknown element":
        stored["document"]["signature"] = True
    elif change == "negative count":
        stored["covered"]["license"] = -1
    elif change == "boolean count":
        stored["components"] = True
    elif change == "text flag":
        stored["primary"]["license"] = "yes"
    else:
        return change  # not even a dict
    return stored


@pytest.mark.parametrize(
    "change",
    [
        "missing element",
        "unknown element",
        "negative count",
        "boolean count",
        "text flag",
        "a string",
    ],
)
def test_stored_measures_that_are_not_complete_are_not_measures(change: str) -> None:
    assert Measures.from_json(_spoilt(change)) is None


def test_an_sbom_not_measured_meets_no_profile_and_says_why() -> None:
    for result in judge_all(None, SHARE):
        assert not result.passed
        assert result.reasons == (
            "minimum-elements: not measured for this SBOM (its stored bytes could not be read "
            "again); upload it again",
        )


# --- from real documents -----------------------------------------------------------------------


def _measured(content_type: str, body: bytes) -> Measures:
    loaded = load_sbom(content_type, body)
    return measure(extract(loaded), sbom_format=loaded.format, spec_version=loaded.spec_version)


def test_the_golden_documents_measure_alike_in_every_syntax() -> None:
    json_1_6 = _measured(CDX_JSON, read("cyclonedx-1.6.json"))

    assert _measured(CDX_XML, read("cyclonedx-1.6.xml")) == json_1_6
    assert json_1_6.components == 2
    assert json_1_6.primary is not None
    assert json_1_6.primary["dependency-relationships"]  # payments depends on requests
    assert json_1_6.covered["dependency-relationships"] == 2  # urllib3: a declared leaf
    assert json_1_6.primary["software-identifier"] is False  # metadata.component has no purl
    spdx = _measured(SPDX_JSON, read("spdx-2.3.json"))
    assert spdx.primary is not None
    assert spdx.primary["software-producer"]  # "Organization: Acme"
    assert spdx.covered["component-hash"] == 2


BSI_CDX_JSON = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "compositions": [{"aggregate": "complete"}],
    "metadata": {
        "timestamp": "2025-01-31T12:00:00Z",
        "authors": [{"name": "Jane Doe", "email": "jane@example.com"}],
        "component": {
            "type": "application",
            "bom-ref": "app",
            "name": "app",
            "version": "2.0",
            "supplier": {"name": "Example Corp", "url": ["https://example.com"]},
            "licenses": [{"license": {"id": "MIT"}}],
            "hashes": [{"alg": "SHA-512", "content": "5e" * 64}],
            "properties": [
                {"name": "bsi:component:filename", "value": "app-2.0.tar.gz"},
                *({"name": name, "value": value} for name, value in BSI_PROPERTIES.items()),
                {"name": "acme:team", "value": "payments"},
            ],
        },
    },
    "dependencies": [{"ref": "app"}],
}


def _bsi_xml() -> bytes:
    props = "".join(
        f'<property name="{name}">{value}</property>' for name, value in BSI_PROPERTIES.items()
    )
    return (
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">'
        "<metadata><timestamp>2025-01-31T12:00:00Z</timestamp>"
        "<authors><author><name>Jane Doe</name><email>jane@example.com</email></author></authors>"
        '<component type="application" bom-ref="app"><supplier><name>Example Corp</name>'
        "<url>https://example.com</url></supplier><name>app</name><version>2.0</version>"
        '<hashes><hash alg="SHA-512">' + "5e" * 64 + "</hash></hashes>"
        "<licenses><license><id>MIT</id></license></licenses>"
        '<properties><property name="bsi:component:filename">app-2.0.tar.gz</property>'
        + props
        + '<property name="acme:team">payments</property></properties>'
        "</component></metadata>"
        '<dependencies><dependency ref="app"/></dependencies>'
        "<compositions><composition><aggregate>complete</aggregate></composition></compositions>"
        "</bom>"
    ).encode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(CDX_JSON, json.dumps(BSI_CDX_JSON).encode(), id="json"),
        pytest.param(CDX_XML, _bsi_xml(), id="xml"),
    ],
)
def test_a_cyclonedx_sbom_can_meet_bsi_tr_03183_2(content_type: str, body: bytes) -> None:
    loaded = load_sbom(content_type, body)
    sbom = extract(loaded)

    assert sbom.primary is not None
    assert sbom.primary.contacts == ("https://example.com",)
    assert sbom.primary.filename == "app-2.0.tar.gz"
    assert sbom.primary.properties == (
        ("bsi:component:filename", "app-2.0.tar.gz"),
        *BSI_PROPERTIES.items(),
    )
    assert (sbom.leaves, sbom.complete, sbom.creator_contacts) == (
        ("app",),
        True,
        ("jane@example.com",),
    )
    measured = measure(sbom, sbom_format=loaded.format, spec_version=loaded.spec_version)
    assert judge(measured, SbomProfile.BSI_TR_03183_2, SHARE).passed


def test_spdx_gives_contacts_filenames_and_containment_but_no_bsi_properties() -> None:
    document = json.loads(read("spdx-2.3.json"))
    document["creationInfo"]["creators"].append("Person: Jane Doe (jane@example.com)")
    described = document["packages"][0]
    described["originator"] = "Organization: Acme (security@acme.example)"
    described["packageFileName"] = "payments-1.4.0.tar.gz"
    document["relationships"] += [
        {
            "spdxElementId": "SPDXRef-Package-payments",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": "SPDXRef-Package-urllib3",
        },
        {
            "spdxElementId": "SPDXRef-Package-requests",
            "relationshipType": "CONTAINED_BY",
            "relatedSpdxElement": "SPDXRef-Package-payments",
        },
    ]

    sbom = extract(load_sbom(SPDX_JSON, json.dumps(document).encode()))

    assert sbom.primary is not None
    assert (sbom.primary.name, sbom.primary.filename) == ("payments", "payments-1.4.0.tar.gz")
    assert sbom.primary.contacts == ("security@acme.example",)
    assert sbom.creator_contacts == ("jane@example.com",)
    assert sbom.containment == (
        ("SPDXRef-Package-payments", "SPDXRef-Package-urllib3"),
        ("SPDXRef-Package-payments", "SPDXRef-Package-requests"),
    )
    assert all(c.properties == () for c in (sbom.primary, *sbom.components))
    passed, reasons = verdict(sbom, SbomProfile.BSI_TR_03183_2, sbom_format=SbomFormat.SPDX_JSON)
    assert not passed
    assert any(reason.startswith("executable-property:") for reason in reasons)


# --- over HTTP --------------------------------------------------------------------------------


def test_every_record_of_an_sbom_shows_its_profiles_under_the_policy_in_force(
    client, service, pipeline_headers, auditor_headers, admin_headers, run_in_session
):
    body = read("cyclonedx-1.6.json")
    expected = [
        dataclasses.asdict(result) for result in judge_all(_measured(CDX_JSON, body), SHARE)
    ]
    for result in expected:
        result["reasons"] = list(result["reasons"])

    first = upload(client, pipeline_headers, body)
    again = upload(client, pipeline_headers, body)
    sbom_id = first.json()["id"]
    record = client.get(f"/v1/sboms/{sbom_id}", headers=auditor_headers).json()
    artifact = client.get(f"/v1/artifacts/{DIGEST_A}", headers=auditor_headers).json()

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["profiles"] == again.json()["profiles"] == record["profiles"] == expected
    assert artifact["sboms"][0]["profiles"] == expected
    assert [p["passed"] for p in expected] == [False, False, False]
    stored = run_in_session(lambda session: session.get(Sbom, sbom_id).minimum_elements)
    assert stored == _measured(CDX_JSON, body).to_json()

    # The share is the policy's when the record is read.
    response = client.put(
        f"/v1/services/{SERVICE}/policy",
        json={"sbom_component_share": 0.5},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    lowered = client.get(f"/v1/sboms/{sbom_id}", headers=auditor_headers).json()
    assert {p["component_share"] for p in lowered["profiles"]} == {0.5}


def test_an_sbom_whose_bytes_could_not_be_measured_meets_no_profile(
    client, service, pipeline_headers, auditor_headers, run_in_session
):
    sbom = upload(client, pipeline_headers, read("cyclonedx-1.6.json")).json()
    # What migration 0013 leaves on an SBOM stored before whose bytes it could not read.
    run_in_session(lambda session: session.execute(update(Sbom).values(minimum_elements=None)))

    record = client.get(f"/v1/sboms/{sbom['id']}", headers=auditor_headers).json()

    assert [(p["passed"], len(p["reasons"])) for p in record["profiles"]] == [(False, 1)] * 3
    assert record["profiles"][0]["reasons"][0].startswith("minimum-elements: not measured")


# --- migration 0013 measures the SBOMs stored before it ------------------------------------------


@pytest.fixture
def database_at_0008(tmp_path) -> Iterator[str]:
    with database_at("0008", tmp_path) as url:
        yield url


# (label, sboms.format as stored, bytes, Content-Type it loads as; None: cannot be read)
STORED_BEFORE = [
    ("json", "cyclonedx-json", read("cyclonedx-1.6.json"), CDX_JSON),
    ("xml", "cyclonedx-xml", read("cyclonedx-1.6.xml"), CDX_XML),
    ("spdx", "spdx-json", read("spdx-2.3.json"), SPDX_JSON),
    ("bad-json", "cyclonedx-json", read("bad-cyclonedx-1.6-truncated.json"), None),
    ("unknown-format", "cyclonedx-protobuf", read("cyclonedx-1.6.json") + b"\n", None),
]


def test_migration_0013_measures_the_sboms_stored_before_it(database_at_0008):
    ids = store_sboms(database_at_0008, [entry[:3] for entry in STORED_BEFORE])
    assert "minimum_elements" not in column_names(database_at_0008, "sboms")

    migrate.upgrade(database_at_0008, "0013")

    stored = sbom_columns(database_at_0008)
    for label, _, body, content_type in STORED_BEFORE:
        measured = stored[ids[label]]["minimum_elements"]
        if isinstance(measured, str):  # SQLite returns JSON as text through a raw query
            measured = json.loads(measured)
        expected = None if content_type is None else _measured(content_type, body).to_json()
        assert measured == expected, label


def test_migration_0013_downgrades_to_the_0008_table(database_at_0008):
    ids = store_sboms(database_at_0008, [entry[:3] for entry in STORED_BEFORE])
    migrate.upgrade(database_at_0008, "0013")

    command.downgrade(migrate.alembic_config(database_at_0008), "0008")

    assert "minimum_elements" not in column_names(database_at_0008, "sboms")
    assert set(sbom_columns(database_at_0008)) == set(ids.values())
