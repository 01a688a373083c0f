"""parse_purl (app/sboms/purls.py): canonical text, key and version; invalid purls; and
the fast path checked against packageurl-python on generated purls of every shape."""

from __future__ import annotations

import dataclasses
import random
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.sboms import purls
from app.sboms.purls import Purl, parse_purl, purl_fields

# --- examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_text", "key", "version"),
    [
        ("pkg:npm/%40angular/core@16.2.0", "pkg:npm/%40angular/core", "16.2.0"),
        ("pkg:npm/left-pad@1.3.0", "pkg:npm/left-pad", "1.3.0"),
        ("pkg:pypi/requests@2.32.3", "pkg:pypi/requests", "2.32.3"),
        (
            "pkg:maven/org.apache.commons/commons-lang3@3.14.0?type=jar",
            "pkg:maven/org.apache.commons/commons-lang3",
            "3.14.0",
        ),
        (
            "pkg:golang/github.com/Sirupsen/logrus@v1.9.3",
            "pkg:golang/github.com/Sirupsen/logrus",
            "v1.9.3",
        ),
        ("pkg:cargo/serde@1.0.200", "pkg:cargo/serde", "1.0.200"),
        ("pkg:gem/rails@7.1.3", "pkg:gem/rails", "7.1.3"),
        ("pkg:nuget/Newtonsoft.Json@13.0.3", "pkg:nuget/Newtonsoft.Json", "13.0.3"),
        (
            "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
            "pkg:deb/debian/curl",
            "7.88.1-10+deb12u5",
        ),
        (
            "pkg:rpm/fedora/curl@8.6.0-1.fc40?arch=x86_64&epoch=1",
            "pkg:rpm/fedora/curl",
            "8.6.0-1.fc40",
        ),
        (
            "pkg:docker/library/nginx@sha256:0123abcd?repository_url=docker.io",
            "pkg:docker/library/nginx",
            "sha256:0123abcd",
        ),
        (
            "pkg:github/package-url/purl-spec@v1.0#docs/standard",
            "pkg:github/package-url/purl-spec",
            "v1.0",
        ),
        ("pkg:generic/openssl", "pkg:generic/openssl", None),
    ],
)
def test_a_canonical_purl_is_kept_with_its_key_and_decoded_version(given_text, key, version):
    assert parse_purl(given_text) == Purl(text=given_text, valid=True, key=key, version=version)


@pytest.mark.parametrize(
    ("given_text", "expected"),
    [
        # type lower-cased, pypi name lower-cased with '_' as '-', '+' escaped
        (
            "pkg:PyPI/Django_Ext@4.2+local",
            ("pkg:pypi/django-ext@4.2%2Blocal", "pkg:pypi/django-ext", "4.2+local"),
        ),
        # npm: the scope's '@' escaped, the name (not the scope) lower-cased
        (
            "pkg:npm/@Types/Node@20.1.0",
            ("pkg:npm/%40Types/node@20.1.0", "pkg:npm/%40Types/node", "20.1.0"),
        ),
        # qualifiers sorted, keys lower-cased, empty ones dropped; '.' subpath segments dropped
        (
            "pkg:deb/debian/curl@7.88?Distro=debian-12&arch=amd64&empty=#./src/../lib",
            (
                "pkg:deb/debian/curl@7.88?arch=amd64&distro=debian-12#src/lib",
                "pkg:deb/debian/curl",
                "7.88",
            ),
        ),
        # github namespace and name lower-cased; lower-case escapes written upper case
        (
            "pkg:github/Package-URL/Purl-Spec@v1%2bx",
            (
                "pkg:github/package-url/purl-spec@v1%2Bx",
                "pkg:github/package-url/purl-spec",
                "v1+x",
            ),
        ),
    ],
)
def test_a_purl_that_is_not_canonical_is_normalised(given_text, expected):
    text, key, version = expected
    assert parse_purl(given_text) == Purl(text=text, valid=True, key=key, version=version)


