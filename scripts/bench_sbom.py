"""SBOM ingestion benchmark: POST /v1/sboms end to end against an in-process floor,
and component search over 1,000,000 stored components.

Uploads CycloneDX 1.6 JSON SBOMs of 1,000, 10,000 and 50,000 components
(``scripts/synthetic_sboms.py``: npm, scoped npm, PyPI, Maven and Go purls, SHA-256
hashes, licenses, ~2 dependency edges a component, full metadata; new bytes every
upload) to a running ``attestd serve`` over HTTP, on a fresh database of its own
that serve migrates. Sizes take turns (1k, 10k, 50k, 1k, ...), so that every size
meets a database of about the same size. Each upload is timed from the first byte
sent to the last byte of the 201 answer, and compared with a floor measured in this
process on the same bytes, while the server is idle. The floor is the sum of:

* ``hashlib.sha256`` of the bytes;
* ``orjson.loads`` of the bytes, with the garbage collector paused;
* ``is_valid`` of the official CycloneDX 1.6 schema's compiled jsonschema-rs
  validator (``cyclonedx_json_validator("1.6")``, the cheapest complete check);
* row extraction: the rows of the components and the dependency edges, as they are
  stored, from the parsed document (``extract`` and ``component_rows``, with the
  garbage collector paused: the least work that yields the same rows, purls
  normalised included);
* one transaction, committed, that bulk-inserts those rows (``bulk_insert``:
  PostgreSQL COPY, SQLite executemany) into a migrated database of the same back
  end, one that grows with the same rows as the server's, after their sbom and
  artifact rows.

For reference, a second ratio uses a plainer row step instead (``plain_rows``: each
top-level component's fields copied as written, no purl parsing), with no target.

Not in the floor, so the overhead the ratio shows: HTTP, authentication, the
duplicate-key, depth and NUL checks of the hardened parser, quality scoring, the raw
bytes written to the blob table, the artifact and sbom rows, the audit leaf.

The server's peak RSS growth during each upload is read from /proc (VmHWM after
the upload less VmRSS before it, the high-water mark reset before the upload by
writing 5 to /proc/PID/clear_refs; a kernel that refuses gets a fresh server per
size, and only the first upload of each size counts). Then 1,000,000 component
rows are bulk-inserted into the server's database (200 artifacts of the bench
service: popular packages in most of them, a long Zipf tail), and ~200
GET /v1/components queries are timed: popular and rare packages, with and without
version, and with a vers: range. Targets:

* end to end <= 1.5 x the floor on SQLite, <= 2 x on PostgreSQL, at 10,000 and
  50,000 components (medians);
* 50,000 components take at most 5.5 x the end-to-end time of 10,000;
* peak server RSS growth <= 8 x the document size, at every size (largest sample,
  which is the first upload of the size; the median, printed as med/doc, is what a
  server that has taken such uploads before needs);
* component search median <= 20 ms over 1,000,000 stored components.

    .venv/bin/python scripts/bench_sbom.py [--quick] [--samples 5] [--large-samples 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --database-url URL]
        [--profile]

SQLite by default. ``--postgres URL`` runs SQLite, then PostgreSQL on the server of
URL; ``--database-url URL`` runs PostgreSQL alone. On PostgreSQL the benchmark
creates, and drops at the end, databases named attestd_bench_<pid>[_floor].
``--quick`` uploads 1,000 and 10,000 components and searches 100,000 stored ones
(the 50,000 and 1,000,000 targets are then not checked). ``--profile`` adds a
cProfile of one in-process ``accept_sbom`` of the largest size. Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import os
import pstats
import random
import secrets
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.artifacts.models import Artifact
from app.artifacts.uploads import Upload
from app.audit.events import Actor
from app.audit.log import AuditLog, AuditTrail, new_request_id
from app.auth.credentials import Principal, Role
from app.blobs.models import Blob
from app.clock import utcnow
from app.collector import collector_paused
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.sboms.extraction import extract
from app.sboms.formats import SbomFormat
from app.sboms.ingest import component_rows
from app.sboms.loading import LoadedSbom
from app.sboms.models import Component, Sbom
from app.sboms.purls import Purl, parse_purl
from app.sboms.repository import COMPONENT_COLUMNS, DEPENDENCY_COLUMNS, bulk_insert
from app.sboms.validation import cyclonedx_json_validator
from app.services.models import Service
from app.signing import ServiceKey
from app.workflows.accept_sbom import accept_sbom
from scripts.bench_server import Server
from scripts.synthetic_sboms import Catalog, Package, SbomTemplate

REPOSITORY = Path(__file__).resolve().parents[1]
SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (1_000, 10_000)
LARGE = 50_000  # sizes from here on take --large-samples uploads
CHECKED_SIZES = (10_000, 50_000)  # where end to end is held to the floor
SEARCH_COMPONENTS = 1_000_000
QUICK_SEARCH_COMPONENTS = 100_000
SEED_ARTIFACTS = 200
SEED_BATCH_ARTIFACTS = 20
CATALOG_PACKAGES = 100_000

FLOOR_RATIO_LIMIT = {"sqlite": 1.5, "postgresql": 2.0}
GROWTH_LIMIT = 5.5  # end to end at 50,000 / at 10,000
RSS_LIMIT = 8.0  # peak RSS growth / document size
QUERY_MEDIAN_LIMIT_MS = 20.0

SERVICE = "bench"
MEDIA_TYPE = "application/vnd.cyclonedx+json"
HTTP_TIMEOUT_SECONDS = 600
IDLE_SECONDS = 0.1  # a server that used no CPU for this long is done with an upload
IDLE_LIMIT_SECONDS = 10
PROFILE_LINES = 25
MiB = 1024 * 1024


# --- the server -------------------------------------------------------------------


def wait_until_idle(pid: int) -> None:
    """Wait until process ``pid`` has used no CPU for ``IDLE_SECONDS`` (or ``IDLE_LIMIT``).

    The server frees an upload's objects after it has answered; measuring the next
    floor meanwhile would have both compete for the same two cores.
    """
    stat = Path(f"/proc/{pid}/stat")

    def cpu_ticks() -> int:
        # Fields after the command name: state is field 3, utime 14 and stime 15.
        fields = stat.read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])

    deadline = time.monotonic() + IDLE_LIMIT_SECONDS
    last = cpu_ticks()
    while time.monotonic() < deadline:
        time.sleep(IDLE_SECONDS)
        now = cpu_ticks()
        if now == last:
            return
        last = now


class ProcessMemory:
    """Resident memory of one process, from /proc/PID/status (kB there, bytes here)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def _status(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {name} in /proc/{self.pid}/status")

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak(self) -> int:
        return self._status("VmHWM")

    def reset_peak(self) -> bool:
        """Set the high-water mark to the current RSS; False when the kernel refuses."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        # A kernel may accept the write and ignore it: check that it took.
        return self.peak() <= self.rss() + MiB


# --- the floor --------------------------------------------------------------------


@dataclass
class Sample:
    """One upload: the parts of its floor, its end-to-end time, the server's growth."""

    hash_ms: float
    parse_ms: float
    schema_ms: float
    rows_ms: float
    insert_ms: float
    plain_ms: float  # plain_rows instead of rows_ms: a reference, not part of the floor
    e2e_ms: float = 0.0
    rss_growth: int | None = None  # bytes; None when it could not be measured

    @property
    def floor_ms(self) -> float:
        return self.hash_ms + self.parse_ms + self.schema_ms + self.rows_ms + self.insert_ms

    @property
    def plain_floor_ms(self) -> float:
        return self.floor_ms - self.rows_ms + self.plain_ms


def plain_rows(bom: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    """The least work that turns a parsed CycloneDX document into component and edge rows.

    Fields are taken as written (no purl parsing, no normalisation, nested components
    ignored); licenses and hashes become JSON text, as the stored rows need.
    """
    dumps = orjson.dumps
    rows = [
        (
            component.get("bom-ref"),
            component.get("name"),
            component.get("version"),
            component.get("type"),
            component.get("purl"),
            component.get("cpe"),
            (component.get("supplier") or {}).get("name"),
            dumps(component.get("licenses", [])).decode(),
            dumps(component.get("hashes", [])).decode(),
        )
        for component in bom.get("components", [])
    ]
    edges = [
        (entry["ref"], target)
        for entry in bom.get("dependencies", [])
        for target in entry.get("dependsOn", [])
    ]
    return rows, edges


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class FloorDatabase:
    """A migrated database of the server's back end, growing with the same rows."""

    def __init__(self, url: str) -> None:
        migrate.upgrade(url)
        self.engine = make_engine(url)
        self.factory: sessionmaker[Session] = make_sessionmaker(self.engine)
        with self.factory.begin() as session:
            service = Service(
                name=SERVICE,
                repository="https://github.com/example/bench",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            session.add(service)
            session.flush()
            self.service_id = service.id

    def sbom_and_artifact(self, digest: str) -> tuple[int, int]:
        """Rows for one upload's components to reference (their ids)."""
        return add_sbom_and_artifact(self.factory, self.service_id, digest)

    def measure(self, body: bytes, artifact_digest: str) -> Sample:
        """The floor of one upload of ``body``, its parts timed apart."""
        started = time.perf_counter()
        hashlib.sha256(body).hexdigest()
        hash_ms = elapsed_ms(started)

        with collector_paused():
            started = time.perf_counter()
            document = orjson.loads(body)
            parse_ms = elapsed_ms(started)

        validator = cyclonedx_json_validator("1.6")
        started = time.perf_counter()
        valid = validator.is_valid(document)
        schema_ms = elapsed_ms(started)
        if not valid:
            raise SystemExit("the generated SBOM does not match the CycloneDX 1.6 schema")
        sbom_id, artifact_id = self.sbom_and_artifact(artifact_digest)
        with collector_paused():
            started = time.perf_counter()
            plain_rows(document)
            plain_ms = elapsed_ms(started)
            started = time.perf_counter()
            contents = extract(LoadedSbom(SbomFormat.CYCLONEDX_JSON, "1.6", document))
            rows = list(component_rows(contents, sbom_id=sbom_id, artifact_id=artifact_id))
            edges = [(sbom_id, ref, target) for ref, target in contents.dependencies]
            rows_ms = elapsed_ms(started)
            del document, contents
        gc.collect()
        started = time.perf_counter()
        with self.engine.begin() as connection:
            bulk_insert(connection, "components", COMPONENT_COLUMNS, rows)
            bulk_insert(connection, "sbom_dependencies", DEPENDENCY_COLUMNS, edges)
        insert_ms = elapsed_ms(started)
        return Sample(hash_ms, parse_ms, schema_ms, rows_ms, insert_ms, plain_ms)

    def dispose(self) -> None:
        self.engine.dispose()


def add_sbom_and_artifact(
    factory: sessionmaker[Session], service_id: int, artifact_digest: str
) -> tuple[int, int]:
    """A blob, an artifact of the bench service and an sbom row; their (sbom, artifact) ids."""
    digest = "sha256:" + secrets.token_hex(32)
    now = utcnow()
    with factory.begin() as session:
        session.add(Blob(digest=digest, size=0, media_type=MEDIA_TYPE, content=b"", created_at=now))
        artifact = Artifact(digest=artifact_digest, service_id=service_id, created_at=now)
        session.add(artifact)
        session.flush()
        sbom = Sbom(
            digest=digest,
            artifact_id=artifact.id,
            format="cyclonedx-json",
            spec_version="1.6",
            component_count=0,
            dependency_count=0,
            invalid_purl_count=0,
            quality_score=0.0,
            quality={},
            subject_digests=[],
            uploaded_by="bench",
            audit_index=-1,
            created_at=now,
        )
        session.add(sbom)
        session.flush()
        return sbom.id, artifact.id


# --- uploads ------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    document_bytes: int
    samples: list[Sample] = field(default_factory=list)

    def median(self, part: Callable[[Sample], float]) -> float:
        return statistics.median(part(sample) for sample in self.samples)

    @property
    def floor_ms(self) -> float:
        return self.median(lambda s: s.floor_ms)

    @property
    def e2e_ms(self) -> float:
        return self.median(lambda s: s.e2e_ms)

    @property
    def ratio(self) -> float:
        return self.e2e_ms / self.floor_ms

    @property
    def plain_ratio(self) -> float:
        return self.e2e_ms / self.median(lambda s: s.plain_floor_ms)

    @property
    def rss_growth(self) -> int | None:
        """The largest growth measured (the first upload of a size is the one that grows)."""
        growths = [s.rss_growth for s in self.samples if s.rss_growth is not None]
        return max(growths) if growths else None

    @property
    def median_rss_growth(self) -> float | None:
        """The median growth: what a server that has taken such uploads before needs."""
        growths = [s.rss_growth for s in self.samples if s.rss_growth is not None]
        return statistics.median(growths) if growths else None


class Uploader:
    """Uploads SBOMs to the server as the bench pipeline."""

    def __init__(self, server: Server, pipeline_token: str) -> None:
        self.server = server
        self.client = httpx2.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {pipeline_token}"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    def upload(self, body: bytes, artifact_digest: str, expected: int) -> float:
        """Milliseconds from sending ``body`` to the end of the 201 answer."""
        started = time.perf_counter()
        response = self.client.post(
            "/v1/sboms",
            params={"service": SERVICE, "artifact": artifact_digest},
            content=body,
            headers={"Content-Type": MEDIA_TYPE},
        )
        took = elapsed_ms(started)
        if response.status_code != 201 or response.json()["component_count"] != expected:
            raise SystemExit(
                f"upload answered {response.status_code}: {response.text[:2000]}\n"
                f"{self.server.tail()}"
            )
        return took

    def close(self) -> None:
        self.client.close()


def new_artifact() -> tuple[str, str]:
    """A fresh artifact digest: (hex, "sha256:hex")."""
    value = secrets.token_hex(32)
    return value, f"sha256:{value}"


def measure_size(
    template: SbomTemplate,
    samples: int,
    floor: FloorDatabase,
    uploader: Uploader,
    memory: ProcessMemory | None,
) -> SizeResult:
    """``samples`` uploads of new bytes of ``template``, each after its floor.

    ``memory`` None: the peak cannot be reset, and the server was just restarted, so
    only the first upload's growth is measured.
    """
    result = SizeResult(template.size, 0)
    for number in range(samples):
        measure_one(template, result, floor, uploader, memory, first=number == 0)
    return result


def measure_one(
    template: SbomTemplate,
    result: SizeResult,
    floor: FloorDatabase,
    uploader: Uploader,
    memory: ProcessMemory | None,
    *,
    first: bool,
) -> None:
    """One upload of new bytes of ``template`` after its floor, added to ``result``."""
    value, artifact_digest = new_artifact()
    body = template.render(value)
    result.document_bytes = len(body)
    wait_until_idle(uploader.server.pid)
    sample = floor.measure(body, artifact_digest)
    gc.collect()
    process = memory or ProcessMemory(uploader.server.pid)
    measured = memory.reset_peak() if memory is not None else first
    before = process.rss()
    sample.e2e_ms = uploader.upload(body, artifact_digest, template.size)
    if measured:
        sample.rss_growth = process.peak() - before
    result.samples.append(sample)


# --- component search -------------------------------------------------------------


@dataclass
class SeedIndex:
    """What the seeded artifacts hold: artifacts per package, versions seen per package."""

    artifacts: Counter[str] = field(default_factory=Counter)
    versions: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def seed_components(url: str, catalog: Catalog, total: int) -> tuple[SeedIndex, float]:
    """Bulk-insert ``total`` component rows over ``SEED_ARTIFACTS`` new artifacts.

    Written straight into the server's database (it is idle meanwhile), the way an
    upload writes them, with purl keys and versions from ``parse_purl``.
    """
    rng = random.Random(7)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    index = SeedIndex()
    parsed: dict[str, Purl] = {}
    started = time.perf_counter()
    try:
        with factory() as session:
            service_id = session.scalars(select(Service.id).where(Service.name == SERVICE)).one()
        owners = [
            add_sbom_and_artifact(factory, service_id, new_artifact()[1])
            for _ in range(SEED_ARTIFACTS)
        ]
        per_artifact = total // SEED_ARTIFACTS
        for first in range(0, SEED_ARTIFACTS, SEED_BATCH_ARTIFACTS):
            rows: list[tuple[Any, ...]] = []
            for sbom_id, artifact_id in owners[first : first + SEED_BATCH_ARTIFACTS]:
                for package, version in catalog.artifact_packages(rng, per_artifact):
                    text = package.purl(version)
                    purl = parsed.get(text) or parsed.setdefault(text, parse_purl(text))
                    index.artifacts[package.key] += 1
                    index.versions[package.key].add(version)
                    rows.append(
                        (
                            sbom_id,
                            artifact_id,
                            purl.text,
                            package.display_name,
                            version,
                            "library",
                            purl.text,
                            purl.valid,
                            purl.key,
                            purl.version or "",
                            None,
                            None,
                            '["MIT"]',
                            f'[["SHA-256","{rng.randbytes(32).hex()}"]]',
                        )
                    )
            with engine.begin() as connection:
                bulk_insert(connection, "components", COMPONENT_COLUMNS, rows)
        if engine.dialect.name == "postgresql":
            # What autovacuum would do soon after a million new rows.
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE components")
    finally:
        engine.dispose()
    return index, time.perf_counter() - started


def stored_components(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Component)) or 0)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Query:
    kind: str
    purl: str
    range: str | None = None


def search_queries(catalog: Catalog, index: SeedIndex, count: int) -> list[Query]:
    """``count`` queries of packages that are stored: popular and rare, several shapes."""
    rng = random.Random(11)
    popular = [p for p in catalog.packages[:300] if index.artifacts[p.key] >= SEED_ARTIFACTS // 2]
    rare = [key for key, seen in index.artifacts.items() if seen <= 2]
    ranged = [p for p in popular if len(index.versions[p.key]) >= 2]
    if not popular or not rare or not ranged:
        raise SystemExit("the seeded store has no popular or no rare packages to query")

    def version_of(key: str) -> str:
        return rng.choice(sorted(index.versions[key]))

    def range_of(package: Package) -> str:
        seen = [v for v in package.versions if v in index.versions[package.key]]
        low, high = seen[0], seen[-1]
        return f"vers:{package.ecosystem}/>={low}|<={high}"

    shares = (("popular", 0.25), ("popular@version", 0.2), ("rare", 0.25), ("rare@version", 0.2))
    queries: list[Query] = []
    for kind, share in shares:
        for _ in range(round(count * share)):
            key = rng.choice(popular).key if kind.startswith("popular") else rng.choice(rare)
            purl = f"{key}@{version_of(key)}" if kind.endswith("@version") else key
            queries.append(Query(kind, purl))
    while len(queries) < count:
        package = rng.choice(ranged)
        queries.append(Query("range", package.key, range_of(package)))
    rng.shuffle(queries)
    return queries


def time_queries(base_url: str, token: str, queries: list[Query]) -> dict[str, list[float]]:
    """Milliseconds of each query, by kind; every query must find something."""
    timings: dict[str, list[float]] = defaultdict(list)
    with httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT_SECONDS,
    ) as client:
        for warm_up in queries[:10]:
            client.get("/v1/components", params=_query_params(warm_up))
        for query in queries:
            started = time.perf_counter()
            response = client.get("/v1/components", params=_query_params(query))
            took = elapsed_ms(started)
            if response.status_code != 200 or not response.json()["items"]:
                raise SystemExit(f"{query} answered {response.status_code}: {response.text[:500]}")
            timings[query.kind].append(took)
    return timings


def _query_params(query: Query) -> dict[str, str]:
    params = {"purl": query.purl}
    if query.range is not None:
        params["range"] = query.range
    return params


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- in-process profile -----------------------------------------------------------


def profile_ingest(floor: FloorDatabase, template: SbomTemplate, warm_up: SbomTemplate) -> None:
    """Wall time of one ``accept_sbom`` in this process (no HTTP), then a cProfile of another."""
    log = AuditLog(
        origin="bench.attestd.localhost/audit", key=ServiceKey(Ed25519PrivateKey.generate())
    )
    principal = Principal(token_id=0, name="bench-pipeline", role=Role.PIPELINE, services=None)

    def upload(source: SbomTemplate) -> Upload:
        value, artifact_digest = new_artifact()
        return Upload(SERVICE, artifact_digest, MEDIA_TYPE, source.render(value))

    def ingest(prepared: Upload) -> None:
        with floor.factory.begin() as session:
            trail = AuditTrail(session, log, Actor.of(principal), new_request_id())
            accept_sbom(trail, principal, prepared)

    ingest(upload(warm_up))
    timed, profiled = upload(template), upload(template)
    gc.collect()
    started = time.perf_counter()
    ingest(timed)
    print(
        f"  accept_sbom in this process, {template.size:,} components: {elapsed_ms(started):.0f} ms"
    )
    profiler = cProfile.Profile()
    profiler.runcall(ingest, profiled)
    prefixes = (sysconfig.get_paths()["purelib"] + "/", str(REPOSITORY) + "/")
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(PROFILE_LINES)
        lines = text.getvalue().rstrip().splitlines()
        header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"  cProfile of another, by {order}:")
        for line in lines[header:]:
            for prefix in prefixes:
                line = line.replace(prefix, "")  # noqa: PLW2901 - shortened for reading
            print("    " + line)


