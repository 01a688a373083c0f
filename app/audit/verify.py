"""Offline verification of an audit-log export against signed checkpoints.

Needs no database and no server: only the export (JSON Lines, as written by
``attestd audit export``), a checkpoint (C2SP signed note), the public key of
the attestd that signed it, and optionally an older checkpoint. It shares the
Merkle and checkpoint code with the server and nothing else.

What it establishes:

* every entry is where its index says, and its leaf text hashes to its leaf hash;
* every entry carries the log's signature of the tree head at its own size
  (signed when it was appended), so an edited signature is caught, and entries
  past the checkpoint's size are vouched for by their own signed tree heads;
* the entries produce the checkpoint's root at the checkpoint's size, so no
  entry was edited, deleted, inserted, reordered or cut off;
* with an older checkpoint, that the new tree extends the old one.

When something is wrong it names the first bad index: the first line that is
malformed or out of place, or the first entry whose own signed tree head does
not match the entries up to it, whichever comes first. So even an edit whose
leaf hash was recomputed is located exactly.

Cost: one Ed25519 verification and O(log n) hashes per entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, NoteError, open_signed_note, verify_signature
from app.signing import PublicKey, SigningKeyError


@dataclass(frozen=True)
class Verified:
    """The export proved consistent with the checkpoint(s)."""

    checkpoint: Checkpoint
    entries: int
    previous: Checkpoint | None


class VerificationError(Exception):
    """The export or a checkpoint failed; ``index`` is the first bad entry when known."""

    def __init__(self, message: str, index: int | None = None) -> None:
        self.index = index
        self.message = message
        where = f"entry {index}: " if index is not None else ""
        super().__init__(where + message)


@dataclass(frozen=True)
class _Entry:
    leaf_hash: bytes
    signature: str


def _parse_entries(lines: Iterable[str]) -> tuple[list[_Entry], VerificationError | None]:
    """The well-formed entries in order, and the first structural problem after them."""
    entries: list[_Entry] = []
    for position, line in enumerate(lines):
        problem = _entry_problem(position, line)
        if isinstance(problem, str):
            return entries, VerificationError(problem, position)
        entries.append(problem)
    return entries, None


def _entry_problem(position: int, line: str) -> _Entry | str:  # noqa: PLR0911 - one check each
    try:
        record = json.loads(line)
    except ValueError:
        return "the line is not JSON"
    if not isinstance(record, dict):
        return "the line is not a JSON object"
    index, leaf, claimed, signature = (
        record.get("index"),
        record.get("leaf"),
        record.get("leaf_hash"),
        record.get("checkpoint_signature"),
    )
    if not isinstance(index, int) or isinstance(index, bool):
        return "the entry has no integer index"
    if index != position:
        return (
            f"expected index {position} here, found {index}:"
            " an entry was deleted, inserted or moved"
        )
    if not isinstance(leaf, str) or not isinstance(claimed, str) or not isinstance(signature, str):
        return "the entry lacks its leaf, leaf_hash or checkpoint_signature"
    try:
        event = json.loads(leaf)
    except ValueError:
        return "the leaf text is not JSON"
    if not isinstance(event, dict) or event.get("index") != position:
        return "the leaf does not carry its own index"
    computed = merkle.leaf_hash(leaf.encode())
    try:
        stated = bytes.fromhex(claimed)
    except ValueError:
        return "the leaf hash is not hex"
    if stated != computed:
        return "the leaf text does not hash to its leaf hash: the entry was edited"
    return _Entry(computed, signature)


def _open(note: str, public: PublicKey, what: str) -> Checkpoint:
    try:
        return open_signed_note(note, public)
    except NoteError as exc:
        raise VerificationError(f"the {what} does not verify: {exc}") from None


def verify_export(
    lines: Iterable[str],
    checkpoint_note: str,
    public: PublicKey,
    previous_note: str | None = None,
) -> Verified:
    """Check an export against a checkpoint; VerificationError names what failed and where."""
    checkpoint = _open(checkpoint_note, public, "checkpoint")
    previous = None
    if previous_note is not None:
        previous = _open(previous_note, public, "previous checkpoint")
        if previous.origin != checkpoint.origin:
            raise VerificationError("the two checkpoints are of different logs (origins differ)")
        if previous.size > checkpoint.size:
            raise VerificationError("the previous checkpoint is larger than the checkpoint")

    entries, structural = _parse_entries(lines)
    levels = merkle.all_nodes([entry.leaf_hash for entry in entries])
    unsigned = _first_unsigned(entries, levels, checkpoint.origin, public)
    if unsigned is not None:
        raise VerificationError(
            "this entry, or its signed tree head, is not the one the log signed when it was"
            " appended: the entry was edited, replaced or inserted",
            unsigned,
        )
    if structural is not None:
        raise structural
    if len(entries) < checkpoint.size:
        raise VerificationError(
            f"the export ends here but the checkpoint covers {checkpoint.size} entries:"
            " the export was truncated or entries were deleted",
            len(entries),
        )
    if merkle.root_of_prefix(levels, checkpoint.size) != checkpoint.root:
        raise VerificationError(
            "every entry is signed, but the entries do not produce the checkpoint's root:"
            " the checkpoint and the entries describe different histories"
        )
    if previous is not None and merkle.root_of_prefix(levels, previous.size) != previous.root:
        raise VerificationError(
            f"the log of size {checkpoint.size} does not extend the previous checkpoint of size"
            f" {previous.size}: its first {previous.size} entries were rewritten and re-signed"
        )
    return Verified(checkpoint=checkpoint, entries=len(entries), previous=previous)


def _first_unsigned(
    entries: Sequence[_Entry], levels: Sequence[Sequence[bytes]], origin: str, public: PublicKey
) -> int | None:
    """The first entry whose signature is not of the tree head over the entries up to it.

    Every entry is checked, not only until the first match of a root: a bad
    signature does not change any root, and an edit is not located by a search
    that assumes everything after the first bad entry is bad too.
    """
    for index, entry in enumerate(entries):
        head = Checkpoint(origin, index + 1, merkle.root_of_prefix(levels, index + 1))
        if not verify_signature(head, entry.signature, public):
            return index
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """``attestd audit verify`` (also ``scripts/verify_audit.py``): exit 0 when verified."""
    parser = argparse.ArgumentParser(
        prog="attestd audit verify",
        description="Verify an audit-log export offline against signed checkpoints.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entries", type=Path, required=True, help="export (JSON Lines)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="signed checkpoint note")
    parser.add_argument("--public-key", type=Path, required=True, help="PEM public key")
    parser.add_argument(
        "--previous-checkpoint", type=Path, help="an older signed checkpoint of the same log"
    )


def run(args: argparse.Namespace) -> int:
    try:
        public = PublicKey.from_pem(args.public_key.read_bytes())
        note = args.checkpoint.read_text(encoding="utf-8")
        previous = (
            args.previous_checkpoint.read_text(encoding="utf-8")
            if args.previous_checkpoint
            else None
        )
        with args.entries.open(encoding="utf-8") as lines:
            result = verify_export((line.rstrip("\n") for line in lines), note, public, previous)
    except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
        print(f"attestd audit verify: cannot read input: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except VerificationError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    extends = (
        f"; it extends the previous checkpoint of size {result.previous.size}"
        if result.previous
        else ""
    )
    print(  # noqa: T201
        f"OK: {result.entries} entries verified against the checkpoint of"
        f" {result.checkpoint.origin} at size {result.checkpoint.size},"
        f" root {result.checkpoint.root.hex()}{extends}"
    )
    return 0
