"""SQL for the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import cast

from sqlalchemy import Table, TextClause, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from app.audit.merkle import HASH_SIZE, NodeId
from app.audit.models import AuditEntry, AuditHead, AuditNode

HEAD_ID = 1
# Core tables: plain inserts and updates skip the ORM's bulk-persistence machinery.
_ENTRIES = cast(Table, AuditEntry.__table__)
_NODES = cast(Table, AuditNode.__table__)
_HEAD = cast(Table, AuditHead.__table__)

# Built once: appends run these on every write, and building a statement costs
# more than executing it on SQLite.
_SELECT_HEAD = select(_HEAD.c.size, _HEAD.c.root, _HEAD.c.frontier).where(_HEAD.c.id == HEAD_ID)
_SELECT_HEAD_FOR_APPEND = _SELECT_HEAD.with_for_update()
_INSERT_ENTRY = insert(_ENTRIES)
_INSERT_NODES = insert(_NODES)
_UPDATE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(
        size=bindparam("new_size"), root=bindparam("new_root"), frontier=bindparam("new_frontier")
    )
)


@dataclass(frozen=True)
class Head:
    size: int
    root: bytes
    frontier: list[bytes]


@cache
def _nodes_query(count: int) -> TextClause:
    # One (level, idx) term per node, OR-ed: both back ends search the primary
    # key for each term (SQLite scans the table for a row-value IN list).
    terms = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(count))
    return text(f"SELECT level, idx, hash FROM audit_nodes WHERE {terms}")  # noqa: S608 - no input in the text


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def head(self, *, for_append: bool = False) -> Head:
        """The current tree head; ``for_append`` locks it until the transaction ends.

        PostgreSQL: SELECT … FOR UPDATE on the head row, which every attestd
        process's appends take in turn. SQLite: the transaction began with
        BEGIN IMMEDIATE, so it already holds the database's only write lock.
        """
        query = _SELECT_HEAD_FOR_APPEND if for_append else _SELECT_HEAD
        size, root, frontier = self.session.connection().execute(query).one()
        return Head(
            size=size,
            root=root,
            frontier=[frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)],
        )

    def size(self) -> int:
        return self.head().size

    def nodes(self, wanted: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """The stored hashes of ``wanted`` nodes: leaves from entries, the rest from nodes."""
        leaves = sorted(index for level, index in wanted if level == 0)
        inner = sorted((level, index) for level, index in wanted if level > 0)
        found: dict[NodeId, bytes] = {}
        if leaves:
            leaf_rows = self.session.execute(
                select(AuditEntry.idx, AuditEntry.leaf_hash).where(AuditEntry.idx.in_(leaves))
            )
            found.update(((0, index), value) for index, value in leaf_rows)
        if inner:
            parameters: dict[str, int] = {}
            for number, (level, index) in enumerate(inner):
                parameters[f"l{number}"] = level
                parameters[f"i{number}"] = index
            node_rows = self.session.execute(_nodes_query(len(inner)), parameters)
            found.update(((level, index), value) for level, index, value in node_rows)
        return found

    def add(
        self,
        *,
        index: int,
        leaf: str,
        leaf_hash: bytes,
        signature: str,
        inner_nodes: Sequence[tuple[NodeId, bytes]],
        head: Head,
    ) -> None:
        """Store one leaf, the subtrees it completes, and the new head."""
        connection = self.session.connection()
        connection.execute(
            _INSERT_ENTRY,
            {"idx": index, "leaf": leaf, "leaf_hash": leaf_hash, "checkpoint_signature": signature},
        )
        if inner_nodes:
            connection.execute(
                _INSERT_NODES,
                [
                    {"level": level, "idx": idx, "hash": value}
                    for (level, idx), value in inner_nodes
                ],
            )
        connection.execute(
            _UPDATE_HEAD,
            {"new_size": head.size, "new_root": head.root, "new_frontier": b"".join(head.frontier)},
        )

    def entries(self, start: int, limit: int) -> Sequence[AuditEntry]:
        return self.session.scalars(
            select(AuditEntry).where(AuditEntry.idx >= start).order_by(AuditEntry.idx).limit(limit)
        ).all()

    def stream(self, size: int, batch: int = 5000) -> Iterator[AuditEntry]:
        """Entries 0..size-1 in order, read in batches."""
        start = 0
        while start < size:
            rows = self.entries(start, min(batch, size - start))
            if not rows:
                return
            yield from rows
            start = rows[-1].idx + 1
