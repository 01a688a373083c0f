"""Service names and repository URLs (app/services/names.py): pure rules, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.services.names import (
    REPOSITORY_MAX,
    SERVICE_NAME_MAX,
    is_valid_service_name,
    normalize_repository,
)

HERE = Path(__file__).parent


def _load(name: str) -> list:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


GOOD_URLS = _load("repository_urls_good.json")
BAD_URLS = _load("repository_urls_bad.json")
GOOD_NAMES = _load("service_names_good.json")
BAD_NAMES = _load("service_names_bad.json")


@pytest.mark.parametrize(("url", "canonical"), GOOD_URLS, ids=[url for url, _ in GOOD_URLS])
def test_good_repository_url_is_normalised(url, canonical):
    assert normalize_repository(url) == canonical


@pytest.mark.parametrize("canonical", sorted({canonical for _, canonical in GOOD_URLS}))
def test_canonical_repository_url_is_a_fixed_point(canonical):
    assert normalize_repository(canonical) == canonical


@pytest.mark.parametrize(("url", "why"), BAD_URLS, ids=[why for _, why in BAD_URLS])
def test_bad_repository_url_is_rejected(url, why):
    with pytest.raises(ValueError) as raised:
        normalize_repository(url)
    assert str(raised.value), why


def test_repository_url_of_the_maximum_length_is_accepted():
    prefix = "https://gitlab.com/acme/"
    url = prefix + "a" * (REPOSITORY_MAX - len(prefix))
    assert len(url) == REPOSITORY_MAX
    assert normalize_repository(url) == url


@pytest.mark.parametrize("extra", [1, 10_000])
def test_repository_url_over_the_maximum_length_is_rejected(extra):
    prefix = "https://gitlab.com/acme/"
    url = prefix + "a" * (REPOSITORY_MAX - len(prefix) + extra)
    with pytest.raises(ValueError, match="longer than"):
        normalize_repository(url)


def test_a_trailing_git_suffix_that_makes_the_url_too_long_is_still_rejected():
    prefix = "https://gitlab.com/acme/"
    url = prefix + "a" * (REPOSITORY_MAX - len(prefix)) + ".git"
    with pytest.raises(ValueError, match="longer than"):
        normalize_repository(url)


def test_every_canonical_url_is_ascii_https_without_suffixes():
    for url, canonical in GOOD_URLS:
        assert canonical.isascii(), url
        assert canonical.startswith("https://"), url
        assert not canonical.endswith(("/", ".git")), url
        assert ":443/" not in canonical, url


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_service_name_is_valid(name):
    assert len(name) <= SERVICE_NAME_MAX
    assert is_valid_service_name(name) is True


@pytest.mark.parametrize(("name", "why"), BAD_NAMES, ids=[why for _, why in BAD_NAMES])
def test_bad_service_name_is_invalid(name, why):
    assert is_valid_service_name(name) is False, why


def test_service_name_limit_is_63_characters():
    assert is_valid_service_name("a" * SERVICE_NAME_MAX)
    assert not is_valid_service_name("a" * (SERVICE_NAME_MAX + 1))
    assert SERVICE_NAME_MAX == 63
