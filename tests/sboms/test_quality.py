"""Quality score (app/sboms/quality.py): CISA 2025 minimum-element coverage and the 0-10 score."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.sboms.contents import Component, SbomContents
from app.sboms.quality import ELEMENTS, Quality, score
from tests.builders.sbom_contents import component

ELEMENT_IDS = (
    "author",
    "software-producer",
    "component-name",
    "component-version",
    "software-identifier",
    "component-hash",
    "license",
    "dependency-relationships",
    "tool-name",
    "timestamp",
    "generation-context",
)
DOCUMENT_LEVEL = {"author", "tool-name", "timestamp", "generation-context"}
COMPONENT_LEVEL = set(ELEMENT_IDS) - DOCUMENT_LEVEL


def contents(*components: Component, **changes) -> SbomContents:
    """An SBOM with every document-level element; the components chained a -> b -> c ..."""
    refs = [c.ref for c in components if c.ref is not None]
    full = SbomContents(
        components=components,
        dependencies=tuple(itertools.pairwise(refs)),
        subject_name="app",
        subject_version="2.0",
        subject_digests=("sha256:" + "cd" * 32,),
        authors=("Jane Doe",),
        producer="Example Corp",
        tools=("cyclonedx-py 7.1.0",),
        timestamp="2025-01-31T12:00:00Z",
        lifecycles=("build",),
    )
    return dataclasses.replace(full, **changes)


EMPTY = SbomContents(
    components=(),
    dependencies=(),
    subject_name=None,
    subject_version=None,
    subject_digests=(),
    authors=(),
    producer=None,
    tools=(),
    timestamp=None,
    lifecycles=(),
)


def element(quality: Quality, element_id: str):
    (found,) = [e for e in quality.elements if e.id == element_id]
    return found


def coverages(quality: Quality) -> dict[str, float]:
    return {e.id: e.coverage for e in quality.elements}


# --- the two ends ------------------------------------------------------------------------


def test_a_complete_sbom_scores_ten_with_no_remediation():
    quality = score(contents(component("a"), component("b"), component("c")))
    assert quality.score == 10.0
    assert all(e.coverage == 100.0 for e in quality.elements)
    assert all(e.remediation is None for e in quality.elements)


def test_an_empty_sbom_scores_zero_with_every_remediation():
    quality = score(EMPTY)
    assert quality.score == 0.0
    assert all(e.coverage == 0.0 for e in quality.elements)
    assert all(e.remediation for e in quality.elements)


def test_with_no_components_component_elements_say_so():
    quality = score(contents())
    for e in quality.elements:
        if e.id in COMPONENT_LEVEL:
            assert e.coverage == 0.0
            assert e.remediation is not None
            assert "no components" in e.remediation
        else:
            assert (e.coverage, e.remediation) == (100.0, None)
    assert quality.score == round(10 * len(DOCUMENT_LEVEL) / len(ELEMENT_IDS), 1)


# --- ids, order, shape -------------------------------------------------------------------


def test_elements_come_in_a_fixed_order_with_stable_ids():
    assert tuple(spec.id for spec in ELEMENTS) == ELEMENT_IDS
    for sbom in (EMPTY, contents(component("a")), contents(component("a"), component("b"))):
        assert tuple(e.id for e in score(sbom).elements) == ELEMENT_IDS


def test_titles_are_unique_and_weights_equal():
    assert len({spec.title for spec in ELEMENTS}) == len(ELEMENTS)
    assert {spec.weight for spec in ELEMENTS} == {1.0}


def test_to_json_is_plain_and_round_trips_through_json():
    quality = score(contents(component("a"), component("b", version=None)))
    as_json = quality.to_json()
    assert json.loads(json.dumps(as_json)) == as_json
    assert set(as_json) == {"score", "elements"}
    assert as_json["score"] == quality.score
    assert [e["id"] for e in as_json["elements"]] == list(ELEMENT_IDS)
    version = as_json["elements"][ELEMENT_IDS.index("component-version")]
    assert set(version) == {"id", "title", "coverage", "remediation"}
    assert version["coverage"] == 50.0
    assert version["remediation"] is not None


def test_remediation_is_one_line_and_names_both_formats():
    for e in score(EMPTY).elements:
        assert e.remediation is not None
        assert "\n" not in e.remediation
        assert "CycloneDX" in e.remediation
        assert "SPDX" in e.remediation


def test_the_author_remediation_names_what_and_where():
    remediation = element(score(contents(component("a"), authors=())), "author").remediation
    assert remediation is not None
    assert "metadata.authors" in remediation
    assert "Person:" in remediation


# --- per-element partial coverage --------------------------------------------------------


@pytest.mark.parametrize(
    ("element_id", "missing"),
    [
        ("software-producer", {"supplier": None}),
        ("component-name", {"name": ""}),
        ("component-version", {"version": None}),
        ("software-identifier", {"purl": None}),
        ("component-hash", {"hashes": ()}),
        ("license", {"licenses": ()}),
    ],
)
def test_component_elements_are_the_share_of_components_that_have_them(element_id, missing):
    sbom = contents(component("a"), component("b"), component("c"), component("d", **missing))
    quality = score(sbom)
    e = element(quality, element_id)
    assert e.coverage == 75.0
    assert e.remediation is not None
    assert "1 of 4 components" in e.remediation
    others = {k: v for k, v in coverages(quality).items() if k != element_id}
    assert set(others.values()) == {100.0}
    assert quality.score == round((10 * 100 + 75) / 11 / 10, 1)


def test_three_of_four_components_with_versions_is_75_percent():
    sbom = contents(*(component(r) for r in "abc"), component("d", version=None))
    assert element(score(sbom), "component-version").coverage == 75.0


def test_coverage_is_rounded_to_one_decimal():
    sbom = contents(component("a"), component("b", version=None), component("c", version=None))
    assert element(score(sbom), "component-version").coverage == 33.3


def test_almost_complete_never_shows_as_complete():
    sbom = contents(*(component(str(i)) for i in range(2000)), component("x", version=None))
    e = element(score(sbom), "component-version")
    assert e.coverage == 99.9
    assert e.remediation is not None


def test_one_component_of_many_never_shows_as_nothing():
    many = [component(str(i), licenses=()) for i in range(2000)]
    e = element(score(contents(*many, component("x"))), "license")
    assert e.coverage == 0.1


@pytest.mark.parametrize(
    ("element_id", "missing"),
    [
        ("author", {"authors": ()}),
        ("tool-name", {"tools": ()}),
        ("timestamp", {"timestamp": None}),
        ("generation-context", {"lifecycles": ()}),
    ],
)
def test_document_elements_are_all_or_nothing(element_id, missing):
    quality = score(contents(component("a"), component("b"), **missing))
    e = element(quality, element_id)
    assert e.coverage == 0.0
    assert e.remediation is not None
    assert "components lack it" not in e.remediation
    assert quality.score == round(10 * 10 / 11, 1)


def test_the_document_producer_does_not_stand_in_for_component_suppliers():
    sbom = contents(component("a", supplier=None), producer="Example Corp")
    assert element(score(sbom), "software-producer").coverage == 0.0


@pytest.mark.parametrize("blank", ["", "   ", "NOASSERTION", "noassertion"])
def test_blank_and_noassertion_values_count_as_missing(blank):
    sbom = contents(
        component("a", supplier=blank, licenses=(blank,), version=blank),
        authors=(blank,),
        tools=(blank,),
        lifecycles=(blank,),
    )
    quality = score(sbom)
    for element_id in (
        "software-producer",
        "license",
        "component-version",
        "author",
        "tool-name",
        "generation-context",
    ):
        assert element(quality, element_id).coverage == 0.0, element_id


# --- software identifiers ----------------------------------------------------------------


def test_an_invalid_purl_is_not_an_identifier():
    sbom = contents(component("a", purl="pkg:not a purl", purl_valid=False))
    assert element(score(sbom), "software-identifier").coverage == 0.0


def test_a_cpe_is_an_identifier():
    cpe = "cpe:2.3:a:example:pkg:1.0.0:*:*:*:*:*:*:*"
    sbom = contents(
        component("a", purl=None, cpe=cpe), component("b", purl="x", purl_valid=False, cpe=cpe)
    )
    assert element(score(sbom), "software-identifier").coverage == 100.0


def test_a_component_with_neither_purl_nor_cpe_has_no_identifier():
    sbom = contents(component("a"), component("b", purl=None, cpe=None))
    assert element(score(sbom), "software-identifier").coverage == 50.0


# --- timestamp ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2025-01-31T12:00:00Z",
        "2025-01-31T12:00:00.123456+02:00",
        "2025-01-31t12:00:00z",
        "2025-01-31T12:00:00",
        " 2025-01-31T12:00:00Z ",
    ],
)
def test_a_date_time_is_a_timestamp(timestamp):
    sbom = contents(component("a"), timestamp=timestamp)
    assert element(score(sbom), "timestamp").coverage == 100.0


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "yesterday",
        "2025-13-01T00:00:00Z",
        "2025-01-31T25:00:00Z",
        "31/01/2025 12:00",
        "2025-01-31",
    ],
)
def test_a_timestamp_that_does_not_parse_counts_as_missing(timestamp):
    quality = score(contents(component("a"), timestamp=timestamp))
    e = element(quality, "timestamp")
    assert e.coverage == 0.0
    assert e.remediation is not None
    assert "metadata.timestamp" in e.remediation


# --- dependency relationships ------------------------------------------------------------


def test_a_component_outside_the_dependency_graph_is_not_covered():
    sbom = contents(
        component("a"),
        component("b"),
        component("c"),
        component("d"),
        dependencies=(("a", "b"), ("b", "c")),
    )
    e = element(score(sbom), "dependency-relationships")
    assert e.coverage == 75.0
    assert e.remediation is not None
    assert "dependencies" in e.remediation


def test_leaves_count_as_related_through_their_parent():
    sbom = contents(
        component("root"),
        component("x"),
        component("y"),
        dependencies=(("root", "x"), ("root", "y")),
    )
    assert element(score(sbom), "dependency-relationships").coverage == 100.0


def test_a_component_without_a_ref_cannot_be_related():
    sbom = contents(component("a"), component("b"), component(None), dependencies=(("a", "b"),))
    assert element(score(sbom), "dependency-relationships").coverage == 66.7


def test_no_edges_among_several_components_is_zero():
    sbom = contents(component("a"), component("b"), dependencies=())
    assert element(score(sbom), "dependency-relationships").coverage == 0.0


def test_a_single_component_sbom_has_complete_relationships():
    sbom = contents(component(None), dependencies=())
    assert element(score(sbom), "dependency-relationships").coverage == 100.0


# --- properties --------------------------------------------------------------------------

_maybe_text = st.one_of(st.none(), st.sampled_from(["", "NOASSERTION", "x", "Acme"]))


@st.composite
def components(draw: st.DrawFn, ref: str) -> Component:
    has_purl = draw(st.booleans())
    return Component(
        ref=draw(st.sampled_from([ref, None])),
        name=draw(st.sampled_from(["", "pkg"])),
        version=draw(_maybe_text),
        type=None,
        purl="pkg:npm/x@1" if has_purl else None,
        purl_valid=draw(st.booleans()) if has_purl else True,
        cpe=draw(st.sampled_from([None, "cpe:2.3:a:x:x:1:*:*:*:*:*:*:*"])),
        supplier=draw(_maybe_text),
        licenses=draw(st.sampled_from([(), ("MIT",), ("NOASSERTION",)])),
        hashes=draw(st.sampled_from([(), (("SHA-256", "ab" * 32),)])),
    )


@st.composite
def sboms(draw: st.DrawFn) -> SbomContents:
    count = draw(st.integers(min_value=0, max_value=6))
    comps = tuple(draw(components(f"r{i}")) for i in range(count))
    refs = [f"r{i}" for i in range(count)]
    edges = (
        draw(st.lists(st.tuples(st.sampled_from(refs), st.sampled_from(refs)), max_size=6))
        if refs
        else []
    )
    return SbomContents(
        components=comps,
        dependencies=tuple(edges),
        subject_name=None,
        subject_version=None,
        subject_digests=(),
        authors=draw(st.sampled_from([(), ("Jane",)])),
        producer=draw(_maybe_text),
        tools=draw(st.sampled_from([(), ("syft 1.0",)])),
        timestamp=draw(st.sampled_from([None, "later", "2025-01-31T12:00:00Z"])),
        lifecycles=draw(st.sampled_from([(), ("build",)])),
    )


# Each fills one thing a component may lack, as the full component() has it.
_FILLS = {
    "ref": lambda c, i: dataclasses.replace(c, ref=c.ref or f"r{i}"),
    "name": lambda c, _: dataclasses.replace(c, name="pkg"),
    "version": lambda c, _: dataclasses.replace(c, version="1.0"),
    "purl": lambda c, _: dataclasses.replace(c, purl="pkg:npm/x@1", purl_valid=True),
    "cpe": lambda c, _: dataclasses.replace(c, cpe="cpe:2.3:a:x:x:1:*:*:*:*:*:*:*"),
    "supplier": lambda c, _: dataclasses.replace(c, supplier="Acme"),
    "licenses": lambda c, _: dataclasses.replace(c, licenses=("MIT",)),
    "hashes": lambda c, _: dataclasses.replace(c, hashes=(("SHA-256", "ab" * 32),)),
}


@settings(max_examples=300, deadline=None)
@given(sboms())
def test_score_is_always_between_zero_and_ten(sbom):
    quality = score(sbom)
    assert 0.0 <= quality.score <= 10.0
    assert round(quality.score, 1) == quality.score
    for e in quality.elements:
        assert 0.0 <= e.coverage <= 100.0
        assert round(e.coverage, 1) == e.coverage
        assert (e.remediation is None) == (e.coverage == 100.0)


@settings(max_examples=300, deadline=None)
@given(sboms(), st.data())
def test_filling_a_missing_field_never_lowers_the_score(sbom, data):
    assume(sbom.components)
    index = data.draw(st.integers(min_value=0, max_value=len(sbom.components) - 1))
    field = data.draw(st.sampled_from(sorted(_FILLS)))
    filled = list(sbom.components)
    filled[index] = _FILLS[field](filled[index], index)
    before = score(sbom)
    after = score(dataclasses.replace(sbom, components=tuple(filled)))
    assert after.score >= before.score
    for old, new in zip(before.elements, after.elements, strict=True):
        assert new.coverage >= old.coverage, old.id
