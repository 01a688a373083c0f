"""Package URLs (purls): canonical text, validity and the index key of a package. Pure.

``parse_purl`` is the one way a purl enters attestd, from an SBOM or from a query, so
both sides agree on the canonical text and on ``key``. Canonical means what
packageurl-python writes (``PackageURL.from_string(text).to_string()``); a purl that
does not parse is kept exactly as given and flagged, never an error.

packageurl-python costs ~20 us a purl, ~200 ms for a 10,000-component SBOM, while
generators nearly always write purls that are canonical already. So a purl first
meets ``_FAST``, a strict pattern every match of which packageurl-python returns
unchanged; anything it is not sure of goes to packageurl-python. Why a match is
returned unchanged, part by part (packageurl-python 0.17):

* Text is parsed by ``urlsplit`` (fragment at the first ``#``, query at the first
  ``?``, version after the path's last ``@``), each part is percent-decoded, then
  re-encoded with ``urllib.parse.quote`` (safe ``/``, ``%3A`` put back as ``:``),
  which keeps only ``A-Za-z0-9._~-``, ``/`` and ``:`` literal and writes every other
  byte as ``%XX`` in upper case. So a canonical part holds those characters and
  upper-case escapes of bytes ``quote`` encodes. The pattern takes escapes only of
  ASCII punctuation (``_ESCAPED``), never of whitespace or control characters, which
  ``strip`` would drop, nor of ``/`` or ``:``, which come back literal; ``@``, ``?``,
  ``#``, ``&`` and ``=`` are literal only as the separators. Namespace and name
  segments take no ``:``, so ``urlsplit`` never sees a URL scheme or authority, and
  no empty segment; the type is lower case and starts with a letter.
* Qualifier keys are lower case and sorted without repeats, each with a value;
  subpath segments are never ``.`` or ``..`` (both dropped).
* Some types change the text (``_LOWER_NAMESPACE``, ``_LOWER_NAME``,
  ``_LOWER_VERSION``, pypi's ``_``): a match of theirs must be lower case already,
  so its escapes with a hex letter (written in lower case in those names and
  versions, in upper case in those namespaces) go to packageurl-python, as do types
  with rules of their own (``_OWN_RULES``: packageurl-python applies cpan's and
  mlflow's to any type spelled by a substring of theirs).

tests/sboms/test_purls.py checks that both paths agree on generated purls of every
shape, accepted by the pattern or not: rerun it when packageurl-python changes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import pairwise

from packageurl import PackageURL


@dataclass(frozen=True, slots=True)
class Purl:
    """A purl as attestd stores and queries it."""

    text: str  # canonical (packageurl-python's to_string) when valid, else exactly as given
    valid: bool
    key: str | None  # canonical "pkg:type/namespace/name", the prefix of every version's purl
    version: str | None  # percent-decoded, when valid and present


# Bytes ``quote`` encodes that may appear escaped in the fast path: ASCII punctuation
# other than the literal ``/`` and ``:``.
_ESCAPED = r"%(?:2[1-9A-C]|3[B-F]|40|5[B-E]|60|7[B-D])"
# Decoding table of the escapes above (urllib.parse.unquote takes three times longer).
_ASCII_BYTES = {f"{byte:02X}": chr(byte) for byte in range(0x20, 0x7F)}
_LITERAL = r"A-Za-z0-9._~\-"
# Runs of literal characters between escapes: several times faster in ``re`` than
# one alternation a character.
_SEGMENT = rf"(?:[{_LITERAL}]++|{_ESCAPED})++"
_VERSION = rf"(?:[{_LITERAL}:]++|{_ESCAPED})++"
_QUALIFIER = rf"[a-z][a-z0-9._\-]*+=(?:[{_LITERAL}:/]++|{_ESCAPED})++"
_SUBPATH_SEGMENT = rf"(?!\.\.?+(?:/|\Z)){_VERSION}"
# Possessive quantifiers throughout: no backtracking, linear in the purl's length.
_FAST = re.compile(
    rf"pkg:(?P<type>[a-z][a-z0-9._\-]*+)/"
    rf"(?P<path>(?:{_SEGMENT}/)*+{_SEGMENT})"  # namespace segments, then the name
    rf"(?:@(?P<version>{_VERSION}))?+"
    rf"(?:\?(?P<qualifiers>{_QUALIFIER}(?:&{_QUALIFIER})*+))?+"
    rf"(?:#(?P<subpath>{_SUBPATH_SEGMENT}(?:/{_SUBPATH_SEGMENT})*+))?+"
)

# What packageurl-python changes in a purl of each type (packageurl/__init__.py,
# normalize_*); a type absent here keeps its text as written.
_LOWER_NAMESPACE = 1
_LOWER_NAME = 2  # and writes the name's escapes in lower case
_LOWER_VERSION = 4  # and the version's escapes
_NO_UNDERSCORE = 8  # '_' becomes '-' in the name
_OWN_RULES = 16  # left to packageurl-python


def _type_rules() -> dict[str, int]:
    """The rules of each type that has some."""
    rules: dict[str, int] = {}
    for type_ in ("bitbucket", "github", "gitlab", "composer", "luarocks", "alpm", "apk", "hex"):
        rules[type_] = _LOWER_NAMESPACE | _LOWER_NAME
    rules["qpkg"] = _LOWER_NAMESPACE
    rules["pypi"] = _LOWER_NAMESPACE | _LOWER_NAME | _NO_UNDERSCORE
    rules["npm"] = rules["bitnami"] = _LOWER_NAME
    rules["oci"] = _LOWER_NAME | _LOWER_VERSION
    rules["huggingface"] = _LOWER_VERSION
    # pub and hackage rewrite names; cpan's and mlflow's rules apply to every type
    # spelled by a substring of theirs ("pan", "flow", ...).
    own = {"pub", "hackage"}
    for word in ("cpan", "mlflow"):
        own.update(word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1))
    rules.update(dict.fromkeys(own, _OWN_RULES))
    return rules


_TYPE_RULES = _type_rules()

# The canonical text ends the key at its first '@' (version), '?' or '#'.
_AFTER_NAME = re.compile(r"[@?#]")

# Purls the fast path declines are few but repeat across the SBOMs of a service. Long
# ones are parsed every time so that the cache stays small whatever a document holds.
_CACHE_SIZE = 16384
_CACHE_MAX_LENGTH = 512

# (text, valid, key, version): the fields of a Purl.
PurlFields = tuple[str, bool, str | None, str | None]


def parse_purl(text: str) -> Purl:
    """``text`` as a canonical purl with its key and version, or flagged invalid."""
    return Purl(*purl_fields(text))


def purl_fields(text: str) -> PurlFields:
    """``parse_purl(text)`` as a plain tuple, for callers that read thousands at once."""
    return _fast(text) or (_slow_cached(text) if len(text) <= _CACHE_MAX_LENGTH else _slow(text))


def _fast(text: str) -> PurlFields | None:
    """The fields of an already canonical ``text``; None when the pattern is not sure."""
    match = _FAST.fullmatch(text)
    if match is None:
        return None
    type_, path, version, qualifiers, _ = match.groups()
    rules = _TYPE_RULES.get(type_, 0)
    if rules and not _unchanged_by_type(rules, path, version):
        return None
    if qualifiers is not None and "&" in qualifiers:
        keys = [pair.partition("=")[0] for pair in qualifiers.split("&")]
        if any(first >= second for first, second in pairwise(keys)):
            return None
    if version is not None and "%" in version:
        version = _unescape(version)
    return text, True, text[: match.end("path")], version


def _unescape(text: str) -> str:
    """Percent-decode ``text`` whose every ``%`` starts an escape of one ASCII byte."""
    head, *escaped = text.split("%")
    return head + "".join([_ASCII_BYTES[part[:2]] + part[2:] for part in escaped])


def _unchanged_by_type(rules: int, path: str, version: str | None) -> bool:
    """Whether the rules of a purl's type leave its namespace, name and version as they are."""
    if rules & _OWN_RULES:
        return False
    namespace, _, name = path.rpartition("/")
    return not (
        (rules & _LOWER_NAME and name.lower() != name)
        or (rules & _NO_UNDERSCORE and "_" in name)
        # Lowered before it is encoded, so its escapes stay upper case: one with a hex
        # letter is left to packageurl-python.
        or (rules & _LOWER_NAMESPACE and namespace.lower() != namespace)
        or (rules & _LOWER_VERSION and version and version.lower() != version)
    )


def _slow(text: str) -> PurlFields:
    """Parse and normalise ``text`` with packageurl-python."""
    try:
        parsed = PackageURL.from_string(text)
        canonical = parsed.to_string()
    except Exception:  # noqa: BLE001 - any parser failure means "invalid purl", never a 500
        return text, False, None, None
    after_name = _AFTER_NAME.search(canonical)
    key = canonical[: after_name.start()] if after_name else canonical
    return canonical, True, key, parsed.version or None


_slow_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_slow)
