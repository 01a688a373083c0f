"""Hardened parsing (app/sboms/parsing.py): JSON and XML bytes that must never get through."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from app.sboms.errors import SbomMalformed
from app.sboms.loading import load_sbom
from app.sboms.parsing import MAX_DEPTH, parse_json, parse_xml
from tests.sboms.sbom_files import loopback_http_server, read

CDX16 = b'xmlns="http://cyclonedx.org/schema/bom/1.6"'


def malformed_json(body: bytes) -> SbomMalformed:
    with pytest.raises(SbomMalformed) as raised:
        parse_json(body)
    assert (raised.value.status, raised.value.slug) == (400, "sbom-malformed")
    return raised.value


def malformed_xml(body: bytes) -> SbomMalformed:
    with pytest.raises(SbomMalformed) as raised:
        parse_xml(body)
    assert (raised.value.status, raised.value.slug) == (400, "sbom-malformed")
    return raised.value


def everything_said(error: BaseException) -> str:
    """All the text an error could carry to a client or a log."""
    assert error.__cause__ is None
    return " ".join([str(error), repr(error), getattr(error, "detail", ""), *error.reasons])


# --- nesting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 10_000 + b"]" * 10_000, id="arrays"),
        pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="objects"),
        pytest.param(b'{"a":[' * 5_000 + b"]}" * 5_000, id="mixed"),
    ],
)
def test_10000_deep_json_is_rejected_as_too_deep(body):
    assert malformed_json(body).reasons == [f"nesting is deeper than {MAX_DEPTH} levels"]


def test_10000_deep_xml_is_rejected():
    body = b"<bom " + CDX16 + b">" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</bom>"
    malformed_xml(body)


@pytest.mark.parametrize(
    ("body", "levels"),
    [
        pytest.param(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, MAX_DEPTH, id="empty-innermost"),
        pytest.param(
            b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * (MAX_DEPTH - 1), MAX_DEPTH, id="scalar"
        ),
        pytest.param(
            b'{"k":' * (MAX_DEPTH - 1) + b"{}" + b"}" * (MAX_DEPTH - 1), MAX_DEPTH, id="obj"
        ),
    ],
)
def test_json_exactly_max_depth_deep_is_accepted(body, levels):
    document = parse_json(body)
    depth = 1
    while isinstance(document, (list, dict)) and document:
        document = document[0] if isinstance(document, list) else document["k"]
        depth += 1
    assert depth == levels


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), id="empty-innermost"),
        pytest.param(b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH, id="scalar"),
        pytest.param(b'{"k":' * MAX_DEPTH + b"{}" + b"}" * MAX_DEPTH, id="object"),
        pytest.param(b'{"k": [\n' * 300 + b"]}" * 300, id="beyond-orjson-dump-limit"),
    ],
)
def test_json_one_level_deeper_than_max_depth_is_rejected(body):
    assert malformed_json(body).reasons == [f"nesting is deeper than {MAX_DEPTH} levels"]


def test_xml_exactly_max_depth_deep_is_accepted_and_one_more_is_not():
    def nested(levels: int) -> bytes:
        inner = b"<a>" * (levels - 1) + b"</a>" * (levels - 1)
        return b"<bom " + CDX16 + b">" + inner + b"</bom>"

    assert len(list(parse_xml(nested(MAX_DEPTH)).iter())) == MAX_DEPTH
    assert malformed_xml(nested(MAX_DEPTH + 1)).reasons == [
        f"nesting is deeper than {MAX_DEPTH} levels"
    ]


# --- whitespace, size -------------------------------------------------------------------


def test_50_mb_of_whitespace_is_not_json():
    assert "empty" in malformed_json(b" " * (50 * 1024 * 1024)).reasons[0]


def test_50_mb_of_whitespace_is_not_xml():
    malformed_xml(b" " * (50 * 1024 * 1024))


def test_xml_followed_by_50_mb_of_whitespace_hits_libxml2s_text_limit():
    # huge_tree is off: no single text run may pass 10 MB, so this fails fast instead
    # of buffering; a JSON document may carry the same padding (see test_loading).
    malformed_xml(read("cyclonedx-1.6.xml") + b" " * (50 * 1024 * 1024))


# --- duplicate keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        pytest.param(b'{"a": 1, "a": 2}', "a", id="top-level"),
        pytest.param(b'{"x": [{"n": {"deep": 1, "deep": 1}}]}', "deep", id="nested-same-value"),
        pytest.param(b'{"name": 1, "n\\u0061me": 2}', "name", id="escaped-spelling"),
        pytest.param(b'{"a:b": 1, "a\\u003ab": 2}', "a:b", id="escaped-colon"),
        pytest.param(b'{"a" : 1 ,\n  "a"\t:\t{"b": ":"}}', "a", id="spaced-colons"),
    ],
)
def test_duplicate_keys_are_rejected_naming_the_key(body, key):
    assert malformed_json(body).reasons == [f"duplicate key {json.dumps(key)} in an object"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"a": "x:y", "b": {"c": ":"}}', id="colons-in-values"),
        pytest.param(b'{"a\\u003a": "\\u003A", "b:": 1}', id="escaped-colons-no-duplicate"),
        pytest.param(b'{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}', id="same-key-elsewhere"),
        pytest.param(b'{"q\\"": "\\":", "q": 1}', id="escaped-quotes"),
    ],
)
def test_repeated_key_names_in_different_objects_are_fine(body):
    assert parse_json(body) == json.loads(body)


# Keys drawn from a tiny alphabet so that duplicates are frequent, with the characters
# that matter to the duplicate check (':' '"' '\\') among them.
_keys = st.text(alphabet='ab:"\\', max_size=3)
# Integers orjson reads exactly; those it would round are refused (tested below).
_exact_integers = st.integers(min_value=-(2**63), max_value=2**64 - 1)
_scalars = st.one_of(
    _exact_integers, st.booleans(), st.none(), st.text(alphabet='a:\\"', max_size=4)
)
_pairs_trees = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(st.tuples(_keys, inner), max_size=4).map(lambda pairs: ("object", pairs)),
    ),
    max_leaves=20,
)


def _render(value, draw_escape) -> str:
    """JSON text of a tree whose objects are pair lists (so duplicates can be written)."""
    if isinstance(value, tuple) and value and value[0] == "object":
        members = ", ".join(
            f"{_string(k, draw_escape)} : {_render(v, draw_escape)}" for k, v in value[1]
        )
        return "{" + members + "}"
    if isinstance(value, list):
        return "[" + ",".join(_render(item, draw_escape) for item in value) + "]"
    if isinstance(value, str):
        return _string(value, draw_escape)
    return json.dumps(value)


def _string(text: str, draw_escape) -> str:
    rendered = json.dumps(text)
    return rendered.replace(":", "\\u003a") if draw_escape() else rendered


def _has_duplicates(value) -> bool:
    if isinstance(value, tuple) and value and value[0] == "object":
        keys = [k for k, _ in value[1]]
        return len(set(keys)) != len(keys) or any(_has_duplicates(v) for _, v in value[1])
    if isinstance(value, list):
        return any(_has_duplicates(item) for item in value)
    return False


@settings(max_examples=300, deadline=None)
@given(tree=_pairs_trees, data=st.data())
def test_duplicate_check_agrees_with_an_exact_oracle(tree, data):
    body = _render(tree, lambda: data.draw(st.booleans())).encode()
    if _has_duplicates(tree):
        assert "duplicate key" in malformed_json(body).reasons[0]
    else:
        assert parse_json(body) == json.loads(body)


# --- numbers, NUL, UTF-8 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"v": NaN}', b'{"v": Infinity}', b'{"v": -Infinity}', b'{"v": 1e999}', b'{"v": -1e400}'],
    ids=["NaN", "Infinity", "-Infinity", "1e999", "-1e400"],
)
def test_numbers_that_are_not_finite_are_rejected(body):
    malformed_json(body)


@pytest.mark.parametrize(
    "body",
    [
        b"-9223372036854775809",
        b'{"v": 18446744073709551616}',
        b'{"v": [1, 123456789012345678901234567890]}',
        b'{"v": 1e19}',
        b'{"v": -1.5E+20}',
    ],
)
def test_numbers_orjson_would_round_are_rejected(body):
    assert "out of range" in malformed_json(body).detail


@pytest.mark.parametrize(
    "body",
    [
        b"-9223372036854775808",
        b'{"v": 18446744073709551615}',
        b'{"v": 1e17}',
        b'{"v": 1.5e-300}',
        b'{"v": "1e+19 in a string", "w": "\\": 1e+19"}',
    ],
)
def test_exact_numbers_and_look_alikes_in_strings_are_kept(body):
    assert parse_json(body) == json.loads(body)


def _out_of_range(value) -> bool:
    """The exact oracle: a number orjson would round (stdlib json keeps big integers exact)."""
    if isinstance(value, dict):
        return any(_out_of_range(v) for v in value.values())
    if isinstance(value, list):
        return any(_out_of_range(item) for item in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**64
    if isinstance(value, float):
        return abs(value) >= 2.0**63
    return False


_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30),
)
# Strings that look like exponents, quotes and colons: what the search must not take for values.
_lookalikes = st.text(alphabet='0123456789e+.-": \\', max_size=12)
_numeric_trees = st.recursive(
    st.one_of(_numbers, _lookalikes),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_lookalikes, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(tree=_numeric_trees)
def test_the_range_check_agrees_with_an_exact_oracle(tree):
    body = json.dumps(tree).encode()
    if _out_of_range(json.loads(body)):
        assert "out of range" in malformed_json(body).detail
    else:
        assert parse_json(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [b'{"v": "a\x00b"}', b'{"v": "a\\u0000b"}', b'{"a\\u0000": 1}', b'{"v": "\\\\\\u0000"}'],
    ids=["raw", "escaped", "in-a-key", "after-an-escaped-backslash"],
)
def test_nul_characters_are_rejected(body):
    malformed_json(body)


def test_the_text_backslash_u0000_is_not_a_nul():
    assert parse_json(b'{"v": "\\\\u0000"}') == {"v": "\\u0000"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"v": "\xff"}',
        b'{"v": "\xc0\xaf"}',
        b'{"v": "\xed\xa0\x80"}',
        b'{"v": "\\ud800"}',
        b'{"v": "caf\xe9"}',
        b"\xef\xbb\xbf{}",
        '{"v": 1}'.encode("utf-16"),
    ],
    ids=["0xff", "overlong", "encoded-surrogate", "lone-surrogate", "latin-1", "bom", "utf-16"],
)
def test_json_that_is_not_utf_8_is_rejected(body):
    malformed_json(body)


@pytest.mark.parametrize(
    "body",
    [b"", b'{"a": 1', b'{"a": 1}}', b"{'a': 1}", b'{"a": 1,}', b"[1 2]", b'{"a": 01}'],
    ids=[
        "empty",
        "truncated",
        "extra-brace",
        "single-quotes",
        "trailing-comma",
        "no-comma",
        "0-prefix",
    ],
)
def test_json_syntax_errors_are_rejected_with_the_parser_message(body):
    assert malformed_json(body).reasons[0]


def test_xml_with_a_nul_or_a_forbidden_character_reference_is_rejected():
    malformed_xml(b"<bom " + CDX16 + b">\x00</bom>")
    malformed_xml(b"<bom " + CDX16 + b">&#0;</bom>")
    malformed_xml(b"<bom " + CDX16 + b">&#x1;</bom>")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="ISO-8859-1"?><bom ' + CDX16 + b"/>",
        '<?xml version="1.0" encoding="UTF-16"?><bom xmlns="x"/>'.encode("utf-16"),
    ],
    ids=["latin-1", "utf-16"],
)
def test_xml_in_an_encoding_other_than_utf_8_is_rejected(body):
    assert "UTF-8" in malformed_xml(body).reasons[0]


# --- DTDs, entities, external resources ----------------------------------------------------

SECRET = "TOP-SECRET-MARKER-5d1c9"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _xxe_documents(uri: str) -> list[bytes]:
    root = b"<bom " + CDX16 + b' version="1"><metadata><component type="application"><name>'
    end = b"</name></component></metadata></bom>"
    uri_b = uri.encode()
    return [
        b'<!DOCTYPE bom [<!ENTITY xxe SYSTEM "' + uri_b + b'">]>' + root + b"&xxe;" + end,
        b'<!DOCTYPE bom [<!ENTITY % p SYSTEM "' + uri_b + b'"> %p;]>' + root + b"x" + end,
        b'<!DOCTYPE bom SYSTEM "' + uri_b + b'">' + root + b"x" + end,
        b'<!DOCTYPE bom PUBLIC "-//X//Y" "' + uri_b + b'">' + root + b"x" + end,
    ]


@pytest.mark.parametrize("variant", range(4), ids=["entity", "parameter-entity", "dtd", "public"])
def test_xxe_is_rejected_and_reads_nothing(secret_file, variant):
    body = _xxe_documents(secret_file.as_uri())[variant]

    with pytest.raises(SbomMalformed) as raised:
        load_sbom("application/vnd.cyclonedx+xml", body)

    assert raised.value.reasons == [
        "XML with a DOCTYPE (DTD or entity declarations) is not accepted"
    ]
    assert SECRET not in everything_said(raised.value)


def test_xxe_over_http_is_rejected_and_fetches_nothing():
    with loopback_http_server() as (base, requests):
        for body in _xxe_documents(f"{base}/entity"):
            malformed_xml(body)
    assert requests == []


def test_billion_laughs_is_rejected_without_expanding():
    error = malformed_xml(read("bad-billion-laughs.xml"))
    assert "lol" not in everything_said(error)


def test_an_internal_entity_is_rejected_too():
    body = b'<!DOCTYPE bom [<!ENTITY x "y">]><bom ' + CDX16 + b">&x;</bom>"
    assert "DOCTYPE" in malformed_xml(body).reasons[0]


def test_xinclude_is_never_processed(secret_file):
    body = (
        b"<bom " + CDX16 + b' xmlns:xi="http://www.w3.org/2001/XInclude" version="1">'
        b'<xi:include href="' + secret_file.as_uri().encode() + b'" parse="text"/></bom>'
    )
    # The 1.6 schema admits elements of other namespaces here; the include stays inert.
    sbom = load_sbom("application/vnd.cyclonedx+xml", body)
    assert SECRET not in etree.tostring(sbom.document).decode()


def test_xml_comments_and_processing_instructions_are_harmless():
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><!-- made by hand -->'
        b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?><bom ' + CDX16 + b' version="1"/>'
    )
    assert etree.QName(parse_xml(body)).localname == "bom"
