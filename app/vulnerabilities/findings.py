"""Which vulnerabilities an artifact's newest SBOM lists are still open. Pure.

``decide`` takes the vulnerabilities the SBOM lists and the statements of the VEX
attestations that count for the artifact (the caller picks them: verified under the
policy and trust roots in force, naming the artifact as a subject). A statement
speaks of a listed vulnerability when

* it names it: the vulnerability's id is the statement's vulnerability name, ``@id``
  or one of its aliases (compared case-insensitively; an SBOM entry without an id is
  named by nothing);
* and one of its products is where the vulnerability is: a product naming the
  artifact by digest, or one naming a component the vulnerability affects by purl
  (``purl_matches``). A product listing subcomponents speaks only of them: one of
  them must name an affected component too. A statement without products speaks of
  the attestation's subjects, the artifact among them.

The latest statement that speaks of it decides (by timestamp; a tie: the later
attestation, then the later statement of one document) and overrides the SBOM's own
analysis: ``not_affected`` with a justification label and ``fixed`` close it;
``not_affected`` with only an impact statement (free text no machine can check),
``affected`` and ``under_investigation`` leave it open. With no statement, the SBOM's
own analysis decides (``app.sboms.contents.Vulnerability.status``).

Purls match when their type, namespace, name and version are equal and every
qualifier and the subpath the statement's purl gives are the component's too: a
statement about ``pkg:apk/wolfi/git@2.39.0-r1`` speaks of every arch of it, one about
``…?arch=armv7`` not of the x86_64 build. A statement's purl without a version matches
nothing: "every version" says nothing checkable of the version shipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.sboms.contents import FindingStatus, Vulnerability
from app.sboms.purls import parse_purl
from app.vulnerabilities.openvex import Product, Statement

# What a statement's status concludes (not_affected only with a justification label).
_CLOSED_BY: Final[dict[str, FindingStatus]] = {"fixed": "fixed", "not_affected": "not_affected"}


@dataclass(frozen=True, slots=True)
class AttestedStatement:
    """A statement, with the attestation that carried it and its place in the document."""

    attestation_id: int
    index: int
    statement: Statement

    @property
    def order(self) -> tuple[datetime, int, int]:
        """Later sorts after: its timestamp, then the attestation, then its place."""
        return self.statement.timestamp, self.attestation_id, self.index


@dataclass(frozen=True, slots=True)
class Finding:
    """One listed vulnerability, what is concluded about it, and which statement decided."""

    vulnerability: Vulnerability
    status: FindingStatus
    decided_by: AttestedStatement | None = None  # None: the SBOM's own analysis

    @property
    def open(self) -> bool:
        return self.status == "open"

    def describe(self, digest: str) -> str:
        """ "CVE-… (critical) in pkg:…", or in ``digest`` when it names no affected component."""
        vulnerability = self.vulnerability
        name = vulnerability.id or "a vulnerability without id"
        where = ", ".join(vulnerability.affects) or digest
        return f"{name} ({vulnerability.severity}) in {where}"

    def why_open(self) -> str:
        """What leaves an open finding open."""
        if self.decided_by is not None:
            statement = self.decided_by.statement
            bare = " without a justification label" if statement.status == "not_affected" else ""
            return (
                f"the latest VEX statement (attestation {self.decided_by.attestation_id}) says "
                f"{statement.status}{bare}"
            )
        state = self.vulnerability.analysis_state
        if state is None:
            return "no closing analysis or VEX statement"
        bare = " without a justification" if state == "not_affected" else ""
        return f"no closing analysis or VEX statement (the SBOM says {state}{bare})"


def statement_status(statement: Statement) -> FindingStatus:
    """What a statement concludes of a vulnerability it speaks of."""
    if statement.status == "not_affected" and statement.justification is None:
        return "open"
    return _CLOSED_BY.get(statement.status, "open")


def decide(
    listed: Iterable[Vulnerability], statements: Sequence[AttestedStatement], digest: str
) -> tuple[Finding, ...]:
    """Each listed vulnerability of the artifact ``digest``, decided as the module says."""
    naming: dict[str, list[AttestedStatement]] = defaultdict(list)
    for attested in statements:
        names = {attested.statement.vulnerability, *attested.statement.aliases}
        for name in {name.casefold() for name in names}:
            naming[name].append(attested)
    findings = []
    for vulnerability in listed:
        candidates = naming.get(vulnerability.id.casefold(), []) if vulnerability.id else []
        speaking = [s for s in candidates if _speaks_of(s.statement, vulnerability, digest)]
        latest = max(speaking, key=lambda attested: attested.order, default=None)
        if latest is None:
            findings.append(Finding(vulnerability, vulnerability.status))
        else:
            findings.append(Finding(vulnerability, statement_status(latest.statement), latest))
    return tuple(findings)


def _speaks_of(statement: Statement, vulnerability: Vulnerability, digest: str) -> bool:
    if statement.products is None:
        return True  # the attestation's subjects, which name the artifact
    return any(
        _in_product(product, vulnerability.affects, digest) for product in statement.products
    )


def _in_product(product: Product, affects: Sequence[str], digest: str) -> bool:
    """Whether the product is where a vulnerability affecting ``affects`` of ``digest`` is."""
    if digest not in product.digests and not _any_match(product.purls, affects):
        return False
    if not product.subcomponents:
        return True
    return any(_any_match(purls, affects) for purls in product.subcomponents)


def _any_match(statement_purls: Iterable[str], component_purls: Sequence[str]) -> bool:
    return any(purl_matches(ours, theirs) for ours in statement_purls for theirs in component_purls)


def purl_matches(statement_purl: str, component_purl: str) -> bool:
    """Whether a statement's purl names this component (see the module's docstring)."""
    ours, theirs = _parts(statement_purl), _parts(component_purl)
    if ours is None or theirs is None or ours[1] is None:
        return False
    key, version, qualifiers, subpath = ours
    return (
        (key, version) == theirs[:2]
        and qualifiers <= theirs[2]
        and (subpath is None or subpath == theirs[3])
    )


def _parts(text: str) -> tuple[str, str | None, frozenset[str], str | None] | None:
    """(key, version, "key=value" qualifiers, subpath) of a valid purl, from its canonical
    text (where ``@?#&=`` inside a part are escaped); None when it is not one."""
    purl = parse_purl(text)
    if not purl.valid or purl.key is None:
        return None
    rest, _, subpath = purl.text[len(purl.key) :].partition("#")
    rest, _, qualifiers = rest.partition("?")
    return (
        purl.key,
        purl.version,
        frozenset(qualifiers.split("&")) if qualifiers else frozenset(),
        subpath or None,
    )
