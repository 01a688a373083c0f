"""Sigstore trust roots, loaded from files at start-up and never refreshed.

Each configured ``trusted_root.json`` (Sigstore ``TrustedRoot`` format) becomes one
``Verifier``, built once. Nothing here contacts TUF, Rekor or Fulcio: the files are
the whole of what attestd trusts, and the SHA-256 of each file is recorded in every
receipt it verifies. Without configuration, the public-good production root that
ships inside the ``sigstore`` package is used.

Every receipt also records ``roots_digest``, the digest of the whole set of roots
loaded: evidence judged under another set is checked again before it counts, so a
root removed from the configuration stops vouching for what it once verified.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier

from app.digests import content_digest

# Where the sigstore wheel keeps the public-good production root (its TUF store).
_PRODUCTION_ROOT = "_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json"


class TrustRootError(RuntimeError):
    """A configured trust root cannot be used; attestd does not start without it."""


@dataclass(frozen=True)
class TrustRoot:
    """One trusted root: where it came from, the digest of its bytes, its verifier."""

    source: str
    digest: str  # sha256:<hex> of the file as read
    verifier: Verifier


def production_root_file() -> Path:
    """The public-good production ``trusted_root.json`` shipped with sigstore-python."""
    return Path(str(importlib.resources.files("sigstore").joinpath(_PRODUCTION_ROOT)))


def load_trust_root(path: Path) -> TrustRoot:
    """Read, check and build the verifier of one ``trusted_root.json``."""
    try:
        before = path.read_bytes()
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(path)))
        after = path.read_bytes()
    except OSError as error:
        raise TrustRootError(f"cannot read trust root {path}: {error.strerror}") from None
    except Exception as error:  # noqa: BLE001 - any parser or check failure: not a trust root
        said = " ".join(str(error).split())[:300]
        raise TrustRootError(f"{path} is not a usable Sigstore trusted root: {said}") from None
    if before != after:
        raise TrustRootError(f"trust root {path} changed while it was being read")
    if not orjson.loads(before).get("ctlogs"):
        # sigstore-python requires an SCT from a listed CT log in every certificate:
        # a root without CT logs would refuse every bundle, so it is refused here.
        raise TrustRootError(f"trust root {path} lists no certificate transparency log")
    return TrustRoot(source=str(path), digest=content_digest(before), verifier=verifier)


def roots_digest(roots: Sequence[TrustRoot]) -> str:
    """``sha256:<hex>`` naming the set of ``roots`` (their file digests, in any order)."""
    return content_digest(orjson.dumps(sorted({root.digest for root in roots})))


def load_trust_roots(paths: Sequence[Path]) -> tuple[TrustRoot, ...]:
    """Every configured root, in order; the production root when none is configured."""
    return tuple(load_trust_root(path) for path in (paths or (production_root_file(),)))
