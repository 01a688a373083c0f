"""vers: ranges (app/sboms/ranges.py): parsing, per-ecosystem ordering, purl types.

The cases are data, in range_cases.json next to this file (not under files/, which
holds only SBOMs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sboms.ranges import (
    MAX_CONSTRAINTS,
    MAX_RANGE_CHARS,
    UNIVERS_SCHEME_BY_SCHEME,
    InvalidVersionRange,
    parse_range,
    range_matches_purl_type,
)

CASES = json.loads((Path(__file__).parent / "range_cases.json").read_text(encoding="utf-8"))


def _id(case: dict[str, object]) -> str:
    return " ".join(str(case[key]) for key in ("range", "version", "purl_type") if key in case)


@pytest.mark.parametrize("case", CASES["contains"], ids=_id)
def test_contains_follows_the_ecosystem_ordering(case):
    assert parse_range(case["range"]).contains(case["version"]) is case["expected"], case["why"]


@pytest.mark.parametrize("case", CASES["not_parsed"], ids=_id)
def test_a_version_the_ecosystem_cannot_parse_is_not_contained(case):
    assert parse_range(case["range"]).contains(case["version"]) is False


def _assert_refused(text: str) -> InvalidVersionRange:
    with pytest.raises(InvalidVersionRange) as caught:
        parse_range(text)
    error = caught.value
    assert error.status == 422
    assert error.slug == "invalid-version-range"
    assert error.reasons
    assert all(reason.strip() for reason in error.reasons)
    return error


@pytest.mark.parametrize("case", CASES["invalid"], ids=_id)
def test_a_bad_range_is_a_422_with_a_reason(case):
    _assert_refused(case["range"])


def test_a_10000_character_range_is_refused_before_univers_parses_it():
    text = "vers:npm/" + "|".join(f"{i}.0.0" for i in range(2_000))
    assert len(text) > 10_000
    error = _assert_refused(text[:10_000])
    assert str(MAX_RANGE_CHARS) in error.reasons[0]


def test_a_range_of_exactly_the_length_limit_is_accepted():
    prefix = "vers:npm/>=1.0.0|<"
    text = prefix + "2" + "0" * (MAX_RANGE_CHARS - len(prefix) - 5) + ".0.0"
    assert len(text) == MAX_RANGE_CHARS
    assert parse_range(text).contains("3.0.0")


def test_too_many_constraints_are_refused():
    versions = "|".join(f"{i}.0.0" for i in range(MAX_CONSTRAINTS + 1))
    error = _assert_refused(f"vers:npm/{versions}")
    assert str(MAX_CONSTRAINTS) in error.reasons[0]


def test_the_constraint_limit_itself_is_accepted():
    versions = "|".join(f"{i}.0.0" for i in range(MAX_CONSTRAINTS))
    version_range = parse_range(f"vers:npm/{versions}")
    assert version_range.contains(f"{MAX_CONSTRAINTS - 1}.0.0")
    assert not version_range.contains(f"{MAX_CONSTRAINTS}.0.0")


def test_an_unknown_scheme_names_the_known_ones():
    error = _assert_refused("vers:foo/1.0")
    assert "'foo'" in error.reasons[0]
    assert "npm" in error.reasons[0]


@pytest.mark.parametrize("case", CASES["purl_types"], ids=_id)
def test_a_range_applies_to_the_purl_types_of_its_scheme(case):
    version_range = parse_range(case["range"])
    assert range_matches_purl_type(version_range, case["purl_type"]) is case["expected"]


@pytest.mark.parametrize("scheme", sorted(UNIVERS_SCHEME_BY_SCHEME))
def test_every_accepted_scheme_parses_and_applies_to_its_own_type(scheme):
    version_range = parse_range(f"vers:{scheme}/>=1.0.0|<2.0.0")
    assert version_range.scheme == scheme
    assert range_matches_purl_type(version_range, scheme)
    assert version_range.contains("1.5.0")
    assert not version_range.contains("2.5.0")


def test_the_canonical_form_keeps_the_scheme_as_given():
    assert str(parse_range("vers:semver/<2.0.0|>=1.0.0")) == "vers:semver/>=1.0.0|<2.0.0"
    assert str(parse_range("VERS:PyPI/ >= 1.0 ")) == "vers:pypi/>=1.0"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_parsing_arbitrary_text_raises_only_the_range_problem(text):
    for candidate in (text, f"vers:npm/{text}", f"vers:pypi/{text}", f"vers:maven/{text}"):
        try:
            parse_range(candidate)
        except InvalidVersionRange:
            continue


RANGE_PER_SCHEME = [parse_range(f"vers:{scheme}/>=1.0|<3") for scheme in UNIVERS_SCHEME_BY_SCHEME]


@settings(max_examples=300, deadline=None)
@given(
    version=st.text(max_size=40)
    | st.from_regex(r"v?[0-9]{1,3}(\.[0-9a-z]{1,3}){0,4}[-+!:~_.]?[a-z0-9.]{0,6}", fullmatch=True)
)
def test_contains_never_raises_on_any_version_string(version):
    for version_range in RANGE_PER_SCHEME:
        assert version_range.contains(version) in (True, False)
