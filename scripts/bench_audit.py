"""Audit-log benchmark: append overhead and proof generation at up to 1,000,000 leaves.

Builds a SQLite log (migrated schema, real leaves, hashes, subtree nodes and
per-entry signed tree heads) in a temporary directory, growing it to 10^3,
10^4, 10^5 and 10^6 leaves. At each size it times inclusion and consistency
proof generation through `AuditLog` (database reads included); at the largest
size it times a write (register a service) with and without its audit leaf,
interleaved, in the same run. Medians are reported against stated floors:

* append overhead (median with leaf - median without) <= 1 ms;
* proof generation median at the largest size < 5 ms;
* proof time growth from 10^3 to the largest size no faster than log n
  (ratio of medians <= 1.5 x the ratio of log2 sizes, the 1.5 allowing for noise).

    .venv/bin/python scripts/bench_audit.py [--max-leaves 1000000] [--samples 300]

Exits 1 when a floor is missed. Seeding a million leaves takes a few minutes.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, update
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, signature
from app.audit.events import Actor, Change, leaf_bytes
from app.audit.log import AuditLog
from app.audit.models import AuditEntry, AuditHead, AuditNode
from app.audit.repository import HEAD_ID
from app.clock import utcnow
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.services.models import Service
from app.signing import ServiceKey

ORIGIN = "bench.attestd.localhost/audit"
ACTOR = Actor(type="token", name="bench-pipeline", role="pipeline")
SIZES = (1_000, 10_000, 100_000, 1_000_000)
BATCH = 20_000
APPEND_OVERHEAD_FLOOR_MS = 1.0
PROOF_MEDIAN_FLOOR_MS = 5.0
GROWTH_ALLOWANCE = 1.5


class Seeder:
    """Grows the stored log exactly as appends would, but in bulk."""

    def __init__(self, engine: Engine, key: ServiceKey) -> None:
        self.engine = engine
        self.key = key
        self.size = 0
        self.frontier: list[bytes] = []
        self.root = merkle.EMPTY_ROOT
        self.start = datetime(2026, 1, 1, tzinfo=UTC)

    def grow_to(self, target: int) -> None:
        while self.size < target:
            end = min(target, self.size + BATCH)
            entries: list[dict[str, object]] = []
            nodes: list[dict[str, object]] = []
            for index in range(self.size, end):
                leaf = leaf_bytes(
                    index=index,
                    time=self.start + timedelta(milliseconds=index),
                    actor=ACTOR,
                    request_id=f"seed-{index}",
                    change=Change(
                        action="evidence.accepted",
                        object_kind="artifact",
                        object_id=f"sha256:{index:064x}",
                        document_sha256=f"{index:064x}",
                        result={"verified": True},
                    ),
                )
                leaf_hash = merkle.leaf_hash(leaf)
                appended = merkle.append(index, self.frontier, leaf_hash)
                self.frontier, self.root = appended.frontier, appended.root
                head = Checkpoint(ORIGIN, index + 1, appended.root)
                entries.append(
                    {
                        "idx": index,
                        "leaf": leaf.decode(),
                        "leaf_hash": leaf_hash,
                        "checkpoint_signature": signature(head, self.key),
                    }
                )
                nodes.extend(
                    {"level": level, "idx": idx, "hash": value}
                    for (level, idx), value in appended.nodes
                    if level > 0
                )
            with self.engine.begin() as connection:
                connection.execute(insert(AuditEntry), entries)
                if nodes:
                    connection.execute(insert(AuditNode), nodes)
                connection.execute(
                    update(AuditHead)
                    .where(AuditHead.id == HEAD_ID)
                    .values(size=end, root=self.root, frontier=b"".join(self.frontier))
                )
            self.size = end


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples)


def measure_proofs(
    factory: Callable[[], Session], log: AuditLog, size: int, samples: int
) -> tuple[float, float]:
    rng = random.Random(size)
    inclusion: list[float] = []
    consistency: list[float] = []
    with factory() as session:
        for _ in range(samples):
            index = rng.randrange(size)
            inclusion.append(
                timed(lambda: log.inclusion(session, index=index, tree_size=None))  # noqa: B023
            )
            first = rng.randrange(1, size + 1)
            consistency.append(
                timed(lambda: log.consistency(session, first=first, second=None))  # noqa: B023
            )
    return median_ms(inclusion), median_ms(consistency)


def measure_writes(
    factory: Callable[[], Session], log: AuditLog, samples: int
) -> tuple[float, float]:
    with_leaf: list[float] = []
    without_leaf: list[float] = []

    def write(number: int, *, audited: bool) -> None:
        with factory.begin() as session:  # type: ignore[attr-defined]
            now = utcnow()
            name = f"bench-{number}"
            session.add(
                Service(
                    name=name,
                    repository=f"https://github.com/bench/{name}",
                    created_at=now,
                    updated_at=now,
                )
            )
            session.flush()
            if audited:
                log.append(
                    session,
                    actor=ACTOR,
                    request_id=f"bench-{number}",
                    change=Change("service.created", "service", name),
                )

    for number in range(samples):
        # Interleaved, so both kinds see the same machine noise.
        without_leaf.append(timed(lambda: write(2 * number, audited=False)))  # noqa: B023
        with_leaf.append(timed(lambda: write(2 * number + 1, audited=True)))  # noqa: B023
    return median_ms(with_leaf), median_ms(without_leaf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-leaves", type=int, default=SIZES[-1])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    sizes = [size for size in SIZES if size <= args.max_leaves] or [args.max_leaves]

    key = ServiceKey(Ed25519PrivateKey.generate())
    log = AuditLog(origin=ORIGIN, key=key)
    with tempfile.TemporaryDirectory(prefix="attestd-bench-") as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        seeder = Seeder(engine, key)
        proofs: dict[int, tuple[float, float]] = {}
        print(f"{'leaves':>10} {'seed s':>8} {'inclusion ms':>13} {'consistency ms':>15}")
        for size in sizes:
            started = time.perf_counter()
            seeder.grow_to(size)
            seeded = time.perf_counter() - started
            proofs[size] = measure_proofs(factory, log, size, args.samples)
            inclusion, consistency = proofs[size]
            print(f"{size:>10} {seeded:>8.1f} {inclusion:>13.3f} {consistency:>15.3f}", flush=True)

        with_leaf, without_leaf = measure_writes(factory, log, args.samples)
        engine.dispose()

    largest, smallest = sizes[-1], sizes[0]
    overhead = with_leaf - without_leaf
    log_ratio = math.log2(largest) / math.log2(smallest)
    growth = max(proofs[largest][i] / proofs[smallest][i] for i in (0, 1))
    worst_proof = max(proofs[largest])
    checks = [
        (
            f"append overhead at {largest} leaves: {overhead:.3f} ms median"
            f" (write {with_leaf:.3f} ms with leaf / {without_leaf:.3f} ms without"
            f" = {with_leaf / without_leaf:.2f}x); floor {APPEND_OVERHEAD_FLOOR_MS} ms"
            f" -> {overhead / APPEND_OVERHEAD_FLOOR_MS:.2f} of floor",
            overhead <= APPEND_OVERHEAD_FLOOR_MS,
        ),
        (
            f"proof median at {largest} leaves: {worst_proof:.3f} ms;"
            f" floor {PROOF_MEDIAN_FLOOR_MS} ms"
            f" -> {worst_proof / PROOF_MEDIAN_FLOOR_MS:.2f} of floor",
            worst_proof < PROOF_MEDIAN_FLOOR_MS,
        ),
        (
            f"proof growth {smallest} -> {largest} leaves: {growth:.2f}x;"
            f" log2 ratio {log_ratio:.2f}x, allowed {GROWTH_ALLOWANCE * log_ratio:.2f}x",
            growth <= GROWTH_ALLOWANCE * log_ratio,
        ),
    ]
    failed = False
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
        failed |= not passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
