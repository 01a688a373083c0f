"""Sigstore trust roots, loaded from files at start-up and never refreshed.

Each configured ``trusted_root.json`` (Sigstore ``TrustedRoot`` format) is read
once: its certificate authorities, transparency logs, CT logs and timestamp
authorities become plain values (``CertificateAuthority``, ``LogKey``) for
attestd's own checks, and, when it lists a transparency log, sigstore-python's
``Verifier`` is built from it. Nothing here contacts TUF, Rekor or Fulcio: the
files are the whole of what attestd trusts, and the SHA-256 of each file is
recorded in every receipt it verifies. Without configuration, the public-good
production root that ships inside the ``sigstore`` package is used.

A root must be able to verify something: it needs a certificate authority, and
either a transparency log and a CT log (the public-good shape) or a timestamp
authority. A root with a timestamp authority and no transparency log is the
shape of GitHub's own Sigstore instance (``gh attestation trusted-root``), whose
bundles carry RFC 3161 timestamps and no log entry.

Every receipt also records ``roots_digest``, the digest of the whole set of roots
loaded: evidence judged under another set is checked again before it counts, so a
root removed from the configuration stops vouching for what it once verified.
"""

from __future__ import annotations

import base64
import binascii
import importlib.resources
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier

from app.clock import parse_rfc3339
from app.digests import content_digest

# Where the sigstore wheel keeps the public-good production root (its TUF store).
_PRODUCTION_ROOT = "_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json"
# sigstore-python 4.5 treats a timestamp authority's validFor.end as exclusive; the
# trust-root specification says the period includes it. Its verifier is built with
# each such end one microsecond later (the resolution of a timestamp's time as read),
# so that it takes the end instant itself and nothing after it.
_INCLUSIVE_END = timedelta(microseconds=1)


class TrustRootError(RuntimeError):
    """A configured trust root cannot be used; attestd does not start without it."""


@dataclass(frozen=True, slots=True)
class Validity:
    """A trust-root entry's ``validFor``: both ends included; no end is open-ended."""

    start: datetime
    end: datetime | None

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment <= self.end)


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """A Fulcio CA or a timestamp authority: its chain (leaf-most first, root last)."""

    uri: str
    chain: tuple[x509.Certificate, ...]
    valid_for: Validity


@dataclass(frozen=True, slots=True)
class LogKey:
    """A transparency log's or CT log's key, its log id and when it was in use."""

    base_url: str
    log_id: bytes
    key: PublicKeyTypes
    valid_for: Validity


@dataclass(frozen=True)
class TrustRoot:
    """One trusted root: where it came from, the digest of its bytes, what it trusts."""

    source: str
    digest: str  # sha256:<hex> of the file as read
    verifier: Verifier | None  # sigstore-python's; None for a root without a transparency log
    authorities: tuple[CertificateAuthority, ...] = ()
    tlogs: tuple[LogKey, ...] = ()
    ct_logs: tuple[LogKey, ...] = ()
    timestamp_authorities: tuple[CertificateAuthority, ...] = ()

    @property
    def timestamp_only(self) -> bool:
        """No transparency log: bundles are timed by its timestamp authorities alone."""
        return not self.tlogs


def production_root_file() -> Path:
    """The public-good production ``trusted_root.json`` shipped with sigstore-python."""
    return Path(str(importlib.resources.files("sigstore").joinpath(_PRODUCTION_ROOT)))


class _Unusable(Exception):
    """A part of the document attestd cannot read."""


