"""Checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint, c2sp.org/signed-note). Pure.

A checkpoint's text is three lines: the log's origin, the tree size in
decimal, and the root hash in standard base64. The signed note appends a
blank line and one signature line per key: an em dash, the key name, and
base64 of the 4-byte key ID followed by the Ed25519 signature of the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from app.audit.merkle import HASH_SIZE
from app.signing import PublicKey, ServiceKey

ED25519_SIGNATURE_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_BYTES = 16 * 1024
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class NoteError(ValueError):
    """A note that is malformed, unsigned by the expected key, or badly signed."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The note text that is signed, final newline included."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"


def key_id(name: str, public: PublicKey) -> bytes:
    """The 4-byte C2SP key ID of an Ed25519 key under ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_SIGNATURE_TYPE + public.raw).digest()[:4]


def verifier_key(name: str, public: PublicKey) -> str:
    """The key in the ``name+hexid+base64`` form signed-note verifiers are configured with."""
    encoded = base64.b64encode(ED25519_SIGNATURE_TYPE + public.raw).decode("ascii")
    return f"{name}+{key_id(name, public).hex()}+{encoded}"


def signature(checkpoint: Checkpoint, key: ServiceKey) -> str:
    """The base64 value of the signature line for ``checkpoint`` under its origin."""
    signed = key.sign(checkpoint.text().encode())
    return base64.b64encode(key_id(checkpoint.origin, key.public) + signed).decode("ascii")


def signed_note(checkpoint: Checkpoint, signature_value: str) -> str:
    return f"{checkpoint.text()}\n{SIGNATURE_PREFIX}{checkpoint.origin} {signature_value}\n"


def verify_signature(checkpoint: Checkpoint, signature_value: str, public: PublicKey) -> bool:
    """Whether ``signature_value`` is the origin key's signature of ``checkpoint``."""
    return _verifies(checkpoint.text().encode(), checkpoint.origin, signature_value, public)


def _verifies(text: bytes, name: str, signature_value: str, public: PublicKey) -> bool:
    try:
        raw = base64.b64decode(signature_value, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 4 + 64 or raw[:4] != key_id(name, public):
        return False
    return public.verify(raw[4:], text)


def parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or any(ch.isspace() for ch in origin):
        raise NoteError("the checkpoint origin line is empty or has spaces")
    if not _DECIMAL.fullmatch(size):
        raise NoteError("the checkpoint size is not a decimal number")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("the checkpoint root hash is not base64") from None
    if len(root_hash) != HASH_SIZE:
        raise NoteError(f"the checkpoint root hash is not {HASH_SIZE} bytes")
    if any(not line for line in lines[3:-1]):
        raise NoteError("a checkpoint extension line is empty")
    return Checkpoint(origin=origin, size=int(size), root=root_hash)


def _split_note(note: str) -> tuple[str, list[str]]:
    """The note text (final newline included) and its signature lines (c2sp.org/signed-note)."""
    try:
        encoded = note.encode()
    except UnicodeEncodeError:
        raise NoteError("the note is not valid UTF-8 text") from None
    if len(encoded) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    if any(ch < " " and ch != "\n" for ch in note):
        raise NoteError("the note contains control characters")
    # The text ends at the last blank line; every signature line ends in a newline.
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise NoteError("the note has no blank line before its signatures")
    if not signatures.endswith("\n"):
        raise NoteError("the note has no signature lines, or they do not end in a newline")
    return text + "\n", signatures.removesuffix("\n").split("\n")


def open_signed_note(note: str, public: PublicKey) -> Checkpoint:
    """The checkpoint in ``note`` once a signature by ``public`` under its origin verifies.

    Signatures by other keys are ignored; a failing signature by this key
    rejects the note (c2sp.org/signed-note). Signatures are checked over the
    note text exactly as given, never over a re-serialisation of what was parsed.
    """
    text, lines = _split_note(note)
    checkpoint = parse_checkpoint_text(text)
    signed_text = text.encode()
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line does not start with an em dash")
        name, _, value = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        if not name or not value:
            raise NoteError("a signature line lacks its key name or its signature")
        if name != checkpoint.origin:
            continue
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("a signature is not base64") from None
        if raw[:4] != key_id(name, public):
            continue
        if not _verifies(signed_text, name, value, public):
            raise NoteError("the checkpoint signature by the given key does not verify")
        verified = True
    if not verified:
        raise NoteError("the checkpoint carries no signature by the given key")
    return checkpoint