@pytest.mark.parametrize(
    "given_text",
    [
        "",
        " ",
        "pkg:",
        "pkg:/name",
        "pkg:pypi/",
        "pkg:pypi/a@1?q",
        "pkg:1pypi/requests@1",
        "pkg:py pi/requests@1",
        "PKG:pypi/requests@1",
        "pkg:npm/a@1?1key=value",
        "\x00",
        "not a purl",
        "pkg:" * 999,
    ],
)
def test_an_invalid_purl_is_kept_as_given_and_never_raises(given_text):
    assert parse_purl(given_text) == Purl(text=given_text, valid=False, key=None, version=None)


def test_a_query_without_version_has_the_key_of_every_version():
    stored = [
        parse_purl("pkg:npm/%40angular/core@16.2.0"),
        parse_purl("pkg:npm/@angular/core@17.0.0?foo=bar"),
        parse_purl("pkg:NPM/%40angular/Core@18.0.0#sub"),
    ]
    query = parse_purl("pkg:npm/@angular/core")

    assert query.key == query.text == "pkg:npm/%40angular/core"
    assert {purl.key for purl in stored} == {query.key}
    assert all(purl.text.startswith(query.key) for purl in stored)


def test_purl_fields_are_parse_purl_as_a_tuple():
    for text in ("pkg:pypi/requests@2.32.3", "pkg:PyPI/Requests@2.32.3", "nope"):
        assert Purl(*purl_fields(text)) == parse_purl(text)


def test_a_purl_is_immutable():
    purl = parse_purl("pkg:pypi/requests@2.32.3")
    with pytest.raises(dataclasses.FrozenInstanceError):
        purl.valid = False  # type: ignore[misc]


def test_only_short_purls_are_cached():
    purls._slow_cached.cache_clear()
    long_purl = "pkg:PyPI/" + "a" * purls._CACHE_MAX_LENGTH + "@1"

    parse_purl("pkg:PyPI/Requests@1")
    parse_purl(long_purl)

    assert purls._slow_cached.cache_info().currsize == 1
    assert parse_purl(long_purl).text == long_purl.replace("PyPI", "pypi")


# --- the fast path against packageurl-python ----------------------------------------

TYPES = [
    *("npm", "pypi", "maven", "golang", "cargo", "gem", "nuget", "deb", "rpm", "docker"),
    *("generic", "github", "oci", "huggingface", "composer", "gitlab", "bitbucket", "hex"),
    *("qpkg", "apk", "alpm", "bitnami", "luarocks", "swift", "conan", "cocoapods"),
    # rules of their own, and types packageurl-python treats as cpan or mlflow
    *("pub", "hackage", "cpan", "mlflow", "c", "an", "flow", "low", "m"),
    # unusual spellings
    *("NPM", "PyPI", "x.y", "a_b", "a-b", "1abc", "-x"),
]
# Pieces of namespaces, names, versions, qualifier values and subpaths: everything the
# fast path must either get exactly right or leave alone.
PIECES = [
    *("a", "z", "B", "Z", "0", "9", ".", "..", "-", "_", "~", "+", "%", "@", ":", "/"),
    *(" ", "?", "#", "&", "=", "!", "*", "é", "\t", "\n"),
    *("%20", "%2B", "%2b", "%40", "%2F", "%3A", "%3a", "%25", "%21", "%7E", "%41", "%61"),
    *("%C3%A9", "%ZZ", "%2", "%5B", "%7d", "%7D", "%0A"),
    *("Foo", "foo", "A_b", "1.0.0", "v2", "sha256:ab"),
]
QUALIFIER_KEYS = [
    *("arch", "distro", "type", "repository_url", "classifier", "epoch", "a", "b"),
    *("Arch", "1x", "_k", ".k", "k.e-y", " x", "", "k%41", "k y"),
]


def _clean(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + ".-_~") for _ in range(6))


def _piece(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return _clean(rng)[: rng.randint(1, 6)]
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))


