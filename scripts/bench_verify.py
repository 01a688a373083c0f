"""Sigstore bundle verification benchmark: bare sigstore-python, POST /v1/attestations end to
end, and accepted bundles per second over HTTP.

Every bundle is signed by a local, offline Sigstore (``tests/sigstore_local``: a P-384 root,
a P-256 intermediate, a CT log and a Rekor-v1-style log) for a GitHub Actions workflow of
acme/payments at a tag, with a new key, leaf certificate, SCT and log entry each time. All
bundles are made before anything is timed, and every one is distinct (its own artifact
digest), so the server never sees the same bytes twice.

1. Bare verification, in this process: one ``Verifier`` built from the local trust root,
   then ``Bundle.from_json`` and ``verify_artifact(Hashed(...), bundle, policy)`` (message
   signatures) or ``verify_dsse`` (DSSE), each timed apart, over distinct bundles. The
   policy is sigstore-python's own: ``AllOf([Identity(...), GitHubWorkflowRepository(...)])``.
   For reference, the cryptographic floor: the raw ECDSA verifications with
   ``cryptography`` alone (leaf signature over the digest, the SCT, the signed entry
   timestamp, the checkpoint, and the chain: leaf by the intermediate, intermediate by the
   root).
2. End to end: ``attestd serve`` in a subprocess with its own database (SQLite under a
   temporary directory, or PostgreSQL) and the local trust root; one sequential client
   (``http.client``, keep-alive) POSTs one bundle at a time with ``?artifact=``, timed from
   the first byte sent to the last byte of the 201 answer. The server's CPU time per
   request is read from /proc. A ``GET /healthz`` round trip is shown for reference.
3. Throughput: several client threads (keep-alive connections) share a queue of bundles;
   accepted bundles per second of wall time, and the server's CPU per bundle.

Targets (PASS/FAIL is printed; the exit status is 0 whether they are met or not, and 1
when anything fails: a bundle refused, the server not starting):

* bare verification (``Bundle.from_json`` + ``verify_artifact``) p50 <= 3 ms;
* end-to-end median <= 2 x that bare p50, measured in the same run;
* >= 150 accepted bundles/s over HTTP with ``--clients`` (4) concurrent clients.

``--profile`` then runs the app in this process (uvicorn in a thread, the same settings),
times the stages of the request by wrapping the functions that do them (outermost calls
only; the rest of a stage is shown as "other"), and adds a cProfile of submissions called
directly, without HTTP.

    .venv/bin/python scripts/bench_verify.py [--quick] [--database-url URL] [--dsse]
        [--clients 4] [--profile]

SQLite by default. ``--database-url postgresql+psycopg://USER@HOST:PORT/DB`` runs on
PostgreSQL: the benchmark creates, and drops at the end, databases named
attestd_bench_verify_<pid>[_profile] on that server. ``--quick`` is a smoke run of a few
seconds; its numbers are rough.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import functools
import hashlib
import http.client
import importlib
import inspect
import io
import json
import logging
import os
import platform
import pstats
import queue
import statistics
import struct
import sys
import sysconfig
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import AllOf, GitHubWorkflowRepository, Identity, VerificationPolicy
from sigstore_models.common.v1 import HashAlgorithm
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from scripts.bench_server import STARTUP_SECONDS, Server, free_port
from tests.sigstore_local import (
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)
from tests.sigstore_local.transparency import TransparencyLog

REPOSITORY = Path(__file__).resolve().parents[1]

SERVICE = "payments"
SOURCE = "acme/payments"
SIGNER = SignerIdentity.github_workflow(SOURCE, ref="refs/tags/v1.0.0")
PROVENANCE = "https://slsa.dev/provenance/v1"

# Sizes as (default run, --quick run).
BARE_BUNDLES = (100, 30)  # distinct bundles of each kind, verified in turn
BARE_ROUNDS = (5, 3)  # times each is loaded and verified afresh
FLOOR_REPEATS = (300, 50)
WARM_UP = (20, 10)  # untimed submissions before the sequential ones
E2E_BUNDLES = (300, 40)
E2E_DSSE_BUNDLES = (100, 20)
THROUGHPUT_BUNDLES = (600, 120)
HEALTHZ_REQUESTS = (200, 50)
PROFILE_BUNDLES = (200, 40)
PROFILE_DIRECT = (100, 20)

BARE_P50_LIMIT_MS = 3.0
E2E_RATIO_LIMIT = 2.0
THROUGHPUT_FLOOR = 150.0  # accepted bundles per second

# A log whose tree grows with every bundle makes each new proof slower to build; a new
# shard (same key, new tree id) every so many entries keeps generation linear.
LOG_SHARD_ENTRIES = 100
HTTP_TIMEOUT_SECONDS = 60
IDLE_SECONDS = 0.1  # a server that used no CPU for this long is idle
IDLE_LIMIT_SECONDS = 10
PROFILE_LINES = 25
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; ``fraction`` 0.5 is the median's rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def p90(values: Sequence[float]) -> float:
    return percentile(values, 0.9)


# --- bundles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """One bundle ready to send: its bytes, media type and the artifact it is about."""

    content: bytes
    media_type: str
    artifact: str  # sha256:<hex>
    digest: bytes  # the artifact's SHA-256
    dsse: bool


class BundleFactory:
    """Distinct bundles from one local Sigstore: a new key, leaf and log entry each."""

    def __init__(self, sigstore: LocalSigstore) -> None:
        self.sigstore = sigstore
        self.made = 0

    def _next_entry(self) -> None:
        if self.made and self.made % LOG_SHARD_ENTRIES == 0:
            shard = self.made // LOG_SHARD_ENTRIES
            self.sigstore.tlog = TransparencyLog(self.sigstore.tlog.key, tree_id=shard)
        self.made += 1

    def message(self) -> Prepared:
        self._next_entry()
        digest = os.urandom(32)
        built = message_signature_bundle(self.sigstore, digest, signer=SIGNER)
        return Prepared(
            built.content, built.version.value, f"sha256:{digest.hex()}", digest, dsse=False
        )

    def dsse(self) -> Prepared:
        self._next_entry()
        digest = os.urandom(32)
        document = statement(
            {f"payments-{digest[:4].hex()}.tar.gz": digest},
            predicate_type=PROVENANCE,
            predicate={
                "buildDefinition": {
                    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                    "externalParameters": {
                        "workflow": {
                            "ref": "refs/tags/v1.0.0",
                            "repository": f"https://github.com/{SOURCE}",
                            "path": ".github/workflows/release.yml",
                        }
                    },
                },
                "runDetails": {
                    "builder": {"id": "https://github.com/actions/runner/github-hosted"}
                },
            },
        )
        built = dsse_bundle(self.sigstore, document, signer=SIGNER)
        return Prepared(
            built.content, built.version.value, f"sha256:{digest.hex()}", digest, dsse=True
        )

    def many(self, count: int, *, dsse: bool = False) -> list[Prepared]:
        make = self.dsse if dsse else self.message
        return [make() for _ in range(count)]


# --- 1. bare sigstore-python --------------------------------------------------------------


@dataclass
class BareResult:
    kind: str
    from_json_ms: list[float] = field(default_factory=list)
    verify_ms: list[float] = field(default_factory=list)

    @property
    def total_ms(self) -> list[float]:
        return [a + b for a, b in zip(self.from_json_ms, self.verify_ms, strict=True)]


def sigstore_policy() -> VerificationPolicy:
    """sigstore-python's own pinning of the workflow identity and its repository."""
    return AllOf(
        [Identity(identity=SIGNER.identity, issuer=SIGNER.issuer), GitHubWorkflowRepository(SOURCE)]
    )


