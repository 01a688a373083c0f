"""DSSE's pre-authentication encoding and signatures checked with a bare public key. Pure.

Where sigstore-python verifies nothing (keyed bundles, ``intoto`` log entries,
timestamp-only bundles), attestd checks signatures itself with ``cryptography``.
The keys it accepts are those Sigstore clients sign with, and nothing weaker:

=====================  ==================================================
key                    signature
=====================  ==================================================
ECDSA P-256            ECDSA with SHA-256 (DER signature)
ECDSA P-384            ECDSA with SHA-384 (DER signature)
Ed25519                Ed25519 over the message itself
RSA of 2048 bits+      PKCS#1 v1.5 or PSS, both with SHA-256
=====================  ==================================================

Anything else (another curve, a short RSA key, DSA) is ``KeyRefused``: a weak
key is refused when it is configured, not accepted and then trusted.
"""

from __future__ import annotations

import hashlib
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

RSA_MIN_BITS = 2048
_CURVE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
}


class KeyRefused(ValueError):
    """A public key attestd does not verify with; the message says why, for people."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1's pre-authentication encoding: what an envelope's signatures sign."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def accepted_key(key: object) -> PublicKey:
    """``key`` if it is a public key of a type and size attestd accepts; else ``KeyRefused``."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVE_HASHES:
            raise KeyRefused(f"ECDSA curve {key.curve.name} is not accepted (P-256 or P-384)")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < RSA_MIN_BITS:
            raise KeyRefused(f"an RSA key of {key.key_size} bits is too short ({RSA_MIN_BITS}+)")
        return key
    raise KeyRefused(
        f"a {type(key).__name__} is not accepted (ECDSA P-256/P-384, Ed25519, RSA {RSA_MIN_BITS}+)"
    )


def load_pem_key(pem: str | bytes) -> PublicKey:
    """A PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") attestd accepts; else ``KeyRefused``."""
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyRefused("not a PEM public key (SubjectPublicKeyInfo)") from None
    return accepted_key(key)


def load_der_key(der: bytes) -> PublicKey:
    """A DER SubjectPublicKeyInfo attestd accepts; else ``KeyRefused``."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyRefused("not a DER public key (SubjectPublicKeyInfo)") from None
    return accepted_key(key)


def key_der(key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``key``."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: PublicKey) -> str:
    """``sha256:<hex>`` of the key's DER SubjectPublicKeyInfo (a Rekor log id, for a log key)."""
    return "sha256:" + hashlib.sha256(key_der(key)).hexdigest()


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
