"""DSSE's pre-authentication encoding, and signatures checked with a bare public key. Pure.

Where sigstore-python verifies nothing (keyed bundles, ``intoto`` log entries,
timestamp-only bundles), attestd checks signatures itself with ``cryptography``,
with the keys ``app.policy.keys`` accepts (re-exported here): ECDSA P-256 with
SHA-256, P-384 with SHA-384, Ed25519, RSA of 2048 bits or more with PKCS#1 v1.5
or PSS over SHA-256.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from app.policy.keys import (
    KeyRefused,
    PublicKey,
    accepted_key,
    fingerprint,
    key_der,
    load_der_key,
    load_pem_key,
)

__all__ = [
    "KeyRefused",
    "PublicKey",
    "accepted_key",
    "fingerprint",
    "key_der",
    "load_der_key",
    "load_pem_key",
    "pae",
    "verifies",
    "verifies_digest",
]

_CURVE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1's pre-authentication encoding: what an envelope's signatures sign."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _ec_hash(key: ec.EllipticCurvePublicKey) -> hashes.HashAlgorithm:
    return _CURVE_HASHES[key.curve.name]()


def verifies(key: PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies with ``key`` (see the table above)."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(_ec_hash(key)))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            return _rsa_verifies(key, signature, message, hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def verifies_digest(key: PublicKey, signature: bytes, sha256: bytes) -> bool:
    """Whether ``signature`` verifies over a message whose SHA-256 is ``sha256``.

    A message signature states only the digest: ECDSA and RSA sign a digest, so
    they verify it (ECDSA P-384 too, as cosign signs blobs with SHA-256 whatever the
    curve). Ed25519 signs the whole message and cannot: always False.
    """
    if len(sha256) != hashlib.sha256().digest_size:
        return False
    prehashed = Prehashed(hashes.SHA256())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, sha256, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            return _rsa_verifies(key, signature, sha256, prehashed)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _rsa_verifies(
    key: rsa.RSAPublicKey,
    signature: bytes,
    message: bytes,
    algorithm: hashes.HashAlgorithm | Prehashed,
) -> bool:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    for scheme in (padding.PKCS1v15(), pss):
        try:
            key.verify(signature, message, scheme, algorithm)
        except (InvalidSignature, ValueError):
            continue
        return True
    return False