def measure_bare(
    verifier: Verifier, policy: VerificationPolicy, bundles: Sequence[Prepared], rounds: int
) -> BareResult:
    """Each bundle loaded and verified afresh ``rounds`` times; the two steps timed apart."""
    dsse = bundles[0].dsse
    result = BareResult("DSSE (verify_dsse)" if dsse else "message signature (verify_artifact)")
    for _ in range(rounds):
        for prepared in bundles:
            started = time.perf_counter()
            bundle = Bundle.from_json(prepared.content)
            loaded = time.perf_counter()
            if dsse:
                verifier.verify_dsse(bundle, policy)
            else:
                hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=prepared.digest)
                verifier.verify_artifact(hashed, bundle, policy)
            done = time.perf_counter()
            result.from_json_ms.append((loaded - started) * 1000)
            result.verify_ms.append((done - loaded) * 1000)
    return result


def print_bare(results: Sequence[BareResult]) -> None:
    print(
        f"  {'bundle':<38} {'n':>4} {'from_json p50':>13} {'verify p50':>10} {'p90':>6}"
        f" {'total p50':>9} {'p90':>6}"
    )
    for result in results:
        print(
            f"  {result.kind:<38} {len(result.verify_ms):>4}"
            f" {p50(result.from_json_ms):>13.3f} {p50(result.verify_ms):>10.3f}"
            f" {p90(result.verify_ms):>6.3f} {p50(result.total_ms):>9.3f}"
            f" {p90(result.total_ms):>6.3f}"
        )


@dataclass(frozen=True)
class FloorCheck:
    label: str
    verify: Callable[[], None]
    checked_by_sigstore: bool = True


