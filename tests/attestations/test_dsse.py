"""DSSE's PAE and signatures checked with bare public keys: each key type, each refusal."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from app.attestations.dsse import (
    KeyRefused,
    accepted_key,
    fingerprint,
    key_der,
    load_der_key,
    load_pem_key,
    pae,
    verifies,
    verifies_digest,
)

MESSAGE = pae("application/vnd.in-toto+json", b'{"_type":"https://in-toto.io/Statement/v1"}')
DIGEST = hashlib.sha256(MESSAGE).digest()

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


# name -> (private key, signs a message, signs a SHA-256 digest or None)
Signer = tuple[PrivateKey, Callable[[bytes], bytes], Callable[[bytes], bytes] | None]


def _signers() -> dict[str, Signer]:
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    edkey = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    prehashed = Prehashed(hashes.SHA256())
    return {
        "ecdsa-p256": (
            p256,
            lambda m: p256.sign(m, ec.ECDSA(hashes.SHA256())),
            lambda d: p256.sign(d, ec.ECDSA(prehashed)),
        ),
        "ecdsa-p384": (
            p384,
            lambda m: p384.sign(m, ec.ECDSA(hashes.SHA384())),
            lambda d: p384.sign(d, ec.ECDSA(prehashed)),
        ),
        "ed25519": (edkey, edkey.sign, None),
        "rsa-pkcs1": (
            rsa_key,
            lambda m: rsa_key.sign(m, padding.PKCS1v15(), hashes.SHA256()),
            lambda d: rsa_key.sign(d, padding.PKCS1v15(), prehashed),
        ),
        "rsa-pss": (
            rsa_key,
            lambda m: rsa_key.sign(m, _pss(), hashes.SHA256()),
            lambda d: rsa_key.sign(d, _pss(), prehashed),
        ),
    }


SIGNERS = _signers()


def _pem(private: PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_pae_is_the_dsse_v1_encoding() -> None:
    # The example of the DSSE protocol document.
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    # Lengths are of the UTF-8 bytes, not of the characters.
    assert pae("\u00e9", b"") == b"DSSEv1 2 \xc3\xa9 0 "


@pytest.mark.parametrize("name", sorted(SIGNERS))
def test_a_signature_verifies_with_its_key_and_not_once_changed(name: str) -> None:
    private, sign, _ = SIGNERS[name]
    key = load_pem_key(_pem(private))
    signature = sign(MESSAGE)
    assert verifies(key, signature, MESSAGE)
    assert not verifies(key, signature, MESSAGE + b" ")
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verifies(key, flipped, MESSAGE)
    assert not verifies(key, b"", MESSAGE)


@pytest.mark.parametrize("name", sorted(SIGNERS))
def test_a_signature_does_not_verify_with_another_key(name: str) -> None:
    _, sign, _ = SIGNERS[name]
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not verifies(accepted_key(other), sign(MESSAGE), MESSAGE)


@pytest.mark.parametrize("name", sorted(n for n, s in SIGNERS.items() if s[2] is not None))
def test_a_digest_signature_verifies_over_that_digest_only(name: str) -> None:
    private, _, sign_digest = SIGNERS[name]
    assert sign_digest is not None
    key = load_pem_key(_pem(private))
    signature = sign_digest(DIGEST)
    assert verifies_digest(key, signature, DIGEST)
    assert not verifies_digest(key, signature, hashlib.sha256(b"other").digest())
    assert not verifies_digest(key, signature, DIGEST[:31])


def test_ed25519_cannot_verify_a_bare_digest() -> None:
    private, _, _ = SIGNERS["ed25519"]
    key = load_pem_key(_pem(private))
    assert not verifies_digest(key, private.sign(DIGEST), DIGEST)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("private", "words"),
    [
        (ec.generate_private_key(ec.SECP521R1()), "secp521r1"),
        (ec.generate_private_key(ec.SECP256K1()), "secp256k1"),
        (rsa.generate_private_key(public_exponent=65537, key_size=1024), "1024 bits"),  # noqa: S505 - the weak key refused
        (x25519.X25519PrivateKey.generate(), "X25519PublicKey"),
    ],
)
def test_weak_or_foreign_keys_are_refused(private: object, words: str) -> None:
    pem = private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyRefused, match=words):
        load_pem_key(pem)


def test_what_is_not_a_public_key_is_refused() -> None:
    private, _, _ = SIGNERS["ecdsa-p256"]
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for pem in (b"", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", private_pem):
        with pytest.raises(KeyRefused, match="not a PEM public key"):
            load_pem_key(pem)
    with pytest.raises(KeyRefused, match="not a DER public key"):
        load_der_key(b"\x30\x00")


def test_the_fingerprint_is_the_sha256_of_the_der_key() -> None:
    private, _, _ = SIGNERS["ed25519"]
    key = load_pem_key(_pem(private))
    assert load_der_key(key_der(key)) == key
    assert fingerprint(key) == "sha256:" + hashlib.sha256(key_der(key)).hexdigest()
