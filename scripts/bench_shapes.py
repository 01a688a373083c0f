"""Verification of every bundle shape attestd accepts, against sigstore-python's own
verification of a comparable DSSE bundle, measured in one process and one run.

The baseline is what sigstore-python does for a comparable DSSE bundle: ``Bundle.from_json``
then ``Verifier.verify_dsse`` with an identity policy. Bundles timed by their log's SET
compare with a ``dsse/0.0.1`` entry with an inclusion proof and a SET; bundles timed by an
RFC 3161 timestamp compare with sigstore-python's own Rekor v2 shape (``hashedrekord/0.0.2``
over the PAE, a checkpointed proof and one timestamp), which costs more to verify.
Each shape is then verified the way the server does it, by
``app.attestations.bundles.parse_bundle`` and ``app.attestations.verification.verify``
(statement checks, identity policy, receipt), whether attestd hands the bundle to
sigstore-python or verifies it itself:

* ``dsse`` — the baseline's shape, through attestd (sigstore-python underneath);
* ``intoto/0.0.2``, ``intoto/0.0.1`` — Rekor ``intoto`` entries (npm 2023 to 2025, the SLSA
  GitHub generator);
* ``v0.1 on its SET`` — a v0.1 bundle with an inclusion promise and no proof;
* ``keyed`` — signed with a policy key (P-256), logged as ``intoto/0.0.2`` as npm does;
* ``Rekor v2 hashedrekord/0.0.2`` and ``Rekor v2 dsse/0.0.2`` — a checkpointed proof and an
  RFC 3161 timestamp instead of an integrated time;
* ``timestamp-only`` — no log entry, a trust root with a Fulcio CA and a timestamp
  authority only (GitHub's instance for private repositories).

Every bundle is distinct (its own key, leaf, artifact and log entry) and made before
anything is timed; each is verified ``rounds`` times. Medians are printed with the ratio
to the baseline's median; the target is a ratio of at most 2 for every shape. The exit
status is 1 when a bundle is refused (the benchmark is then wrong), 0 otherwise, whether
the target is met or not.

    .venv/bin/python scripts/bench_shapes.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity

from app.attestations.bundles import parse_bundle
from app.attestations.trust import TrustRoot, load_trust_root
from app.attestations.verification import SIGSTORE_VERSION, verify
from app.policy.keys import TrustedKey
from tests.sigstore_local import (
    BundleVersion,
    LocalSigstore,
    SignerIdentity,
    TransparencyLog,
    dsse_bundle,
    statement,
)
from tests.sigstore_local.entries import generate_key, keyed_bundle, public_pem, without_proof
from tests.sigstore_local.timestamped import (
    Timestamping,
    timestamped_bundle,
    timestamped_root,
    write_root,
)
from tests.sigstore_local.timestamping import TimestampAuthority

SIGNER = SignerIdentity.email("release@acme.test")
RATIO_LIMIT = 2.0
# Sizes as (default run, --quick run): distinct bundles per shape, rounds over them.
BUNDLES = (60, 15)
ROUNDS = (5, 2)
# A new log shard (same key, new tree) every so many entries keeps bundle making linear.
LOG_SHARD_ENTRIES = 100
JSON = "application/json"


@dataclass(frozen=True)
class Shape:
    """One kind of bundle: how to make one, and under which trust root it verifies."""

    name: str
    make: Callable[[bytes], bytes]  # artifact digest -> bundle bytes
    root: str  # "logged" or "timestamp-only"
    timed_by: str = "SET"  # which baseline it compares with: "SET" or "TSA"


class Bench:
    """A local Sigstore with a timestamp authority, its two roots, and bundle makers."""

    def __init__(self, folder: Path) -> None:
        self.sigstore = LocalSigstore.generate()
        self.tsa = TimestampAuthority.generate(valid_from=self.sigstore.valid_from)
        self.key = generate_key("p256")
        self.trusted_key = TrustedKey(name="release-key", public_key_pem=public_pem(self.key))
        self.made = 0
        logged = timestamped_root(self.sigstore, [self.tsa])
        only = timestamped_root(self.sigstore, [self.tsa], tlog=False, ct_log=False)
        self.root_files = {
            "logged": write_root(logged, folder, "logged.json"),
            "timestamp-only": write_root(only, folder, "timestamp-only.json"),
        }
        self.roots: dict[str, TrustRoot] = {
            name: load_trust_root(path) for name, path in self.root_files.items()
        }
        self.sigstore_verifier = Verifier(
            trusted_root=TrustedRoot.from_file(str(self.root_files["logged"]))
        )

    def _next_entry(self) -> None:
        if self.made and self.made % LOG_SHARD_ENTRIES == 0:
            shard = self.made // LOG_SHARD_ENTRIES
            self.sigstore.tlog = TransparencyLog(self.sigstore.tlog.key, tree_id=shard)
        self.made += 1

    def _statement(self, digest: bytes) -> dict[str, object]:
        return statement({f"app-{digest[:4].hex()}.tar.gz": digest})

    def dsse(self, digest: bytes, kind: tuple[str, str] | None = None) -> bytes:
        self._next_entry()
        built = dsse_bundle(
            self.sigstore, self._statement(digest), signer=SIGNER, log_entry_kind=kind
        )
        return built.content

    def set_only(self, digest: bytes) -> bytes:
        self._next_entry()
        built = dsse_bundle(
            self.sigstore, self._statement(digest), signer=SIGNER, version=BundleVersion.V0_1
        )
        return without_proof(built.content)

    def keyed(self, digest: bytes) -> bytes:
        self._next_entry()
        return keyed_bundle(
            self.sigstore, self.key, statement=self._statement(digest), version=BundleVersion.V0_3
        )

    def timestamped(self, digest: bytes, rekor_v2: tuple[str, str] | None) -> bytes:
        self._next_entry()
        return timestamped_bundle(
            self.sigstore,
            statement=self._statement(digest),
            timestamps=[Timestamping(self.tsa)],
            rekor_v2=rekor_v2,
            signer=SIGNER,
        ).content

    def shapes(self) -> list[Shape]:
        return [
            Shape("dsse/0.0.1 (sigstore-python underneath)", self.dsse, "logged"),
            Shape("intoto/0.0.2", lambda d: self.dsse(d, ("intoto", "0.0.2")), "logged"),
            Shape("intoto/0.0.1", lambda d: self.dsse(d, ("intoto", "0.0.1")), "logged"),
            Shape("v0.1 on its SET (dsse/0.0.1)", self.set_only, "logged"),
            Shape("keyed P-256 (intoto/0.0.2)", self.keyed, "logged"),
            Shape(
                "Rekor v2 hashedrekord/0.0.2 + TSA",
                lambda d: self.timestamped(d, ("hashedrekord", "0.0.2")),
                "logged",
                "TSA",
            ),
            Shape(
                "Rekor v2 dsse/0.0.2 + TSA",
                lambda d: self.timestamped(d, ("dsse", "0.0.2")),
                "logged",
                "TSA",
            ),
            Shape(
                "timestamp-only (TSA, no log)",
                lambda d: self.timestamped(d, None),
                "timestamp-only",
                "TSA",
            ),
        ]


def time_baseline(bench: Bench, bundles: list[bytes], rounds: int) -> list[float]:
    """sigstore-python alone: load and verify_dsse, milliseconds per bundle."""
    policy = Identity(identity=SIGNER.identity, issuer=SIGNER.issuer)
    times = []
    for _ in range(rounds):
        for content in bundles:
            started = time.perf_counter()
            bench.sigstore_verifier.verify_dsse(Bundle.from_json(content), policy)
            times.append((time.perf_counter() - started) * 1000)
    return times


def time_attestd(bench: Bench, shape: Shape, bundles: list[bytes], rounds: int) -> list[float]:
    """attestd's parse and verify, as the server calls them, milliseconds per bundle."""
    policy = Identity(identity=SIGNER.identity, issuer=SIGNER.issuer)
    roots = [bench.roots[shape.root]]
    keys = (bench.trusted_key,)
    times = []
    for _ in range(rounds):
        for content in bundles:
            started = time.perf_counter()
            verify(
                parse_bundle(content, JSON),
                trust_roots=roots,
                policy=policy,
                policy_digest="sha256:" + "0" * 64,
                artifact=None,
                now=datetime.now(UTC),
                keys=keys,
                allow_v01_inclusion_promise=True,
            )
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run; rough numbers")
    args = parser.parse_args()
    size = 1 if args.quick else 0
    count, rounds = BUNDLES[size], ROUNDS[size]

    print(
        f"Python {platform.python_version()}, sigstore {SIGSTORE_VERSION}, "
        f"{os.cpu_count()} CPUs; {count} distinct bundles per shape, {rounds} rounds"
    )
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder))
        shapes = bench.shapes()
        made = {shape.name: [shape.make(os.urandom(32)) for _ in range(count)] for shape in shapes}
        baselines = {
            "SET": statistics.median(time_baseline(bench, made[shapes[0].name], rounds)),
            "TSA": statistics.median(time_baseline(bench, made[shapes[5].name], rounds)),
        }
        print("\nbaselines, sigstore-python from_json + verify_dsse alone:")
        print(f"  SET-timed, dsse/0.0.1:                      {baselines['SET']:.2f} ms")
        print(f"  TSA-timed, Rekor v2 hashedrekord/0.0.2:     {baselines['TSA']:.2f} ms")
        print(f"\n{'shape':<40} {'median ms':>10} {'ratio':>7}  target <= {RATIO_LIMIT:.0f}x")
        failed = False
        for shape in shapes:
            try:
                median = statistics.median(time_attestd(bench, shape, made[shape.name], rounds))
            except Exception as error:  # noqa: BLE001 - a refusal makes the benchmark wrong
                print(f"{shape.name:<40} refused: {error}")
                return 1
            ratio = median / baselines[shape.timed_by]
            verdict = "PASS" if ratio <= RATIO_LIMIT else "FAIL"
            failed = failed or verdict == "FAIL"
            print(
                f"{shape.name:<40} {median:>10.2f} {ratio:>6.2f}x  {verdict} "
                f"(against the {shape.timed_by}-timed baseline)"
            )
    print("\nall shapes within the target" if not failed else "\nsome shapes miss the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