def floor_checks(sigstore: LocalSigstore, prepared: Prepared) -> list[FloorCheck]:
    """The ECDSA verifications a message-signature bundle needs, with their inputs ready."""
    document = json.loads(prepared.content)
    material = document["verificationMaterial"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(material["certificate"]["rawBytes"]))
    entry = material["tlogEntries"][0]
    body = base64.b64decode(entry["canonicalizedBody"])
    signature = base64.b64decode(document["messageSignature"]["signature"])
    intermediate, root = sigstore.ca.intermediate, sigstore.ca.root
    log_key = sigstore.tlog.key.public_key()
    ct_key = sigstore.ct_log.key.public_key()
    leaf_key = leaf.public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey):
        raise SystemExit("the local leaf key is not an EC key")

    sct = leaf.extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps
    ).value[0]
    issuer_key_hash = hashlib.sha256(
        intermediate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    tbs = leaf.tbs_precertificate_bytes
    millis = round(sct.timestamp.replace(tzinfo=UTC).timestamp() * 1000)
    sct_signed = (
        struct.pack("!BBQH", 0, 0, millis, 1)
        + issuer_key_hash
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack("!H", len(sct.extension_bytes))
        + sct.extension_bytes
    )
    entry_timestamp = rfc8785.dumps(
        {
            "body": entry["canonicalizedBody"],
            "integratedTime": int(entry["integratedTime"]),
            "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
            "logIndex": int(entry["logIndex"]),
        }
    )
    set_signature = base64.b64decode(entry["inclusionPromise"]["signedEntryTimestamp"])
    note = entry["inclusionProof"]["checkpoint"]["envelope"]
    note_text, _, signature_lines = note.partition("\n\n")
    note_signature = base64.b64decode(signature_lines.strip().split(" ")[-1])[4:]
    sha256 = ec.ECDSA(hashes.SHA256())
    if hashlib.sha256(body).digest() == prepared.digest:
        raise SystemExit("unexpected: the log body hashes to the artifact digest")
    return [
        FloorCheck(
            "leaf signature over the digest",
            lambda: leaf_key.verify(
                signature, prepared.digest, ec.ECDSA(Prehashed(hashes.SHA256()))
            ),
        ),
        FloorCheck("SCT (CT log key)", lambda: ct_key.verify(sct.signature, sct_signed, sha256)),
        FloorCheck(
            "signed entry timestamp (log key)",
            lambda: log_key.verify(set_signature, entry_timestamp, sha256),
        ),
        FloorCheck(
            "checkpoint (log key)",
            lambda: log_key.verify(note_signature, (note_text + "\n").encode(), sha256),
        ),
        FloorCheck(
            "chain: leaf by intermediate (P-256)",
            lambda: leaf.verify_directly_issued_by(intermediate),
        ),
        FloorCheck(
            "chain: intermediate by root (P-384)",
            lambda: intermediate.verify_directly_issued_by(root),
            checked_by_sigstore=False,
        ),
    ]


def measure_floor(checks: Sequence[FloorCheck], repeats: int) -> list[tuple[FloorCheck, float]]:
    """Median milliseconds of each check (each verified once first: a failure is an error)."""
    for check in checks:
        check.verify()
    timed = []
    for check in checks:
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            check.verify()
            samples.append(elapsed_ms(started))
        timed.append((check, p50(samples)))
    return timed


def print_floor(floor: Sequence[tuple[FloorCheck, float]]) -> float:
    """Print the floor's parts; returns the floor (every part) in ms."""
    total = sum(ms for _, ms in floor)
    performed = sum(ms for check, ms in floor if check.checked_by_sigstore)
    for check, ms in floor:
        mark = "" if check.checked_by_sigstore else "  (not done by sigstore-python: see below)"
        print(f"    {check.label:<40} {ms * 1000:>7.0f} us{mark}")
    print(f"    {'cryptographic floor':<40} {total:>7.3f} ms")
    print(
        f"    sigstore-python takes every CA certificate of the trust root as an anchor, so"
        f" it stops\n    at the intermediate: the verifications it performs sum to"
        f" {performed:.3f} ms."
    )
    return total


# --- the server -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_until_idle(pid: int) -> None:
    """Wait until process ``pid`` has used no CPU for ``IDLE_SECONDS`` (at most ``IDLE_LIMIT``)."""
    deadline = time.monotonic() + IDLE_LIMIT_SECONDS
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(IDLE_SECONDS)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request on a new connection: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Client:
    """A keep-alive connection that submits bundles as the bench pipeline."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS
        )
        self.authorization = f"Bearer {token}"

    def submit(self, prepared: Prepared) -> float:
        """Milliseconds from sending the bundle to the end of the 201 answer; else an error."""
        path = f"/v1/attestations?service={SERVICE}&artifact={prepared.artifact}"
        headers = {"Authorization": self.authorization, "Content-Type": prepared.media_type}
        started = time.perf_counter()
        self.connection.request("POST", path, body=prepared.content, headers=headers)
        response = self.connection.getresponse()
        answer = response.read()
        took = elapsed_ms(started)
        check_accepted(response.status, answer, prepared)
        return took

    def healthz(self) -> float:
        started = time.perf_counter()
        self.connection.request("GET", "/healthz")
        response = self.connection.getresponse()
        response.read()
        took = elapsed_ms(started)
        if response.status != 200:
            raise SystemExit(f"GET /healthz answered {response.status}")
        return took

    def close(self) -> None:
        self.connection.close()


class Refused(RuntimeError):
    """The server did not accept a bundle it should have."""


def check_accepted(status: int, answer: bytes, prepared: Prepared) -> None:
    if status != 201:
        raise Refused(f"POST /v1/attestations answered {status}: {answer[:1000]!r}")
    record = json.loads(answer)
    subjects = {subject["digest"] for subject in record["subjects"]}
    if record["receipt"]["verified"] is not True or prepared.artifact not in subjects:
        raise Refused(f"the record does not show a verified bundle about {prepared.artifact}")


def prepare_server(server: Server) -> str:
    """Tokens and the service; returns the pipeline token."""
    admin = server.cli("token", "create", "--role", "admin", "--name", "bench-admin")
    pipeline = server.cli("token", "create", "--role", "pipeline", "--name", "bench-pipeline")
    register_service(server.port, admin)
    return pipeline


def register_service(port: int, admin_token: str) -> None:
    """The service, whose default policy accepts the workflows of its GitHub repository."""
    status, answer = request(
        port,
        "POST",
        "/v1/services",
        body=json.dumps({"name": SERVICE, "repository": f"https://github.com/{SOURCE}"}).encode(),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
    )
    if status != 201:
        raise SystemExit(f"registering the service answered {status}: {answer[:500]!r}")


# --- 2. end to end, sequential --------------------------------------------------------------


@dataclass
class Sequential:
    label: str
    ms: list[float]
    server_cpu_ms: float  # per request


def run_sequential(
    server: Server, client: Client, bundles: Sequence[Prepared], label: str
) -> Sequential:
    wait_until_idle(server.pid)
    cpu_before = cpu_seconds(server.pid)
    timings = [client.submit(prepared) for prepared in bundles]
    cpu = (cpu_seconds(server.pid) - cpu_before) * 1000 / len(bundles)
    return Sequential(label, timings, cpu)


def print_sequential(results: Sequence[Sequential], healthz: Sequence[float]) -> None:
    print(
        f"  {'request':<44} {'n':>4} {'p50 ms':>7} {'p90 ms':>7} {'mean':>7}"
        f" {'server CPU ms/req':>17}"
    )
    for result in results:
        print(
            f"  {result.label:<44} {len(result.ms):>4} {p50(result.ms):>7.2f}"
            f" {p90(result.ms):>7.2f} {statistics.mean(result.ms):>7.2f}"
            f" {result.server_cpu_ms:>17.1f}"
        )
    print(
        f"  {'GET /healthz (reference: a route doing nothing)':<44} {len(healthz):>4}"
        f" {p50(healthz):>7.2f} {p90(healthz):>7.2f} {statistics.mean(healthz):>7.2f}"
    )


# --- 3. throughput --------------------------------------------------------------------------


@dataclass
class Throughput:
    clients: int
    accepted: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_seconds: float
    client_cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds


def run_throughput(
    server: Server, token: str, bundles: Sequence[Prepared], clients: int
) -> Throughput:
    """``clients`` threads, each with its own connection, drain one queue of bundles."""
    work: queue.SimpleQueue[Prepared] = queue.SimpleQueue()
    for prepared in bundles:
        work.put(prepared)
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def drain() -> None:
        client = Client(server.port, token)
        mine: list[float] = []
        try:
            start.wait()
            while not errors:
                try:
                    prepared = work.get_nowait()
                except queue.Empty:
                    break
                mine.append(client.submit(prepared))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(error)
        finally:
            client.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=drain, name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    wait_until_idle(server.pid)
    cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    server_cpu = cpu_seconds(server.pid) - cpu_before
    client_cpu = time.process_time() - own_before
    if errors:
        raise SystemExit(f"a client failed: {errors[0]}\n{server.tail()}")
    return Throughput(clients, len(latencies), seconds, latencies, server_cpu, client_cpu)


def print_throughput(result: Throughput) -> None:
    print(
        f"  {result.accepted} bundles accepted by {result.clients} clients in"
        f" {result.seconds:.2f} s: {result.per_second:.0f} bundles/s;"
        f" latency p50 {p50(result.latencies_ms):.1f} ms, p90 {p90(result.latencies_ms):.1f} ms"
    )
    print(
        f"  server CPU {result.server_cpu_seconds * 1000 / result.accepted:.1f} ms per bundle"
        f" ({result.server_cpu_seconds / result.seconds:.2f} cores busy); clients"
        f" {result.client_cpu_seconds / result.seconds:.2f} cores; {os.cpu_count()} cores here"
    )


# --- databases ------------------------------------------------------------------------------


@contextmanager
def databases(directory: Path, server_url: str | None, names: Sequence[str]) -> Iterator[list[str]]:
    """One URL per name: SQLite files under ``directory``, or new PostgreSQL databases."""
    if server_url is None:
        yield [f"sqlite:///{directory}/attestd{name}.db" for name in names]
        return
    base = make_url(server_url)
    created = [f"attestd_bench_verify_{os.getpid()}{name}" for name in names]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in created:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield [base.set(database=name).render_as_string(hide_password=False) for name in created]
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


# --- in-process profile ---------------------------------------------------------------------

# (label, depth, module, attribute): the functions whose outermost calls are timed.
STAGES: tuple[tuple[str, int, str, str], ...] = (
    (
        "authenticate (GuardedRoute, own transaction)",
        1,
        "app.api.deps",
        "_authenticate_own_transaction",
    ),
    ("read body", 1, "app.api.attestations", "read_body"),
    ("accept_bundle", 1, "app.api.attestations", "accept_bundle"),
    ("service by name", 2, "app.services.repository", "ServiceRepository.by_name"),
    (
        "same bytes stored? (by_digest)",
        2,
        "app.attestations.repository",
        "AttestationRepository.by_digest",
    ),
    ("parse_bundle", 2, "app.workflows.accept_bundle", "parse_bundle"),
    ("strict JSON", 3, "app.attestations.bundles", "parse_strict_json"),
    ("strict shape walk", 3, "app.attestations.bundles", "_strict"),
    ("sigstore Bundle.from_json", 3, "app.attestations.bundles", "_load"),
    ("policy in force", 2, "app.workflows.accept_bundle", "current_policy"),
    ("verify", 2, "app.attestations.ingest", "verify"),
    ("sigstore verify_artifact", 3, "sigstore.verify.verifier", "Verifier.verify_artifact"),
    ("sigstore verify_dsse", 3, "sigstore.verify.verifier", "Verifier.verify_dsse"),
    ("signer from certificate", 3, "app.attestations.verification", "_signer"),
    ("bind artifacts", 2, "app.attestations.ingest", "bind_artifact"),
    ("blob insert", 2, "app.blobs.repository", "BlobRepository.add"),
    ("attestation insert", 2, "app.attestations.repository", "AttestationRepository.add_new"),
    ("subjects insert", 2, "app.attestations.repository", "AttestationRepository.add_subjects"),
    ("receipt insert", 2, "app.attestations.repository", "AttestationRepository.add_receipt"),
    ("audit leaf", 2, "app.audit.log", "AuditLog.append"),
    ("answer record (attestation_out)", 2, "app.workflows.accept_bundle", "attestation_out"),
    ("commit", 1, "sqlalchemy.orm", "Session.commit"),
    ("response serialization", 1, "fastapi.routing", "serialize_response"),
)
ASGI = "ASGI app (all the server does after uvicorn parsed the request)"


class StageTimers:
    """Wall time in named functions, outermost calls only, accumulated by label."""

    def __init__(self) -> None:
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self._depth = threading.local()
        self._undo: list[Callable[[], None]] = []

    def install(self) -> list[str]:
        """Wrap every stage that exists; returns the labels of those that do not."""
        missing = []
        for label, _, module_name, attribute in STAGES:
            owner: Any = importlib.import_module(module_name)
            *path, name = attribute.split(".")
            for step in path:
                owner = getattr(owner, step)
            original = (
                owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
            )
            if original is None:
                missing.append(label)
                continue
            setattr(owner, name, self._wrap(label, original))
            self._undo.append(functools.partial(setattr, owner, name, original))
        return missing

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def add(self, label: str, seconds: float) -> None:
        self.totals[label] += seconds
        self.calls[label] += 1

    def _wrap(self, label: str, original: Callable[..., Any]) -> Callable[..., Any]:
        depth = self._depth

        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.add(label, time.perf_counter() - started)

            return timed_async

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            level = getattr(depth, label, 0)
            setattr(depth, label, level + 1)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                setattr(depth, label, level)
                if level == 0:
                    self.add(label, time.perf_counter() - started)

        return timed


class TimedAsgi:
    """The app, with the time of each HTTP request added to ``timers`` under ``ASGI``."""

    def __init__(self, app: Callable[..., Awaitable[None]], timers: StageTimers) -> None:
        self.app = app
        self.timers = timers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.timers.add(ASGI, time.perf_counter() - started)


def profile_in_process(
    database_url: str,
    *,
    directory: Path,
    trust_root: Path,
    bundles: Sequence[Prepared],
    direct: Sequence[Prepared],
    warm_up: Sequence[Prepared],
) -> None:
    """Stage times of sequential POSTs to the app served in this process, then a cProfile."""
    import uvicorn  # noqa: PLC0415 - only the profile serves in this process

    from app.config import Settings  # noqa: PLC0415 - the app is imported for --profile only
    from app.db import migrate  # noqa: PLC0415
    from app.logs import configure_logging  # noqa: PLC0415
    from app.main import create_app  # noqa: PLC0415

    directory.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=database_url,
        signing_key_file=directory / "signing-key.pem",
        trust_roots=(trust_root,),
    )
    migrate.upgrade(database_url)
    # As `attestd serve` logs (one JSON access line per request), into a file.
    configure_logging(settings.log_level_number)
    log_file = (directory / "serve.log").open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)

    timers = StageTimers()
    missing = timers.install()
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            TimedAsgi(app, timers),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            server_header=False,
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the in-process server did not start")
            time.sleep(0.05)
        admin = _token(app, "admin")
        pipeline = _token(app, "pipeline")
        register_service(port, admin)
        client = Client(port, pipeline)
        for prepared in warm_up:
            client.submit(prepared)
        samples: list[dict[str, float]] = []
        calls_before = dict(timers.calls)
        for prepared in bundles:
            before = dict(timers.totals)
            took = client.submit(prepared) / 1000
            sample = {
                label: value - before.get(label, 0.0) for label, value in timers.totals.items()
            }
            sample["e2e"] = took
            samples.append(sample)
        calls = {
            label: (count - calls_before.get(label, 0)) / len(bundles)
            for label, count in timers.calls.items()
        }
        client.close()
        timers.restore()
        kind = "DSSE" if bundles[0].dsse else "message signature"
        print_stages(samples, calls, missing, kind=kind)
        profile_direct(app, pipeline, direct)
    finally:
        timers.restore()
        server.should_exit = True
        thread.join()
        log_file.close()


def _token(app: Any, role_name: str) -> str:
    from app.audit.events import Actor  # noqa: PLC0415
    from app.audit.log import AuditTrail  # noqa: PLC0415
    from app.auth.credentials import Role  # noqa: PLC0415
    from app.auth.tokens import create_token  # noqa: PLC0415

    role = Role(role_name)
    runtime = app.runtime
    with runtime.sessionmaker.begin() as session:
        trail = AuditTrail(session, runtime.audit_log, Actor(type="cli", name="bench"), "bench")
        secret, _ = create_token(trail, name=f"bench-{role.value}", role=role)
    return secret


def print_stages(
    samples: Sequence[dict[str, float]],
    calls: dict[str, float],
    missing: Sequence[str],
    kind: str,
) -> None:
    """Per-request median and mean of each stage; a parent's unaccounted time as "other"."""

    def values(label: str) -> list[float]:
        return [sample.get(label, 0.0) * 1000 for sample in samples]

    e2e = values("e2e")
    print(f"\n  in-process stages, {len(samples)} sequential {kind} POSTs (ms per request):")
    print(f"    {'stage':<58} {'median':>7} {'mean':>7} {'share':>6} {'calls':>5}")
    mean_e2e = statistics.mean(e2e)

    def line(label: str, depth: int, data: list[float]) -> None:
        indent = "  " * depth
        share = statistics.mean(data) / mean_e2e
        count = f"{calls[label]:>5.1f}" if label in calls else ""
        print(
            f"    {indent + label:<58} {p50(data):>7.3f} {statistics.mean(data):>7.3f}"
            f" {share:>6.1%} {count}"
        )

    line("end to end (client)", 0, e2e)
    asgi = values(ASGI)
    http_part = [a - b for a, b in zip(e2e, asgi, strict=True)]
    line("HTTP: client, loopback, uvicorn (h11): e2e less ASGI", 1, http_part)
    line(ASGI, 1, asgi)
    # (label, depth, data); the ASGI app is depth 0 here, its stages 1 and deeper.
    parents: list[tuple[str, int, list[float]]] = [(ASGI, 0, asgi)]
    accounted: dict[str, list[float]] = {ASGI: [0.0] * len(samples)}
    for label, depth, _, _ in STAGES:
        if label in missing or not any(label in sample for sample in samples):
            continue
        while parents[-1][1] >= depth:
            _close(parents.pop(), accounted, line)
        data = values(label)
        parent = parents[-1][0]
        accounted[parent] = [a + b for a, b in zip(accounted[parent], data, strict=True)]
        line(label, depth + 1, data)
        parents.append((label, depth, data))
        accounted[label] = [0.0] * len(samples)
    while parents:
        _close(parents.pop(), accounted, line)
    if missing:
        print(f"    (not found, so not timed: {', '.join(missing)})")


def _close(
    parent: tuple[str, int, list[float]],
    accounted: dict[str, list[float]],
    line: Callable[[str, int, list[float]], None],
) -> None:
    """The time of ``parent`` that none of its timed stages account for."""
    label, depth, data = parent
    inner = accounted.get(label)
    if inner is None or not any(inner):
        return
    rest = [a - b for a, b in zip(data, inner, strict=True)]
    line(f"other in {label.split(' (')[0]}", depth + 2, rest)


def profile_direct(app: Any, token: str, bundles: Sequence[Prepared]) -> None:
    """cProfile of ``accept_bundle`` called in this process, one transaction each."""
    from app.artifacts.uploads import Upload  # noqa: PLC0415
    from app.audit.events import Actor  # noqa: PLC0415
    from app.audit.log import AuditTrail, new_request_id  # noqa: PLC0415
    from app.auth.tokens import authenticate  # noqa: PLC0415
    from app.workflows.accept_bundle import accept_bundle  # noqa: PLC0415

    runtime = app.runtime
    factory = runtime.sessionmaker
    with factory.begin() as session:
        principal = authenticate(session, token)

    def submit_all() -> None:
        for prepared in bundles:
            with factory.begin() as session:
                trail = AuditTrail(
                    session, runtime.audit_log, Actor.of(principal), new_request_id()
                )
                upload = Upload(SERVICE, prepared.artifact, prepared.media_type, prepared.content)
                accept_bundle(trail, principal, upload, trust_roots=runtime.trust_roots)

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(submit_all)
    took = elapsed_ms(started) / len(bundles)
    print(
        f"\n  cProfile of {len(bundles)} accept_bundle calls in one transaction each, no"
        f" HTTP ({took:.1f} ms each under the profiler):"
    )
    prefixes = (sysconfig.get_paths()["purelib"] + "/", str(REPOSITORY) + "/")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(PROFILE_LINES)
        lines = text.getvalue().rstrip().splitlines()
        header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"  by {order}:")
        for line in lines[header:]:
            for prefix in prefixes:
                line = line.replace(prefix, "")  # noqa: PLW2901 - shortened for reading
            print("    " + line)


