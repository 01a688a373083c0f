"""Digests as attestd writes them: ``sha256:<hex>`` (or ``sha512:<hex>``), lower-case. Pure."""

from __future__ import annotations

import hashlib
import re

# What an artifact digest looks like on the wire; upper-case hex is accepted and lowered.
ARTIFACT_DIGEST_PATTERN = r"^(?:[Ss][Hh][Aa]256:[0-9A-Fa-f]{64}|[Ss][Hh][Aa]512:[0-9A-Fa-f]{128})$"
ARTIFACT_DIGEST_MAX = len("sha512:") + 128
_ARTIFACT_DIGEST = re.compile(ARTIFACT_DIGEST_PATTERN)


def content_digest(content: bytes) -> str:
    """The content address of ``content``: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def is_artifact_digest(text: str) -> bool:
    return _ARTIFACT_DIGEST.fullmatch(text) is not None


def normalise_digest(text: str) -> str:
    """``text`` in its one stored spelling (lower case); ValueError when it is not a digest."""
    if not is_artifact_digest(text):
        raise ValueError(f"not a sha256:<64 hex> or sha512:<128 hex> digest: {text[:80]!r}")
    return text.lower()