# --- one back end -----------------------------------------------------------------


@contextmanager
def databases(backend: str, directory: Path, server_url: str | None) -> Iterator[tuple[str, str]]:
    """(server database, floor database) URLs, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/server/attestd.db", f"sqlite:///{directory}/floor.db"
        return
    assert server_url is not None  # noqa: S101 - PostgreSQL runs only with a URL
    base = make_url(server_url)
    names = (f"attestd_bench_{os.getpid()}", f"attestd_bench_{os.getpid()}_floor")
    admin: Engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        server, floor = (
            base.set(database=name).render_as_string(hide_password=False) for name in names
        )
        yield server, floor
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def run_backend(
    backend: str,
    server_url: str | None,
    templates: dict[int, SbomTemplate],
    catalog: Catalog,
    args: argparse.Namespace,
) -> list[tuple[str, bool]]:
    """Measure one back end, print its table; the targets and whether each was met."""
    print(f"\n== {backend} ==", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="attestd-bench-sbom-") as name,
        databases(backend, Path(name), server_url) as (server_database, floor_database),
    ):
        directory = Path(name)
        (directory / "server").mkdir()
        server = Server(directory / "server", server_database)
        server.start()
        floor = FloorDatabase(floor_database)
        try:
            admin = server.cli("token", "create", "--role", "admin", "--name", "bench-admin")
            pipeline = server.cli(
                "token", "create", "--role", "pipeline", "--name", "bench-pipeline"
            )
            created = httpx2.post(
                f"{server.base_url}/v1/services",
                json={"name": SERVICE, "repository": "https://github.com/example/bench"},
                headers={"Authorization": f"Bearer {admin}"},
                timeout=30,
            )
            if created.status_code != 201:
                raise SystemExit(f"registering the service answered {created.status_code}")
            memory: ProcessMemory | None = ProcessMemory(server.pid)
            if not ProcessMemory(server.pid).reset_peak():
                print("  /proc/PID/clear_refs refused: a fresh server per size instead")
                memory = None
            results = upload_all(
                server, floor, pipeline=pipeline, memory=memory, templates=templates, args=args
            )
            search = search_all(server, server_database, admin, catalog, args)
            if args.profile:
                largest = max(templates)
                profile_ingest(floor, templates[largest], templates[min(templates)])
        finally:
            floor.dispose()
            server.stop()
    return checks(backend, results, search, args)


def upload_all(
    server: Server,
    floor: FloorDatabase,
    *,
    pipeline: str,
    memory: ProcessMemory | None,
    templates: dict[int, SbomTemplate],
    args: argparse.Namespace,
) -> dict[int, SizeResult]:
    smallest = templates[min(templates)]
    results: dict[int, SizeResult] = {}
    print(
        f"  {'components':>10} {'doc MiB':>7} {'n':>2} {'sha256':>7} {'parse':>7} {'schema':>7}"
        f" {'rows':>7} {'insert':>7} {'floor ms':>9} {'e2e ms':>8} {'e2e/floor':>9} {'comp/s':>8}"
        f" {'RSS+ MiB':>8} {'RSS+/doc':>8} {'med/doc':>8} {'plain':>7} {'/plain':>9}",
        flush=True,
    )
    uploader = Uploader(server, pipeline)
    try:
        if memory is None:
            for size, template in sorted(templates.items()):
                uploader.close()
                server.stop()
                server.start()
                uploader = Uploader(server, pipeline)
                warm_up(uploader, smallest)
                results[size] = measure_size(
                    template, samples_of(size, args), floor, uploader, memory
                )
        else:
            warm_up(uploader, smallest)
            results = {size: SizeResult(size, 0) for size in templates}
            # Round robin (1k, 10k, 50k, 1k, ...): every size meets a database of
            # about the same size, so the 50k / 10k ratio is not the database's growth.
            for round_number in range(max(samples_of(size, args) for size in templates)):
                for size, template in sorted(templates.items()):
                    if round_number < samples_of(size, args):
                        measure_one(
                            template,
                            results[size],
                            floor,
                            uploader,
                            memory,
                            first=round_number == 0,
                        )
        for size, result in sorted(results.items()):
            print_size(size, result)
    finally:
        uploader.close()
    return results


def samples_of(size: int, args: argparse.Namespace) -> int:
    return int(args.large_samples if size >= LARGE else args.samples)


def warm_up(uploader: Uploader, smallest: SbomTemplate) -> None:
    """Untimed: compiles the server's validators and warms its code paths."""
    value, artifact_digest = new_artifact()
    uploader.upload(smallest.render(value), artifact_digest, smallest.size)