# --- main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundles:
    """Everything the run sends or verifies, made before anything is timed."""

    bare_message: list[Prepared]
    bare_dsse: list[Prepared]
    warm_up: list[Prepared]
    e2e: list[Prepared]
    e2e_dsse: list[Prepared]
    burst: list[Prepared]
    profiled: list[Prepared]


def make_bundles(factory: BundleFactory, size: int, args: argparse.Namespace) -> Bundles:
    started = time.perf_counter()
    profiled = PROFILE_BUNDLES[size] + PROFILE_DIRECT[size] + WARM_UP[size]
    made = Bundles(
        bare_message=factory.many(BARE_BUNDLES[size]),
        bare_dsse=factory.many(BARE_BUNDLES[size], dsse=True),
        warm_up=factory.many(WARM_UP[size]),
        e2e=factory.many(E2E_BUNDLES[size]),
        e2e_dsse=factory.many(E2E_DSSE_BUNDLES[size], dsse=True) if args.dsse else [],
        burst=factory.many(THROUGHPUT_BUNDLES[size]),
        profiled=factory.many(profiled) if args.profile else [],
    )
    print(
        f"{factory.made} distinct bundles made in {time.perf_counter() - started:.1f} s"
        f" (message signature {len(made.e2e[0].content):,} bytes,"
        f" DSSE {len(made.bare_dsse[0].content):,} bytes)",
        flush=True,
    )
    return made


