"""OpenVEX documents: the statements of a verified attestation's predicate. Pure.

An OpenVEX document (``https://openvex.dev/ns``, ``…/v0.2.0``; github.com/openvex/spec)
arrives as the predicate of an in-toto statement whose subjects are the artifacts it
speaks about. ``statements_of`` reads every statement when the attestation is
accepted; a document the spec does not allow is refused (``VexMalformed``, 422, one
reason per problem), so nothing of it is kept. What each statement keeps:

* the vulnerability: its ``name``, and its ``@id`` and ``aliases`` where given (a
  plain string, as OpenVEX before 0.0.2 wrote it, is the name);
* the products: each one's ``@id`` when it is a purl or a ``sha256:``/``sha512:``
  digest, its ``identifiers.purl``, its ``hashes`` (``sha-256``, ``sha-512``) and the
  purls of its ``subcomponents``. Other identifiers (CPEs, other IRIs) are read past:
  they match nothing. A statement without products speaks of the attestation's
  subjects (the spec's inheritance from the encapsulating document);
* the status and what the spec requires with it: ``not_affected`` a ``justification``
  (one of the five labels) or an ``impact_statement``, ``affected`` an
  ``action_statement``; ``fixed`` and ``under_investigation`` nothing more;
* its timestamp: the statement's, else the document's (which the spec requires). A
  time later than the attestation was received (give or take ``CLOCK_SKEW``) is
  refused: the latest statement decides, so a statement dated in the future would
  outrank every statement made until then.

Every list is bounded (statements, products, subcomponents, aliases) and so is every
identifier's length. How statements close vulnerabilities is ``app.vulnerabilities.findings``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast

from app.attestations.verification import Verified
from app.clock import parse_rfc3339
from app.errors import InvalidRequest
from app.sboms.purls import parse_purl

VEX_PREDICATE_TYPES: Final = frozenset({"https://openvex.dev/ns", "https://openvex.dev/ns/v0.2.0"})
OPENVEX_CONTEXT_PREFIX: Final = "https://openvex.dev/ns"

VexStatus = Literal["not_affected", "affected", "fixed", "under_investigation"]
STATUSES: Final[tuple[VexStatus, ...]] = (
    "not_affected",
    "affected",
    "fixed",
    "under_investigation",
)
JUSTIFICATIONS: Final = frozenset(
    {
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    }
)
# How far ahead of attestd's clock a statement's time may be: its author's clock may run fast.
CLOCK_SKEW: Final = timedelta(minutes=5)
MAX_STATEMENTS: Final = 10_000
MAX_PRODUCTS: Final = 1_000  # of a statement, and subcomponents of a product
MAX_ALIASES: Final = 100
MAX_IDENTIFIER_CHARS: Final = 2_000
_MAX_REASONS: Final = 20
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_HASHES: Final = {"sha-256": "sha256", "sha-512": "sha512"}


class VexMalformed(InvalidRequest):
    slug = "vex-malformed"
    title = "The OpenVEX document is not valid"


@dataclass(frozen=True, slots=True)
class Product:
    """What a statement speaks of: a product by digest or purl, and the subcomponents in it."""

    digests: tuple[str, ...] = ()  # "sha256:<hex>" / "sha512:<hex>", lower case
    purls: tuple[str, ...] = ()  # canonical
    subcomponents: tuple[tuple[str, ...], ...] = ()  # the purls of each; () of one: none

    def to_json(self) -> dict[str, Any]:
        return {
            "digests": list(self.digests),
            "purls": list(self.purls),
            "subcomponents": [list(purls) for purls in self.subcomponents],
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Product:
        return cls(
            digests=tuple(value["digests"]),
            purls=tuple(value["purls"]),
            subcomponents=tuple(tuple(purls) for purls in value["subcomponents"]),
        )


@dataclass(frozen=True, slots=True)
class Statement:
    """One OpenVEX statement, as attestd keeps it."""

    vulnerability: str  # its name
    aliases: tuple[str, ...]  # its @id and aliases
    status: VexStatus
    justification: str | None  # a not_affected statement's label, if it gives one
    timestamp: datetime  # aware, UTC
    products: tuple[Product, ...] | None = None  # None: the attestation's subjects


def statements_of(verified: Verified, *, received: datetime) -> tuple[Statement, ...] | None:
    """The statements of a verified OpenVEX attestation received at ``received``; None when
    it is no OpenVEX one."""
    if verified.predicate_type not in VEX_PREDICATE_TYPES:
        return None
    return read_openvex((verified.statement or {}).get("predicate"), received=received)


def read_openvex(document: Any, *, received: datetime) -> tuple[Statement, ...]:
    """Every statement of an OpenVEX document received at ``received``; ``VexMalformed``
    with the reasons when it is not one."""
    reader = _Reader(latest=received + CLOCK_SKEW)
    statements = reader.document(document)
    if reader.reasons:
        shown = reader.reasons[:_MAX_REASONS]
        if len(reader.reasons) > _MAX_REASONS:
            shown.append(f"… and {len(reader.reasons) - _MAX_REASONS} more")
        raise VexMalformed(
            "The attestation verified, but its predicate is not a valid OpenVEX document; "
            "nothing of it was kept.",
            reasons=shown,
        )
    return statements


class _Reader:
    """Reads a document, noting every problem instead of stopping at the first."""

    def __init__(self, *, latest: datetime) -> None:
        self.reasons: list[str] = []
        self.latest = latest  # no statement may be dated after this

    def _problem(self, path: str, text: str) -> None:
        self.reasons.append(f"{path}: {text}")

    def _text(self, value: Any, path: str) -> str | None:
        """A non-empty string of bounded length, trimmed; None (and a problem) otherwise."""
        if isinstance(value, str) and 0 < len(value.strip()) <= MAX_IDENTIFIER_CHARS:
            return value.strip()
        self._problem(
            path, f"must be a non-empty string of at most {MAX_IDENTIFIER_CHARS} characters"
        )
        return None

    def _list(self, value: Any, path: str, limit: int) -> list[Any]:
        if not isinstance(value, list):
            self._problem(path, "must be an array")
            return []
        if len(value) > limit:
            self._problem(path, f"lists {len(value)} items; attestd reads at most {limit}")
            return []
        return value

    def _object(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self._problem(path, "must be an object")
        return None

    def _time(self, value: Any, path: str) -> datetime | None:
        moment = parse_rfc3339(value) if isinstance(value, str) else None
        if moment is None:
            self._problem(path, "must be an RFC 3339 date-time with its offset")
        elif moment > self.latest:
            self._problem(path, f"{value} is later than the attestation was received")
            return None
        return moment

    def document(self, document: Any) -> tuple[Statement, ...]:
        found = self._object(document, "predicate")
        if found is None:
            return ()
        context = found.get("@context")
        if not (isinstance(context, str) and context.startswith(OPENVEX_CONTEXT_PREFIX)):
            self._problem("@context", f"must be an OpenVEX context ({OPENVEX_CONTEXT_PREFIX}…)")
        issued = self._time(found.get("timestamp"), "timestamp")
        if found.get("statements") == []:
            self._problem("statements", "lists no statement")
        items = self._list(found.get("statements"), "statements", MAX_STATEMENTS)
        read = [self._statement(item, f"statements[{i}]", issued) for i, item in enumerate(items)]
        return tuple(statement for statement in read if statement is not None)

    def _statement(self, value: Any, path: str, issued: datetime | None) -> Statement | None:
        found = self._object(value, path)
        if found is None:
            return None
        before = len(self.reasons)
        name, aliases = self._vulnerability(found.get("vulnerability"), f"{path}.vulnerability")
        status = found.get("status")
        justification = found.get("justification")
        if status not in STATUSES:
            self._problem(
                f"{path}.status", f"must be one of {', '.join(STATUSES)}, not {_shown(status)}"
            )
        if justification is not None and justification not in JUSTIFICATIONS:
            self._problem(
                f"{path}.justification",
                f"{_shown(justification)} is not a VEX justification label "
                f"({', '.join(sorted(JUSTIFICATIONS))})",
            )
        if status == "not_affected" and justification is None:
            if "impact_statement" not in found:
                self._problem(path, "not_affected needs a justification or an impact_statement")
            else:
                self._text(found["impact_statement"], f"{path}.impact_statement")
        if status == "affected":
            self._text(found.get("action_statement"), f"{path}.action_statement")
        products = self._products(found.get("products"), f"{path}.products")
        moment = issued
        if "timestamp" in found:
            moment = self._time(found["timestamp"], f"{path}.timestamp")
        if len(self.reasons) > before or name is None or moment is None:
            return None
        return Statement(
            vulnerability=name,
            aliases=aliases,
            status=cast(VexStatus, status),
            justification=justification if status == "not_affected" else None,
            timestamp=moment,
            products=products,
        )

    def _vulnerability(self, value: Any, path: str) -> tuple[str | None, tuple[str, ...]]:
        if isinstance(value, str):  # OpenVEX before 0.0.2
            return self._text(value, path), ()
        found = self._object(value, path)
        if found is None:
            return None, ()
        name = self._text(found.get("name"), f"{path}.name")
        aliases = []
        if "@id" in found:
            aliases.append(self._text(found["@id"], f"{path}.@id"))
        if "aliases" in found:
            listed = self._list(found["aliases"], f"{path}.aliases", MAX_ALIASES)
            aliases += [self._text(a, f"{path}.aliases[{i}]") for i, a in enumerate(listed)]
        return name, tuple(dict.fromkeys(alias for alias in aliases if alias))

    def _products(self, value: Any, path: str) -> tuple[Product, ...] | None:
        if value is None or value == []:
            return None  # the attestation's subjects
        items = self._list(value, path, MAX_PRODUCTS)
        products = []
        for index, item in enumerate(items):
            product = self._object(item, f"{path}[{index}]")
            if product is None:
                continue
            digests, purls = self._identifiers(product, f"{path}[{index}]")
            subcomponents = []
            if "subcomponents" in product:
                where = f"{path}[{index}].subcomponents"
                for number, sub in enumerate(
                    self._list(product["subcomponents"], where, MAX_PRODUCTS)
                ):
                    found = self._object(sub, f"{where}[{number}]")
                    if found is not None:
                        subcomponents.append(self._identifiers(found, f"{where}[{number}]")[1])
            products.append(Product(digests, purls, tuple(subcomponents)))
        return tuple(products)

    def _identifiers(
        self, component: Mapping[str, Any], path: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(digests, canonical purls) of a product or subcomponent."""
        named = [(f"{path}.@id", component.get("@id"))]
        if "identifiers" in component and (
            identifiers := self._object(component["identifiers"], f"{path}.identifiers")
        ):
            named.append((f"{path}.identifiers.purl", identifiers.get("purl")))
        digests: list[str] = []
        purls: list[str] = []
        for where, value in named:
            text = None if value is None else self._text(value, where)
            if text is None:
                continue
            if text.startswith("pkg:"):
                purl = parse_purl(text)
                if purl.valid:
                    purls.append(purl.text)
                else:
                    self._problem(where, f"{_shown(text)} is not a valid purl")
            elif _DIGEST.fullmatch(text.lower()):
                digests.append(text.lower())
        if "hashes" in component:
            digests += self._hashes(component["hashes"], f"{path}.hashes")
        return tuple(dict.fromkeys(digests)), tuple(dict.fromkeys(purls))

    def _hashes(self, value: Any, path: str) -> list[str]:
        """The SHA-256 and SHA-512 digests of a ``hashes`` map; other algorithms read past."""
        hashes = self._object(value, path) or {}
        digests = []
        for label, algorithm in _HASHES.items():
            if label in hashes:
                digest = f"{algorithm}:{str(hashes[label]).lower()}"
                if _DIGEST.fullmatch(digest):
                    digests.append(digest)
                else:
                    self._problem(f"{path}.{label}", "is not a hex digest of its length")
        return digests


def _shown(value: Any) -> str:
    return repr(value)[:100]


def statement_row(attestation_id: int, position: int, statement: Statement) -> dict[str, Any]:
    """The ``vex_statements`` row of one statement (products: null for the subjects)."""
    products = statement.products
    return {
        "attestation_id": attestation_id,
        "position": position,
        "vulnerability": statement.vulnerability,
        "aliases": list(statement.aliases),
        "status": statement.status,
        "justification": statement.justification,
        "timestamp": statement.timestamp,
        "products": None if products is None else [product.to_json() for product in products],
    }


def products_from_json(value: list[dict[str, Any]] | None) -> tuple[Product, ...] | None:
    """A statement's products as ``statement_row`` stores them."""
    return None if value is None else tuple(Product.from_json(item) for item in value)
