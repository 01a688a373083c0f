"""Whether an artifact's documents agree with each other. Pure.

Evidence is bound to an artifact by digest, so the SBOM, the signature and the
provenance of an artifact all name its digest by construction; what can still
disagree is what the documents say themselves:

* ``sbom-subject-mismatch``: an SBOM uploaded for this artifact (``?artifact=``)
  whose own subject declares other digests of the same algorithm;
* ``dependency-version-mismatch``: a dependency the provenance resolved (a
  ``pkg:`` URI with a version) that an SBOM lists only at other versions;
* ``dependency-digest-mismatch``: a dependency both name, at the same version,
  with different SHA-256 or SHA-512 digests.

Across a release (the service's artifacts of one name at one version):

* ``release-digest-mismatch``: its SBOM, its signature and its provenance are not
  all about one digest (say the SBOM describes one build, the provenance another).

A package named by only one of them is not a finding: provenance lists what the
build fetched, an SBOM what the artifact contains, and neither has to be complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from app.sboms.purls import parse_purl

# Digest algorithm names in SBOMs (CycloneDX, SPDX) and in-toto digest sets.
_ALGORITHMS = {
    "sha-256": "sha256",
    "sha256": "sha256",
    "sha-512": "sha512",
    "sha512": "sha512",
}
MAX_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class SbomSubject:
    sbom_id: int
    digests: Sequence[str]  # "sha256:<hex>" / "sha512:<hex>" the SBOM's subject declares


@dataclass(frozen=True, slots=True)
class ResolvedDependency:
    attestation_id: int
    uri: str | None
    digest: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ListedComponent:
    sbom_id: int
    purl_key: str
    version: str | None
    hashes: Sequence[Sequence[str]]  # (algorithm as written, lower-case value)


def dependency_key(uri: str | None) -> tuple[str, str] | None:
    """(purl key, version) of a resolved dependency named by a versioned purl."""
    if uri is None or not uri.startswith("pkg:"):
        return None
    purl = parse_purl(uri)
    if not purl.valid or purl.key is None or not purl.version:
        return None
    return purl.key, purl.version


def _digests(pairs: Sequence[Sequence[str]] | Mapping[str, str]) -> dict[str, str]:
    items = pairs.items() if isinstance(pairs, Mapping) else (tuple(p) for p in pairs)
    found: dict[str, str] = {}
    for algorithm, value in items:
        name = _ALGORITHMS.get(algorithm.lower())
        if name is not None:
            found[name] = value.lower()
    return found


def consistency(
    artifact_digest: str,
    sboms: Sequence[SbomSubject],
    dependencies: Sequence[ResolvedDependency],
    components: Sequence[ListedComponent],
) -> list[str]:
    """Every disagreement between the artifact's SBOMs and provenance, as "slug: text"."""
    findings: list[str] = []
    algorithm = artifact_digest.split(":", 1)[0]
    for sbom in sboms:
        same_kind = [d for d in sbom.digests if d.startswith(f"{algorithm}:")]
        if same_kind and artifact_digest not in same_kind:
            findings.append(
                f"sbom-subject-mismatch: SBOM {sbom.sbom_id} describes {', '.join(same_kind)}, "
                f"not {artifact_digest}"
            )

    listed: dict[str, list[ListedComponent]] = {}
    for component in components:
        listed.setdefault(component.purl_key, []).append(component)
    for dependency in dependencies:
        key = dependency_key(dependency.uri)
        if key is None or key[0] not in listed:
            continue
        purl_key, version = key
        same_version = [c for c in listed[purl_key] if c.version == version]
        if not same_version:
            versions = sorted({c.version or "(none)" for c in listed[purl_key]})
            findings.append(
                f"dependency-version-mismatch: attestation {dependency.attestation_id} resolved "
                f"{purl_key}@{version}; the SBOM lists {', '.join(versions)}"
            )
            continue
        resolved = _digests(dependency.digest)
        for component in same_version:
            for name, value in _digests(component.hashes).items():
                if name in resolved and resolved[name] != value:
                    findings.append(
                        f"dependency-digest-mismatch: {purl_key}@{version} is {name}:"
                        f"{resolved[name]} in attestation {dependency.attestation_id} and "
                        f"{name}:{value} in SBOM {component.sbom_id}"
                    )
    return findings[:MAX_FINDINGS]


def release_consistency(name: str, version: str, evidence: Mapping[str, Set[str]]) -> list[str]:
    """One finding when the release's kinds of evidence name different digests.

    ``evidence`` maps a kind ("sbom", "signature", "provenance") to the digests of the
    release's artifacts that have that kind of evidence.
    """
    digests = set().union(*evidence.values()) if evidence else set()
    if len(digests) <= 1:
        return []
    said = "; ".join(
        f"{kind}: {', '.join(sorted(found))}" for kind, found in sorted(evidence.items()) if found
    )
    return [f"release-digest-mismatch: {name} {version} has evidence for several digests ({said})"]