def run_bare(sigstore: LocalSigstore, trust_root: Path, bundles: Bundles, size: int) -> float:
    """Part 1; returns the bare p50 of message signatures (from_json + verify_artifact)."""
    print("\n== 1. bare sigstore-python (this process, Verifier built once) ==")
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(trust_root)))
    policy = sigstore_policy()
    bare = [
        measure_bare(verifier, policy, bundles.bare_message, BARE_ROUNDS[size]),
        measure_bare(verifier, policy, bundles.bare_dsse, BARE_ROUNDS[size]),
    ]
    print_bare(bare)
    print("  cryptographic floor of one message-signature bundle (cryptography alone, p50):")
    checks = floor_checks(sigstore, bundles.bare_message[0])
    print_floor(measure_floor(checks, FLOOR_REPEATS[size]))
    return p50(bare[0].total_ms)


def run_http(
    server: Server, bundles: Bundles, size: int, args: argparse.Namespace
) -> tuple[Sequential, Throughput]:
    """Parts 2 and 3 against a started server; the message-signature run and the throughput."""
    backend = "postgresql" if args.database_url else "sqlite"
    token = prepare_server(server)
    client = Client(server.port, token)
    try:
        for prepared in bundles.warm_up:
            client.submit(prepared)
        healthz = [client.healthz() for _ in range(HEALTHZ_REQUESTS[size])]
        print(f"\n== 2. POST /v1/attestations end to end ({backend}, one client) ==")
        sequential = [
            run_sequential(server, client, bundles.e2e, "POST message signature, ?artifact=")
        ]
        if bundles.e2e_dsse:
            sequential.append(
                run_sequential(server, client, bundles.e2e_dsse, "POST DSSE (SLSA v1), ?artifact=")
            )
    finally:
        client.close()
    print_sequential(sequential, healthz)
    print(f"\n== 3. throughput ({backend}, {args.clients} clients) ==")
    throughput = run_throughput(server, token, bundles.burst, args.clients)
    print_throughput(throughput)
    return sequential[0], throughput


