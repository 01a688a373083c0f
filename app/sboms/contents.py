"""What attestd keeps of an SBOM once it is validated: the normalised contents. Pure.

``app.sboms.extraction`` fills these from a ``LoadedSbom`` of any accepted format;
``app.sboms.quality`` scores them and ``app.sboms.profiles`` measures them against
the profiles; storage writes them as rows.

A listed vulnerability is closed by the SBOM's own analysis (CycloneDX semantics)
only when its state is ``not_affected`` with a ``justification``, ``resolved``,
``resolved_with_pedigree`` or ``false_positive``. ``exploitable``, ``in_triage``,
``not_affected`` without a justification, and no analysis at all leave it open: a
state alone is not a conclusion that the vulnerability does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from app.policy.maturity import Severity

# What is concluded about a listed vulnerability: still open, or closed and why.
FindingStatus = Literal["open", "not_affected", "fixed", "false_positive"]

# CycloneDX analysis states that close a vulnerability by themselves, and the status each gives.
_CLOSING_STATES: Final[dict[str, FindingStatus]] = {
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "false_positive": "false_positive",
}


@dataclass(frozen=True, slots=True)
class Component:
    """One component, the same whatever format described it.

    The purl fields are ``app.sboms.purls.parse_purl``'s. ``purl_key`` and
    ``purl_version`` are keyword-only, None unless given, so that a component built
    by hand without a purl needs neither.
    """

    ref: str | None  # bom-ref (CycloneDX) or SPDXID (SPDX): the key of dependency edges
    name: str
    version: str | None
    type: str | None  # CycloneDX component type; SPDX primaryPackagePurpose, lower-cased
    purl: str | None  # canonical (packageurl-python) when it parses, else exactly as given
    purl_valid: bool  # False when a purl was given and does not parse; True when none or valid
    cpe: str | None
    supplier: str | None
    licenses: tuple[str, ...]  # SPDX license ids or expressions, as declared
    hashes: tuple[tuple[str, str], ...]  # (algorithm as in the document, lower-case hex)
    # "pkg:type/namespace/name" of a valid purl, shared by every version of the package.
    purl_key: str | None = field(default=None, kw_only=True)
    purl_version: str | None = field(default=None, kw_only=True)  # percent-decoded
    # E-mail addresses and URLs of whoever made or supplies it, as written.
    contacts: tuple[str, ...] = field(default=(), kw_only=True)
    filename: str | None = field(default=None, kw_only=True)  # without a path
    # BSI TR-03183-2's CycloneDX properties (names starting "bsi:component:"), as written.
    properties: tuple[tuple[str, str], ...] = field(default=(), kw_only=True)


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One vulnerability the SBOM lists, and the SBOM's own analysis of it."""

    id: str  # e.g. "CVE-2024-1234"; "" when the document names none
    # CycloneDX analysis.state ("not_affected", "exploitable", "in_triage", ...); None: no analysis
    analysis_state: str | None
    # The highest severity of its ratings; unknown when it has none.
    severity: Severity = field(default=Severity.UNKNOWN, kw_only=True)
    justification: str | None = field(default=None, kw_only=True)  # CycloneDX analysis's
    # What it affects: each affects[].ref as the purl of the component with that bom-ref,
    # else as written.
    affects: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def analyzed(self) -> bool:
        """True when the SBOM gives an analysis state, whatever it concludes."""
        return self.analysis_state is not None

    @property
    def status(self) -> FindingStatus:
        """What the SBOM's own analysis concludes: closed only by a state that closes it."""
        if self.analysis_state == "not_affected":
            return "not_affected" if self.justification else "open"
        return _CLOSING_STATES.get(self.analysis_state or "", "open")


@dataclass(frozen=True, slots=True)
class SbomContents:
    """The facts of one SBOM that attestd stores, queries and scores."""

    components: tuple[Component, ...]
    dependencies: tuple[tuple[str, str], ...]  # (ref, ref it depends on)
    subject_name: str | None  # the artifact the SBOM describes
    subject_version: str | None
    subject_digests: tuple[str, ...]  # "sha256:<hex>" / "sha512:<hex>", lower-case
    authors: tuple[str, ...]  # who wrote the SBOM
    producer: str | None  # the software producer (manufacturer / supplier / creator org)
    tools: tuple[str, ...]  # tools that generated it, "name version" when known
    timestamp: str | None  # as written in the document
    lifecycles: tuple[str, ...]  # generation context: CycloneDX lifecycle phases, SPDX comment
    # Keyword default: contents built by hand, and SPDX 2.x documents, list none.
    vulnerabilities: tuple[Vulnerability, ...] = field(default=(), kw_only=True)
    # The component the SBOM describes (CycloneDX metadata.component, SPDX the first
    # described package), with every field a component has; None when it names none.
    primary: Component | None = field(default=None, kw_only=True)
    containment: tuple[tuple[str, str], ...] = field(default=(), kw_only=True)  # SPDX CONTAINS
    # Refs declared to depend on nothing (a CycloneDX dependencies entry listing none).
    leaves: tuple[str, ...] = field(default=(), kw_only=True)
    complete: bool = field(default=False, kw_only=True)  # a CycloneDX composition says so
    # E-mail addresses and URLs of whoever made the SBOM, as written.
    creator_contacts: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def unanalyzed_vulnerability_count(self) -> int:
        """Vulnerabilities listed without an analysis state."""
        return sum(1 for vulnerability in self.vulnerabilities if not vulnerability.analyzed)

    @property
    def open_vulnerabilities(self) -> dict[str, int]:
        """How many listed vulnerabilities its own analysis leaves open, by severity, most
        severe first; only severities that have some."""
        counts = dict.fromkeys(Severity, 0)
        for vulnerability in self.vulnerabilities:
            if vulnerability.status == "open":
                counts[vulnerability.severity] += 1
        return {severity.value: count for severity, count in counts.items() if count}
