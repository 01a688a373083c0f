"""SQL for the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func, insert, select, text, tuple_
from sqlalchemy.orm import Session

from app.audit.merkle import NodeId
from app.audit.models import AuditEntry, AuditNode

# Key of the PostgreSQL advisory lock that serialises appends ("attestd" in ASCII).
APPEND_LOCK_KEY = 0x61747465737464


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_for_append(self) -> None:
        """Hold the append lock until the transaction ends.

        PostgreSQL: a transaction-scoped advisory lock shared by every attestd
        process. SQLite: the transaction already began with BEGIN IMMEDIATE, so
        it holds the database's only write lock.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY}
            )

    def size(self) -> int:
        last = self.session.scalar(select(func.max(AuditEntry.idx)))
        return 0 if last is None else last + 1

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
            node_rows = self.session.execute(
                select(AuditNode.level, AuditNode.idx, AuditNode.hash).where(
                    tuple_(AuditNode.level, AuditNode.idx).in_(inner)
                )
            )
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
    ) -> None:
        self.session.execute(
            insert(AuditEntry).values(
                idx=index, leaf=leaf, leaf_hash=leaf_hash, checkpoint_signature=signature
            )
        )
        if inner_nodes:
            self.session.execute(
                insert(AuditNode),
                [
                    {"level": level, "idx": idx, "hash": value}
                    for (level, idx), value in inner_nodes
                ],
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
