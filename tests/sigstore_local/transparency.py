"""A Rekor-v1-style transparency log: an RFC 6962 tree, signed checkpoints and entry timestamps.

Entries are proven against the tree a few leaves after them (other signers'
entries, random filler), so every inclusion proof has both an inner part and a
right-border part, as proofs from a busy log do.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

EM_DASH = "\u2014"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1, over leaf hashes (at least one)."""
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = _split(len(leaf_hashes))
    return node_hash(tree_hash(leaf_hashes[:k]), tree_hash(leaf_hashes[k:]))


def inclusion_path(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH of RFC 6962 section 2.1.1: sibling hashes from the leaf level up."""
    if len(leaf_hashes) == 1:
        return []
    k = _split(len(leaf_hashes))
    if index < k:
        return [*inclusion_path(index, leaf_hashes[:k]), tree_hash(leaf_hashes[k:])]
    return [*inclusion_path(index - k, leaf_hashes[k:]), tree_hash(leaf_hashes[:k])]


def public_key_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_log_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """A log's id: the SHA-256 of its key's DER SubjectPublicKeyInfo (RFC 6962 section 3.2)."""
    return hashlib.sha256(public_key_der(key)).digest()


@dataclass(frozen=True)
class LogEntry:
    """One integrated entry with everything a bundle carries about it."""

    log_index: int
    log_id: bytes
    kind: str
    version: str
    body: bytes
    integrated_time: int
    signed_entry_timestamp: bytes
    tree_size: int
    root_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: str

    def to_bundle_json(self) -> dict[str, Any]:
        """The bundle's ``TransparencyLogEntry`` (protobuf JSON: 64-bit numbers as strings)."""
        return {
            "logIndex": str(self.log_index),
            "logId": {"keyId": _b64(self.log_id)},
            "kindVersion": {"kind": self.kind, "version": self.version},
            "integratedTime": str(self.integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": _b64(self.signed_entry_timestamp)},
            "inclusionProof": {
                "logIndex": str(self.log_index),
                "rootHash": _b64(self.root_hash),
                "treeSize": str(self.tree_size),
                "hashes": [_b64(node) for node in self.proof],
                "checkpoint": {"envelope": self.checkpoint},
            },
            "canonicalizedBody": _b64(self.body),
        }


class TransparencyLog:
    """An append-only log signing checkpoints and entry timestamps with one P-256 key."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        *,
        name: str = "rekor.attestd.test",
        tree_id: int = 4242424242,
        url: str = "https://rekor.attestd.test",
        filler_before: int = 5,
        filler_after: int = 2,
    ) -> None:
        self.key = key
        self.name = name
        self.origin = f"{name} - {tree_id}"
        self.url = url
        self.log_id = key_log_id(key.public_key())
        self._filler_after = filler_after
        self._lock = threading.Lock()
        self._leaves: list[bytes] = [leaf_hash(os.urandom(32)) for _ in range(filler_before)]

    @classmethod
    def generate(cls) -> TransparencyLog:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def size(self) -> int:
        return len(self._leaves)

    def append(self, body: bytes, *, kind: str, version: str, integrated_time: int) -> LogEntry:
        """Integrate ``body`` and return its entry, proof, checkpoint and signed timestamp."""
        with self._lock:
            index = len(self._leaves)
            self._leaves.append(leaf_hash(body))
            self._leaves.extend(leaf_hash(os.urandom(32)) for _ in range(self._filler_after))
            leaves = list(self._leaves)
        root = tree_hash(leaves)
        return LogEntry(
            log_index=index,
            log_id=self.log_id,
            kind=kind,
            version=version,
            body=body,
            integrated_time=integrated_time,
            signed_entry_timestamp=self.sign_entry_timestamp(body, integrated_time, index),
            tree_size=len(leaves),
            root_hash=root,
            proof=tuple(inclusion_path(index, leaves)),
            checkpoint=self.checkpoint(len(leaves), root),
        )

    def sign_entry_timestamp(self, body: bytes, integrated_time: int, log_index: int) -> bytes:
        """The SET: a signature over canonical {body, integratedTime, logID, logIndex}."""
        payload: dict[str, Any] = {
            "body": _b64(body),
            "integratedTime": integrated_time,
            "logID": self.log_id.hex(),
            "logIndex": log_index,
        }
        return self.key.sign(rfc8785.dumps(payload), ec.ECDSA(hashes.SHA256()))

    def checkpoint(self, size: int, root: bytes) -> str:
        """A C2SP signed note; the signature line is key hint (log id[:4]) || ECDSA signature."""
        text = f"{self.origin}\n{size}\n{_b64(root)}\n"
        signature = self.key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
        return f"{text}\n{EM_DASH} {self.name} {_b64(self.log_id[:4] + signature)}\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