def _bytes(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise _Unusable(f"{where}: not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise _Unusable(f"{where}: not base64") from None


def _validity(item: Mapping[str, Any], where: str) -> Validity:
    valid_for = item.get("validFor") or {}
    start = parse_rfc3339(str(valid_for.get("start", "")))
    if start is None:
        raise _Unusable(f"{where}.validFor.start: not an RFC 3339 time")
    end_text = valid_for.get("end")
    end = None if end_text is None else parse_rfc3339(str(end_text))
    if end_text is not None and end is None:
        raise _Unusable(f"{where}.validFor.end: not an RFC 3339 time")
    return Validity(start, end)


def _authorities(items: Any, field: str) -> tuple[CertificateAuthority, ...]:
    found = []
    for index, item in enumerate(items or ()):
        where = f"{field}[{index}]"
        raw = [
            _bytes((certificate or {}).get("rawBytes"), f"{where}.certChain")
            for certificate in ((item.get("certChain") or {}).get("certificates") or ())
        ]
        if not raw:
            raise _Unusable(f"{where}: an empty certificate chain")
        try:
            chain = tuple(x509.load_der_x509_certificate(data) for data in raw)
        except ValueError:
            raise _Unusable(f"{where}.certChain: not DER X.509 certificates") from None
        found.append(CertificateAuthority(str(item.get("uri", "")), chain, _validity(item, where)))
    return tuple(found)


def _log_keys(items: Any, field: str) -> tuple[LogKey, ...]:
    found = []
    for index, item in enumerate(items or ()):
        where = f"{field}[{index}]"
        public_key = item.get("publicKey") or {}
        try:
            key = load_der_public_key(_bytes(public_key.get("rawBytes"), f"{where}.publicKey"))
        except ValueError:
            raise _Unusable(f"{where}.publicKey: not a DER public key") from None
        log_id = _bytes((item.get("logId") or {}).get("keyId"), f"{where}.logId")
        validity = _validity(public_key, f"{where}.publicKey")
        found.append(LogKey(str(item.get("baseUrl", "")), log_id, key, validity))
    return tuple(found)


def _inclusive_tsa_ends(document: dict[str, Any]) -> bytes:
    """The document with every timestamp authority's end moved past its last instant."""
    for item in document.get("timestampAuthorities") or ():
        valid_for = item.get("validFor") or {}
        end = parse_rfc3339(str(valid_for.get("end", "")))
        if end is not None:
            valid_for["end"] = (end + _INCLUSIVE_END).isoformat().replace("+00:00", "Z")
    return orjson.dumps(document)


def _verifier(document: bytes) -> Verifier:
    """sigstore-python's verifier for ``document`` (its public API reads roots from files)."""
    with tempfile.TemporaryDirectory(prefix="attestd-root-") as folder:
        path = Path(folder) / "trusted_root.json"
        path.write_bytes(document)
        return Verifier(trusted_root=TrustedRoot.from_file(str(path)))


def _purpose_refusal(root: TrustRoot) -> str | None:
    """Why ``root`` could verify nothing; None when it can."""
    if not root.authorities:
        return "lists no certificate authority"
    if root.tlogs and not root.ct_logs:
        # Bundles with a log entry go to sigstore-python, which requires an SCT
        # from a listed CT log in every certificate: every bundle would fail.
        return "lists a transparency log but no certificate transparency log"
    if not root.tlogs and not root.timestamp_authorities:
        return "lists neither a transparency log nor a timestamp authority"
    return None


def _read(path: Path, content: bytes) -> TrustRoot:
    """The trust root in ``content``, its verifier built when it lists a transparency log."""
    # sigstore-python's own parser first: attestd takes no root it would refuse.
    TrustedRoot.from_file(str(path))
    document = orjson.loads(content)
    root = TrustRoot(
        source=str(path),
        digest=content_digest(content),
        verifier=None,
        authorities=_authorities(document.get("certificateAuthorities"), "certificateAuthorities"),
        tlogs=_log_keys(document.get("tlogs"), "tlogs"),
        ct_logs=_log_keys(document.get("ctlogs"), "ctlogs"),
        timestamp_authorities=_authorities(
            document.get("timestampAuthorities"), "timestampAuthorities"
        ),
    )
    if not root.tlogs:
        return root
    return replace(root, verifier=_verifier(_inclusive_tsa_ends(document)))


def load_trust_root(path: Path) -> TrustRoot:
    """Read, check and build the verifier of one ``trusted_root.json``."""
    try:
        before = path.read_bytes()
        root = _read(path, before)
        after = path.read_bytes()
    except OSError as error:
        raise TrustRootError(f"cannot read trust root {path}: {error.strerror}") from None
    except Exception as error:  # noqa: BLE001 - any parser or check failure: not a trust root
        said = " ".join(str(error).split())[:300]
        raise TrustRootError(f"{path} is not a usable Sigstore trusted root: {said}") from None
    if before != after:
        raise TrustRootError(f"trust root {path} changed while it was being read")
    refusal = _purpose_refusal(root)
    if refusal is not None:
        raise TrustRootError(f"trust root {path} {refusal}: it could verify nothing")
    return root


def roots_digest(roots: Sequence[TrustRoot]) -> str:
    """``sha256:<hex>`` naming the set of ``roots`` (their file digests, in any order)."""
    return content_digest(orjson.dumps(sorted({root.digest for root in roots})))


def load_trust_roots(paths: Sequence[Path]) -> tuple[TrustRoot, ...]:
    """Every configured root, in order; the production root when none is configured."""
    return tuple(load_trust_root(path) for path in (paths or (production_root_file(),)))