def print_targets(
    backend: str, bare_p50: float, sequential: Sequential, throughput: Throughput
) -> None:
    e2e_p50 = p50(sequential.ms)
    ratio = e2e_p50 / bare_p50
    targets = [
        (
            f"bare verification (from_json + verify_artifact) p50 {bare_p50:.2f} ms;"
            f" allowed {BARE_P50_LIMIT_MS} ms",
            bare_p50 <= BARE_P50_LIMIT_MS,
        ),
        (
            f"{backend}: end-to-end median {e2e_p50:.2f} ms = {ratio:.1f} x the bare p50;"
            f" allowed {E2E_RATIO_LIMIT} x",
            ratio <= E2E_RATIO_LIMIT,
        ),
        (
            f"{backend}: {throughput.per_second:.0f} accepted bundles/s with"
            f" {throughput.clients} clients; wanted >= {THROUGHPUT_FLOOR:.0f}",
            throughput.per_second >= THROUGHPUT_FLOOR,
        ),
    ]
    print()
    for text, passed in targets:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--database-url", metavar="URL", help="run on this PostgreSQL server")
    parser.add_argument("--dsse", action="store_true", help="also time DSSE bundles end to end")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (throughput)")
    parser.add_argument("--profile", action="store_true", help="in-process stage times, cProfile")
    args = parser.parse_args()
    if args.database_url and make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url takes a PostgreSQL URL; SQLite is the default")
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    size = 1 if args.quick else 0
    backend = "postgresql" if args.database_url else "sqlite"
    print(
        f"attestd bench_verify: {backend}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, sigstore {version('sigstore')},"
        f" cryptography {version('cryptography')}{' (--quick)' if args.quick else ''}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="attestd-bench-verify-") as name:
        directory = Path(name)
        sigstore = LocalSigstore.generate()
        trust_root = sigstore.write_trusted_root(directory)
        bundles = make_bundles(BundleFactory(sigstore), size, args)
        bare_p50 = run_bare(sigstore, trust_root, bundles, size)
        with databases(directory, args.database_url, ["", "_profile"]) as (served, in_process):
            (directory / "server").mkdir()
            server = Server(directory / "server", served, {"ATTESTD_TRUST_ROOTS": str(trust_root)})
            server.start()
            try:
                sequential, throughput = run_http(server, bundles, size, args)
            except Refused as refused:
                raise SystemExit(f"{refused}\n{server.tail()}") from None
            finally:
                server.stop()
            if args.profile:
                print(f"\n== profile ({backend}, the app in this process) ==")
                warm = WARM_UP[size]
                timed = PROFILE_BUNDLES[size]
                profile_in_process(
                    in_process,
                    directory=directory / "profile",
                    trust_root=trust_root,
                    bundles=bundles.profiled[warm : warm + timed],
                    direct=bundles.profiled[warm + timed :],
                    warm_up=bundles.profiled[:warm],
                )
    print_targets(backend, bare_p50, sequential, throughput)
    return 0


if __name__ == "__main__":
    sys.exit(main())
