"""Appending to the audit log, and reading its checkpoints, entries and proofs.

Every state change calls ``AuditTrail.record`` in the transaction that makes
the change, so the change and its leaf commit or roll back together. Appends
hold the append lock until commit, which keeps indices dense and unique
across threads and processes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, signature, signed_note
from app.audit.events import Actor, Change, leaf_bytes
from app.audit.merkle import NodeId
from app.audit.models import AuditEntry
from app.audit.repository import AuditRepository, Head
from app.clock import SYSTEM_CLOCK, Clock
from app.errors import AppError, BadRequest
from app.signing import ServiceKey

MAX_ENTRIES_PAGE = 1000


class AuditRangeError(BadRequest):
    slug = "audit-range"
    title = "Outside the audit log"


class AuditStorageError(RuntimeError):
    """A node the tree needs is missing: the stored log is damaged."""


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: str


@dataclass(frozen=True)
class Entry:
    index: int
    leaf: str
    leaf_hash: bytes
    checkpoint_signature: str


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    hashes: list[bytes]
    first_root: bytes
    second_root: bytes


@dataclass(frozen=True)
class AuditLog:
    """The audit log of one attestd: its origin name, signing key and clock."""

    origin: str
    key: ServiceKey
    clock: Clock = SYSTEM_CLOCK

    def append(self, session: Session, *, actor: Actor, request_id: str, change: Change) -> int:
        """Append one event in ``session``'s transaction; returns its index."""
        repository = AuditRepository(session)
        current = repository.head(for_append=True)
        size = current.size
        leaf = leaf_bytes(
            index=size, time=self.clock.now(), actor=actor, request_id=request_id, change=change
        )
        leaf_hash = merkle.leaf_hash(leaf)
        appended = merkle.append(size, current.frontier, leaf_hash)
        checkpoint = Checkpoint(origin=self.origin, size=size + 1, root=appended.root)
        repository.add(
            index=size,
            leaf=leaf.decode(),
            leaf_hash=leaf_hash,
            signature=signature(checkpoint, self.key),
            inner_nodes=[(node, value) for node, value in appended.nodes if node[0] > 0],
            head=Head(size=size + 1, root=appended.root, frontier=appended.frontier),
        )
        return size

    def checkpoint(self, session: Session) -> SignedCheckpoint:
        head = AuditRepository(session).head()
        checkpoint = Checkpoint(origin=self.origin, size=head.size, root=head.root)
        return SignedCheckpoint(
            checkpoint, signed_note(checkpoint, signature(checkpoint, self.key))
        )

    def entries(self, session: Session, *, start: int, limit: int) -> tuple[int, list[Entry]]:
        """The tree size and up to ``limit`` entries from ``start``."""
        repository = AuditRepository(session)
        size = repository.size()
        if start > size:
            raise AuditRangeError(f"start {start} is past the end of the log ({size} entries).")
        # Entries past ``size`` may have committed since it was read (PostgreSQL
        # reads each statement afresh); the page stops at the size it reports.
        count = min(max(1, min(limit, MAX_ENTRIES_PAGE)), size - start)
        rows = repository.entries(start, count) if count > 0 else []
        return size, [
            Entry(row.idx, row.leaf, row.leaf_hash, row.checkpoint_signature) for row in rows
        ]

    def export(self, session: Session) -> tuple[SignedCheckpoint, Iterator[str]]:
        """A signed checkpoint and the export lines (JSON, no newline) of the entries it covers."""
        signed = self.checkpoint(session)
        rows = AuditRepository(session).stream(signed.checkpoint.size)
        return signed, (export_line(row) for row in rows)

    def inclusion(self, session: Session, *, index: int, tree_size: int | None) -> InclusionProof:
        repository = AuditRepository(session)
        size = _tree_size(repository, tree_size)
        if not 0 <= index < size:
            raise AuditRangeError(f"index {index} is not in a tree of {size} entries.")
        wanted = merkle.inclusion_nodes(index, size) | set(merkle.frontier(size))
        nodes = _require(repository.nodes(wanted), wanted)
        return InclusionProof(
            index=index,
            tree_size=size,
            leaf_hash=nodes[(0, index)],
            hashes=merkle.inclusion_proof(index, size, nodes),
            root=merkle.root_from(size, nodes),
        )

    def consistency(self, session: Session, *, first: int, second: int | None) -> ConsistencyProof:
        repository = AuditRepository(session)
        size = _tree_size(repository, second)
        if not 0 < first <= size:
            raise AuditRangeError(
                f"no consistency proof from size {first} to size {size}: need 0 < first <= second."
            )
        wanted = (
            merkle.consistency_nodes(first, size)
            | set(merkle.frontier(first))
            | set(merkle.frontier(size))
        )
        nodes = _require(repository.nodes(wanted), wanted)
        return ConsistencyProof(
            first=first,
            second=size,
            hashes=merkle.consistency_proof(first, size, nodes),
            first_root=merkle.root_from(first, nodes),
            second_root=merkle.root_from(size, nodes),
        )


def export_line(row: AuditEntry) -> str:
    """One entry as a line of ``attestd audit export`` (what ``attestd audit verify`` reads)."""
    return json.dumps(
        {
            "index": row.idx,
            "leaf": row.leaf,
            "leaf_hash": row.leaf_hash.hex(),
            "checkpoint_signature": row.checkpoint_signature,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _tree_size(repository: AuditRepository, requested: int | None) -> int:
    current = repository.size()
    if requested is None:
        return current
    if not 0 < requested <= current:
        raise AuditRangeError(f"tree size {requested} is not in 1..{current}.")
    return requested


def _require(found: dict[NodeId, bytes], wanted: Iterable[NodeId]) -> dict[NodeId, bytes]:
    missing = set(wanted) - found.keys()
    if missing:
        raise AuditStorageError(f"audit log nodes missing: {sorted(missing)[:5]}")
    return found


@dataclass(frozen=True)
class AuditTrail:
    """The audit log as seen by one request or command: who acts, under which request id."""

    session: Session
    log: AuditLog
    actor: Actor
    request_id: str

    @property
    def clock(self) -> Clock:
        """The clock of this attestd: what the request's changes are stamped with."""
        return self.log.clock

    def record(self, change: Change) -> int:
        return self.log.append(
            self.session, actor=self.actor, request_id=self.request_id, change=change
        )


E = TypeVar("E", bound=AppError)


def reject(error: E, change: Change) -> E:
    """Mark ``error`` so that its rejection is recorded in the log after the rollback."""
    error.audit_change = change
    return error


def new_request_id() -> str:
    return uuid.uuid4().hex