def print_size(size: int, result: SizeResult) -> None:
    median = result.median
    growth = result.rss_growth
    typical = result.median_rss_growth
    growth_text = (
        f"{growth / MiB:>8.1f} {growth / result.document_bytes:>8.2f}"
        f" {typical / result.document_bytes:>8.2f}"
        if growth is not None and typical is not None
        else f"{'-':>8} {'-':>8} {'-':>8}"
    )
    print(
        f"  {size:>10} {result.document_bytes / MiB:>7.1f} {len(result.samples):>2}"
        f" {median(lambda s: s.hash_ms):>7.1f} {median(lambda s: s.parse_ms):>7.1f}"
        f" {median(lambda s: s.schema_ms):>7.1f} {median(lambda s: s.rows_ms):>7.1f}"
        f" {median(lambda s: s.insert_ms):>7.1f}"
        f" {result.floor_ms:>9.1f} {result.e2e_ms:>8.1f} {result.ratio:>9.2f}"
        f" {size / (result.e2e_ms / 1000):>8.0f} {growth_text}"
        f" {median(lambda s: s.plain_ms):>7.1f} {result.plain_ratio:>9.2f}",
        flush=True,
    )


@dataclass(frozen=True)
class SearchResult:
    stored: int
    timings: dict[str, list[float]]

    @property
    def all_ms(self) -> list[float]:
        return [took for values in self.timings.values() for took in values]


