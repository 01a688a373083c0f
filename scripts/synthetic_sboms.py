"""Synthetic CycloneDX 1.6 JSON SBOMs and a package population, for the SBOM benchmark.

``Catalog`` is a deterministic population of packages (npm, scoped npm, PyPI, Maven
and Go modules) ranked by popularity, each with a few released versions; popular
packages have more of them. ``SbomTemplate`` builds a document of distinct
components drawn from it, complete enough that its quality is realistic (purls,
versions, SHA-256 hashes, licenses, a dependency graph of ~2 edges a component,
and metadata with timestamp, tools, authors and a subject with its digest), and
renders new bytes of it (compact JSON, as syft writes it) for every upload.
``Catalog.artifact_packages`` draws the package set of one artifact the way real
dependency trees look: most of the popular packages, then a long Zipf-shaped tail.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

import orjson

_WORDS = (
    "acorn", "agent", "alpha", "amber", "anchor", "apex", "arc", "array", "arrow", "async",
    "atlas", "aurora", "axis", "badge", "beacon", "binary", "blob", "bolt", "bridge",
    "buffer", "cache", "canvas", "carbon", "cipher", "clock", "cloud", "cobalt", "codec",
    "comet", "config", "core", "crane", "crypto", "cursor", "dash", "delta", "digest",
    "dom", "drift", "echo", "edge", "ember", "engine", "event", "fiber", "field", "flux",
    "forge", "frame", "gate", "glob", "graph", "grid", "guard", "harbor", "hash", "helix",
    "hook", "http", "index", "ion", "jet", "json", "kernel", "lambda", "lattice", "ledger",
    "lens", "link", "lodge", "loop", "lumen", "matrix", "mesh", "meta", "mint", "mirror",
    "node", "nova", "orbit", "packet", "parse", "path", "pixel", "plume", "polar", "port",
    "prism", "proto", "pulse", "quartz", "query", "queue", "radar", "rail", "relay",
    "ripple", "route", "rune", "schema", "scope", "shard", "signal", "socket", "spark",
    "spool", "stack", "stream", "sync", "tensor", "thread", "token", "trace", "tree",
    "vault", "vector", "wave", "yaml", "zephyr", "zone",
)  # fmt: skip

# Share of each ecosystem in the catalog.
_ECOSYSTEMS = (("npm", 30), ("npm-scoped", 12), ("pypi", 25), ("maven", 18), ("golang", 15))
_POPULAR_RANKS = 500  # packages this popular have 6-12 versions, the others 1-4
_LICENSE_IDS = (
    "MIT", "MIT", "MIT", "Apache-2.0", "Apache-2.0", "ISC", "BSD-3-Clause", "BSD-2-Clause",
    "MPL-2.0", "LGPL-2.1-only", "GPL-3.0-or-later", "0BSD", "Unlicense",
)  # fmt: skip
_LICENSE_EXPRESSIONS = (
    "MIT OR Apache-2.0",
    "Apache-2.0 AND BSD-3-Clause",
    "(MIT OR GPL-2.0-only) AND BSD-2-Clause",
    "LGPL-2.1-or-later WITH Classpath-exception-2.0",
)


@dataclass(frozen=True, slots=True)
class Package:
    """One package of the catalog, with the versions it released (oldest first)."""

    ecosystem: str  # purl type: npm, pypi, maven or golang
    group: str | None  # npm scope ("@scope"), Maven groupId, Go module path prefix
    name: str
    versions: tuple[str, ...]

    @property
    def key(self) -> str:
        """The purl without version: "pkg:type/namespace/name"."""
        if self.group is None:
            return f"pkg:{self.ecosystem}/{self.name}"
        return f"pkg:{self.ecosystem}/{self.group.replace('@', '%40')}/{self.name}"

    def purl(self, version: str) -> str:
        return f"{self.key}@{version}"

    @property
    def display_name(self) -> str:
        """The component name generators write: Go modules by their full path."""
        return f"{self.group}/{self.name}" if self.ecosystem == "golang" else self.name


class Catalog:
    """``size`` packages, index 0 the most popular."""

    def __init__(self, size: int, seed: int = 1) -> None:
        rng = random.Random(seed)
        kinds = [kind for kind, share in _ECOSYSTEMS for _ in range(share)]
        taken: set[tuple[str, str | None, str]] = set()
        packages: list[Package] = []
        while len(packages) < size:
            kind = rng.choice(kinds)
            group, name = _name(rng, kind)
            ecosystem = "npm" if kind == "npm-scoped" else kind
            if (ecosystem, group, name) in taken:
                continue
            taken.add((ecosystem, group, name))
            count = rng.randint(6, 12) if len(packages) < _POPULAR_RANKS else rng.randint(1, 4)
            packages.append(Package(ecosystem, group, name, _versions(rng, ecosystem, count)))
        self.packages = packages
        # Zipf weights (s = 1) for the tail drawn after the popular packages.
        self._tail_weights = list(accumulate(1 / rank for rank in range(1, size + 1)))

    def distinct_components(self, rng: random.Random, count: int) -> list[tuple[Package, str]]:
        """``count`` distinct (package, version) pairs, popular packages more often."""
        chosen: dict[str, tuple[Package, str]] = {}
        while len(chosen) < count:
            for package in rng.choices(
                self.packages, cum_weights=self._tail_weights, k=count - len(chosen)
            ):
                version = rng.choice(package.versions)
                chosen.setdefault(package.purl(version), (package, version))
            # The Zipf head saturates quickly; add uniform draws so large counts converge.
            for package in rng.sample(self.packages, min(count, len(self.packages))):
                if len(chosen) >= count:
                    break
                version = rng.choice(package.versions)
                chosen.setdefault(package.purl(version), (package, version))
        return list(chosen.values())

    def artifact_packages(
        self, rng: random.Random, count: int, *, popular: int = 300, share: float = 0.9
    ) -> list[tuple[Package, str]]:
        """The ``count`` packages of one artifact: most of the ``popular`` ones, then a tail.

        Each of the first ``popular`` packages is in with probability ``share``; the
        rest are drawn Zipf-weighted from the whole catalog (one version each).
        """
        chosen: dict[str, tuple[Package, str]] = {}
        for package in self.packages[:popular]:
            if len(chosen) < count and rng.random() < share:
                chosen[package.key] = (package, _recent_version(rng, package))
        while len(chosen) < count:
            for package in rng.choices(
                self.packages, cum_weights=self._tail_weights, k=2 * (count - len(chosen))
            ):
                if len(chosen) >= count:
                    break
                chosen.setdefault(package.key, (package, _recent_version(rng, package)))
        return list(chosen.values())


def _recent_version(rng: random.Random, package: Package) -> str:
    """A version, recent ones more likely: most artifacts keep their dependencies fresh."""
    versions = package.versions
    return versions[-1 - min(int(rng.expovariate(0.7)), len(versions) - 1)]


def _name(rng: random.Random, kind: str) -> tuple[str | None, str]:
    words = rng.choice((1, 2, 2, 2, 3))
    name = "-".join(rng.choice(_WORDS) for _ in range(words))
    if rng.random() < 0.3:
        name += str(rng.randint(2, 99))
    if kind == "npm-scoped":
        return "@" + rng.choice(_WORDS), name
    if kind == "maven":
        return f"{rng.choice(('org', 'com', 'io'))}.{rng.choice(_WORDS)}.{rng.choice(_WORDS)}", name
    if kind == "golang":
        host = rng.choice(("github.com", "github.com", "gitlab.com", "golang.org/x"))
        return (host if host == "golang.org/x" else f"{host}/{rng.choice(_WORDS)}"), name
    return None, name


def _versions(rng: random.Random, ecosystem: str, count: int) -> tuple[str, ...]:
    major, minor, patch = rng.randint(0, 3), rng.randint(0, 20), rng.randint(0, 10)
    prefix = "v" if ecosystem == "golang" else ""
    versions = []
    for _ in range(count):
        step = rng.random()
        if step < 0.1:
            major, minor, patch = major + 1, 0, 0
        elif step < 0.45:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        versions.append(f"{prefix}{major}.{minor}.{patch}")
    return tuple(versions)


def _licenses(rng: random.Random) -> list[dict[str, Any]]:
    roll = rng.random()
    if roll < 0.8:
        return [{"license": {"id": rng.choice(_LICENSE_IDS)}}]
    if roll < 0.9:
        return [{"license": {"id": "Apache-2.0"}}, {"license": {"id": "BSD-3-Clause"}}]
    return [{"expression": rng.choice(_LICENSE_EXPRESSIONS)}]


def _component(rng: random.Random, package: Package, version: str) -> dict[str, Any]:
    purl = package.purl(version)
    component: dict[str, Any] = {"type": "library", "bom-ref": purl}
    if package.group is not None and package.ecosystem != "golang":
        component["group"] = package.group
    component.update(
        name=package.display_name,
        version=version,
        hashes=[{"alg": "SHA-256", "content": rng.randbytes(32).hex()}],
        licenses=_licenses(rng),
        purl=purl,
    )
    if rng.random() < 0.6:
        component["description"] = " ".join(rng.choices(_WORDS, k=5)).capitalize() + "."
    if rng.random() < 0.5:
        home = (
            package.display_name if package.ecosystem == "golang" else "github.com/" + package.name
        )
        component["externalReferences"] = [{"type": "vcs", "url": f"https://{home}"}]
    return component


class SbomTemplate:
    """A CycloneDX 1.6 document of ``size`` components; ``render`` makes new bytes of it."""

    def __init__(self, catalog: Catalog, size: int, seed: int = 1) -> None:
        rng = random.Random(seed * 1_000_003 + size)
        picked = catalog.distinct_components(rng, size)
        components = [_component(rng, package, version) for package, version in picked]
        refs = [component["bom-ref"] for component in components]
        subject_ref = "urn:attestd-bench:subject"
        dependencies: list[dict[str, Any]] = [{"ref": subject_ref, "dependsOn": refs[:12]}]
        for index, ref in enumerate(refs):
            # 0-4 distinct later components (2 on average): a graph without cycles.
            later = len(refs) - index - 1
            wanted = min(rng.randint(0, 4), later)
            targets: set[str] = set()
            while len(targets) < wanted:
                targets.add(refs[rng.randint(index + 1, len(refs) - 1)])
            dependencies.append({"ref": ref, "dependsOn": sorted(targets)})
        self.size = size
        self.edges = sum(len(entry["dependsOn"]) for entry in dependencies)
        self.document: dict[str, Any] = {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": "",
            "version": 1,
            "metadata": {
                "timestamp": "",
                "lifecycles": [{"phase": "build"}],
                "tools": {
                    "components": [
                        {
                            "type": "application",
                            "group": "@cyclonedx",
                            "name": "cyclonedx-npm",
                            "version": "1.19.3",
                        }
                    ]
                },
                "authors": [{"name": "Build Pipeline", "email": "builds@example.com"}],
                "supplier": {"name": "Example Corp", "url": ["https://example.com"]},
                "component": {
                    "type": "application",
                    "bom-ref": subject_ref,
                    "name": "bench-service",
                    "version": f"1.{size}.0",
                    "hashes": [{"alg": "SHA-256", "content": ""}],
                },
            },
            "components": components,
            "dependencies": dependencies,
        }

    def render(self, artifact_sha256: str) -> bytes:
        """New bytes: a fresh serial number and timestamp, ``artifact_sha256`` as subject."""
        document = self.document
        document["serialNumber"] = f"urn:uuid:{uuid.uuid4()}"
        document["metadata"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document["metadata"]["component"]["hashes"][0]["content"] = artifact_sha256
        return orjson.dumps(document)
