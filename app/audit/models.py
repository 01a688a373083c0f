"""Storage of the audit log: the entries, and the hashes of complete subtrees above them."""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class AuditEntry(Base):
    """One leaf: the canonical JSON that was hashed, its hash, and its signed tree head."""

    __tablename__ = "audit_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Signature (C2SP signed-note line value) of the checkpoint of size idx + 1.
    checkpoint_signature: Mapped[str] = mapped_column(String(128))


class AuditNode(Base):
    """The hash of a complete subtree above the leaves (level >= 1)."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The current tree head: size, root and frontier hashes, in the one row appends lock.

    It is derived from the nodes and kept in step with them in every append's
    transaction, so an append reads one row instead of the frontier's nodes.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The frontier's hashes (complete subtrees of the tree, left to right), concatenated.
    frontier: Mapped[bytes] = mapped_column(LargeBinary(2048))