def generated_purl(rng: random.Random) -> str:
    """A purl-like string: valid or not, canonical or not, of any of TYPES."""
    type_ = rng.choice(TYPES)
    segments = [_piece(rng) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
    if type_ == "npm" and rng.random() < 0.3:
        segments = [rng.choice(("%40", "@")) + _clean(rng)]
    text = f"pkg:{type_}/" + "/".join([*segments, _piece(rng)])
    if rng.random() < 0.7:
        text += "@" + _piece(rng)
    if rng.random() < 0.4:
        pairs = [
            rng.choice(QUALIFIER_KEYS)
            + ("=" if rng.random() < 0.95 else "")
            + rng.choice((_clean(rng), _piece(rng), "https://repo.example/x", "", " "))
            for _ in range(rng.randint(1, 3))
        ]
        text += "?" + "&".join(pairs)
    if rng.random() < 0.3:
        text += "#" + "/".join(
            rng.choice((_clean(rng), _piece(rng), ".", "..", "")) for _ in range(rng.randint(1, 3))
        )
    return text


def canonical_purl(rng: random.Random, index: int) -> str:
    """A canonical purl of the kind generators write, of one of twelve ecosystems."""
    version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{index}"
    name = _clean(rng).lower().replace("_", "-")
    return rng.choice(
        (
            f"pkg:npm/%40scope{index % 7}/{name}@{version}",
            f"pkg:npm/{name}@{version}",
            f"pkg:pypi/{name}@{version}",
            f"pkg:maven/org.example/{_clean(rng)}@{version}?classifier=sources&type=jar",
            f"pkg:golang/github.com/Example/{_clean(rng)}@v{version}",
            f"pkg:cargo/{_clean(rng)}@{version}",
            f"pkg:gem/{_clean(rng)}@{version}",
            f"pkg:nuget/{_clean(rng)}@{version}",
            f"pkg:deb/debian/{name}@{version}-1%2Bdeb12u1?arch=amd64&distro=debian-12",
            f"pkg:rpm/fedora/{_clean(rng)}@{version}-1.fc40?arch=x86_64",
            f"pkg:docker/library/{name}@sha256:{index:064x}?repository_url=docker.io",
            f"pkg:generic/{_clean(rng)}@{version}#sub/path",
            f"pkg:github/{name}/{name}@v{version}",
        )
    )


def _fast_path_is_exact(text: str) -> bool:
    """The fast path declines ``text`` or agrees with packageurl-python, and so does
    parse_purl; the same for the canonical text packageurl-python makes of it."""
    slow = purls._slow(text)
    texts = [text] if not slow[1] or slow[0] == text else [text, slow[0]]
    for candidate in texts:
        expected = purls._slow(candidate)
        fast = purls._fast(candidate)
        if (fast is not None and fast != expected) or purl_fields(candidate) != expected:
            return False
    return True


def test_the_fast_path_agrees_with_packageurl_python_on_a_generated_corpus():
    rng = random.Random(20240501)
    corpus = [generated_purl(rng) for _ in range(6000)]

    assert [text for text in corpus if not _fast_path_is_exact(text)] == []
    # Not vacuous: the fast path takes a good share of the canonical texts and leaves
    # the others (escaped non-ASCII, rules of their own, ...) to packageurl-python.
    canonical = {text for text, valid, _, _ in map(purls._slow, corpus) if valid}
    taken = sum(purls._fast(text) is not None for text in canonical)
    assert len(canonical) // 3 < taken < len(canonical)


def test_the_fast_path_takes_every_canonical_purl_generators_write():
    rng = random.Random(7)
    corpus = [canonical_purl(rng, index) for index in range(3000)]

    for text in corpus:
        assert purls._slow(text)[0] == text  # canonical indeed
        assert purls._fast(text) == purls._slow(text)


@st.composite
def purl_like(draw: st.DrawFn) -> str:
    return generated_purl(random.Random(draw(st.integers(0, 2**32))))


@settings(max_examples=500, deadline=None)
@given(purl_like())
def test_the_fast_path_is_exact_for_generated_purls(text):
    assert _fast_path_is_exact(text)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(TYPES),
    st.lists(st.sampled_from([*PIECES, *"/@?#&="]), max_size=12).map("".join),
)
@example("npm", "%40a/b@1?x=1&y=2#c")
@example("pypi", "a_b@1")
@example("oci", "a@SHA256:AB")
@example("huggingface", "a/b@%2B")
def test_the_fast_path_is_exact_for_arbitrary_text_after_the_type(type_, rest):
    assert _fast_path_is_exact(f"pkg:{type_}/{rest}")
