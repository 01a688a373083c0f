"""The signing keys of attestd: Ed25519 keys, each published with its purposes.

The service key signs the audit log's checkpoints and, unless a key of their
own is configured (``ATTESTD_VSA_KEY_FILE``), the verification summaries. A
private key is read from a PEM file; in development a missing file is
generated (mode 0600) on first use, in production a key must be configured.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from app.logs import log_fields

ALGORITHM = "ed25519"
logger = logging.getLogger("attestd.signing")


class KeyPurpose(StrEnum):
    """What a published key signs; a consumer accepts a key only for its purposes."""

    AUDIT_CHECKPOINTS = "audit-checkpoints"
    VERIFICATION_SUMMARIES = "verification-summaries"


class SigningKeyError(ValueError):
    """The signing key file is missing, unreadable or not an Ed25519 private key."""


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key with the identifiers clients use for it."""

    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the DER SubjectPublicKeyInfo, as Sigstore names keys."""
        der = self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise SigningKeyError(f"not a PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError("the public key is not an Ed25519 key")
        return cls(key)


@dataclass(frozen=True)
class ServiceKey:
    """The private signing key of this attestd."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.private.public_key())

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def load_service_key(path: Path) -> ServiceKey:
    """Read an Ed25519 private key from a PEM (PKCS#8) file."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    return ServiceKey(key)


def load_or_create_service_key(path: Path) -> tuple[ServiceKey, bool]:
    """The key in ``path``, created first when the file does not exist.

    Returns the key and whether it was created. Creation is exclusive, so two
    processes starting together end up with the same key.
    """
    if path.exists():
        return load_service_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The key is written in full under a temporary name (mkstemp: mode 0600) and
    # then hard-linked into place. The link is atomic and fails when the file
    # exists, so the loser of a race reads a complete key, never a half-written
    # or empty file, and both end up with the winner's key.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            path.hardlink_to(temporary)
        except FileExistsError:
            return load_service_key(path), False
    finally:
        Path(temporary).unlink()
    return ServiceKey(key), True


def configured_service_key(path: Path, *, create_if_missing: bool) -> ServiceKey:
    """The key in ``path``; generated there first if allowed (development) and missing."""
    if create_if_missing:
        key, created = load_or_create_service_key(path)
        if created:
            logger.warning(
                "generated a development signing key",
                extra=log_fields(path=str(path), key_id=key.public.key_id),
            )
        return key
    return load_service_key(path)