def search_all(
    server: Server, database: str, admin: str, catalog: Catalog, args: argparse.Namespace
) -> SearchResult:
    total = QUICK_SEARCH_COMPONENTS if args.quick else SEARCH_COMPONENTS
    index, seconds = seed_components(database, catalog, total)
    stored = stored_components(database)
    print(
        f"  seeded {total:,} components over {SEED_ARTIFACTS} artifacts in {seconds:.1f} s;"
        f" {stored:,} stored",
        flush=True,
    )
    timings = time_queries(server.base_url, admin, search_queries(catalog, index, args.queries))
    result = SearchResult(stored, timings)
    every = result.all_ms
    print(
        f"  GET /v1/components, {len(every)} queries: median {statistics.median(every):.2f} ms,"
        f" p95 {percentile(every, 0.95):.2f} ms"
    )
    for kind, values in timings.items():
        print(
            f"    {kind:<16} {len(values):>3} queries: median {statistics.median(values):6.2f} ms,"
            f" p95 {percentile(values, 0.95):6.2f} ms"
        )
    return result


def checks(
    backend: str,
    results: dict[int, SizeResult],
    search: SearchResult,
    args: argparse.Namespace,
) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    limit = FLOOR_RATIO_LIMIT[backend]
    for size in CHECKED_SIZES:
        if size in results:
            result = results[size]
            found.append(
                (
                    f"{backend}: end to end at {size:,} components {result.e2e_ms:.0f} ms"
                    f" = {result.ratio:.2f} x the floor ({result.floor_ms:.0f} ms);"
                    f" allowed {limit} x",
                    result.ratio <= limit,
                )
            )
    if 10_000 in results and 50_000 in results:
        growth = results[50_000].e2e_ms / results[10_000].e2e_ms
        found.append(
            (
                f"{backend}: 50,000 components take {growth:.2f} x the time of 10,000;"
                f" allowed {GROWTH_LIMIT} x",
                growth <= GROWTH_LIMIT,
            )
        )
    for size, result in sorted(results.items()):
        growth_bytes = result.rss_growth
        if growth_bytes is None:
            found.append((f"{backend}: RSS growth at {size:,} components not measured", False))
            continue
        ratio = growth_bytes / result.document_bytes
        found.append(
            (
                f"{backend}: peak RSS growth at {size:,} components {growth_bytes / MiB:.1f} MiB"
                f" = {ratio:.2f} x the document ({result.document_bytes / MiB:.1f} MiB);"
                f" allowed {RSS_LIMIT} x",
                ratio <= RSS_LIMIT,
            )
        )
    median = statistics.median(search.all_ms)
    scope = " (--quick: the target is for 1,000,000)" if args.quick else ""
    found.append(
        (
            f"{backend}: component search median {median:.2f} ms over {search.stored:,}"
            f" stored components{scope}; allowed {QUERY_MEDIAN_LIMIT_MS} ms",
            median <= QUERY_MEDIAN_LIMIT_MS,
        )
    )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,000/10,000 components; 100,000 searched"
    )
    parser.add_argument("--samples", type=int, default=5, help="uploads at 1,000 and 10,000")
    parser.add_argument("--large-samples", type=int, default=3, help="uploads at 50,000")
    parser.add_argument("--queries", type=int, default=200, help="component searches timed")
    backends = parser.add_mutually_exclusive_group()
    backends.add_argument("--postgres", metavar="URL", help="run SQLite, then PostgreSQL at URL")
    backends.add_argument("--database-url", metavar="URL", help="run PostgreSQL at URL only")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process ingest")
    args = parser.parse_args()

    postgres = args.postgres or args.database_url
    if postgres is not None and make_url(postgres).get_backend_name() != "postgresql":
        parser.error("--postgres and --database-url take a PostgreSQL URL; SQLite is the default")
    runs: list[tuple[str, str | None]] = [] if args.database_url else [("sqlite", None)]
    if postgres is not None:
        runs.append(("postgresql", postgres))

    started = time.perf_counter()
    catalog = Catalog(CATALOG_PACKAGES)
    templates = {
        size: SbomTemplate(catalog, size) for size in (QUICK_SIZES if args.quick else SIZES)
    }
    print(
        f"{len(catalog.packages):,} packages; documents of "
        + ", ".join(f"{size:,} components ({t.edges:,} edges)" for size, t in templates.items())
        + f" built in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    found: list[tuple[str, bool]] = []
    for backend, url in runs:
        found.extend(run_backend(backend, url, templates, catalog, args))

    print()
    failed = False
    for text, passed in found:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
        failed |= not passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
