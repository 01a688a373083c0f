"""The verification-only Ed25519: RFC 8032's vectors, ``cryptography``'s signatures, and what a
strict verifier refuses that a lenient one might accept."""

from __future__ import annotations

import hashlib
import time

import pytest
from builders import raw_public
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from attestd_client import ed25519

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493

# RFC 8032, section 7.1: (secret key, public key, message, signature), in hex.
RFC_8032_VECTORS = {
    "TEST 1": (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    "TEST 2": (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    "TEST 3": (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    "TEST SHA(abc)": (
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
}


def vector(name: str) -> tuple[bytes, bytes, bytes, bytes]:
    secret, public, message, signature = RFC_8032_VECTORS[name]
    return (
        bytes.fromhex(secret),
        bytes.fromhex(public),
        bytes.fromhex(message),
        bytes.fromhex(signature),
    )


def flipped(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def cryptography_accepts(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- a signer of the tests' own, to build signatures no honest signer makes -------------


def secret_scalar(seed: bytes) -> int:
    """The secret scalar ``a`` of RFC 8032, 5.1.5, from a 32-byte seed."""
    digest = bytearray(hashlib.sha512(seed).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    return int.from_bytes(digest, "little")


def signature_with_r(seed: bytes, message: bytes, encoded_r: bytes, r: int) -> bytes:
    """The S that makes ``encoded_r || S`` verify, for an R that is ``[r]B``."""
    public = raw_public(Ed25519PrivateKey.from_private_bytes(seed))
    k = int.from_bytes(hashlib.sha512(encoded_r + public + message).digest(), "little") % L
    s = (r + k * secret_scalar(seed)) % L
    return encoded_r + s.to_bytes(32, "little")


IDENTITY = (1).to_bytes(32, "little")
# The identity (x = 0, y = 1) spelled with y + p: the same point, not canonically.
IDENTITY_NON_CANONICAL = (P + 1).to_bytes(32, "little")
# x = 0 with the sign bit set: "negative zero", which RFC 8032 refuses to decode.
IDENTITY_NEGATIVE_ZERO = (1 | 1 << 255).to_bytes(32, "little")


# --- the RFC's vectors ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RFC_8032_VECTORS))
def test_the_rfc_8032_vectors_verify(name: str) -> None:
    _, public, message, signature = vector(name)
    assert ed25519.verify(public, message, signature)
    ed25519.check_public_key(public)


@pytest.mark.parametrize("name", sorted(RFC_8032_VECTORS))
def test_the_vectors_are_those_cryptography_makes(name: str) -> None:
    """The vectors as written here are RFC 8032's: another implementation derives them."""
    secret, public, message, signature = vector(name)
    private = Ed25519PrivateKey.from_private_bytes(secret)
    assert raw_public(private) == public
    assert private.sign(message) == signature


@pytest.mark.parametrize("name", sorted(RFC_8032_VECTORS))
def test_every_flipped_bit_of_a_vector_is_refused(name: str) -> None:
    _, public, message, signature = vector(name)
    for bit in range(0, 512, 7):
        assert not ed25519.verify(public, message, flipped(signature, bit))
    for bit in range(0, 256, 5):
        assert not ed25519.verify(flipped(public, bit), message, signature)
    if message:
        assert not ed25519.verify(public, flipped(message, 0), signature)
    assert not ed25519.verify(public, message + b"\x00", signature)


def test_a_vector_with_another_key_is_refused() -> None:
    _, _, message, signature = vector("TEST 1")
    _, other, _, _ = vector("TEST 2")
    assert not ed25519.verify(other, message, signature)


# --- against cryptography -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300))
def test_signatures_made_by_cryptography_verify(seed: bytes, message: bytes) -> None:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    assert ed25519.verify(raw_public(private), message, private.sign(message))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(min_size=1, max_size=100),
    where=st.sampled_from(["signature", "key", "message"]),
    bit=st.integers(min_value=0, max_value=511),
)
def test_a_flipped_bit_is_refused_as_cryptography_refuses_it(
    seed: bytes, message: bytes, where: str, bit: int
) -> None:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public, signature = raw_public(private), private.sign(message)
    if where == "signature":
        signature = flipped(signature, bit)
    elif where == "key":
        public = flipped(public, bit % 256)
    else:
        message = flipped(message, bit % (8 * len(message)))
    assert not ed25519.verify(public, message, signature)
    assert ed25519.verify(public, message, signature) == cryptography_accepts(
        public, message, signature
    )


def test_a_signature_by_another_key_is_refused() -> None:
    signer, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    assert not ed25519.verify(raw_public(other), b"summary", signer.sign(b"summary"))


# --- S, R and A are decoded strictly --------------------------------------------------------


def test_s_plus_l_is_refused() -> None:
    """The same signature with S + L satisfies the equation; S >= L makes it malleable."""
    _, public, message, signature = vector("TEST 1")
    s = int.from_bytes(signature[32:], "little")
    malleable = signature[:32] + (s + L).to_bytes(32, "little")
    assert not ed25519.verify(public, message, malleable)
    assert not cryptography_accepts(public, message, malleable)


@pytest.mark.parametrize("s", [L, L + 1, 2**256 - 1])
def test_any_s_from_l_up_is_refused(s: int) -> None:
    _, public, message, signature = vector("TEST 2")
    assert not ed25519.verify(public, message, signature[:32] + s.to_bytes(32, "little"))


def test_a_handmade_signature_with_r_the_identity_verifies() -> None:
    """The construction below is sound: with R canonical, the signature verifies."""
    seed = bytes(range(32))
    public = raw_public(Ed25519PrivateKey.from_private_bytes(seed))
    signature = signature_with_r(seed, b"m", IDENTITY, 0)
    assert ed25519.verify(public, b"m", signature)
    assert cryptography_accepts(public, b"m", signature)


@pytest.mark.parametrize(
    "encoded_r",
    [IDENTITY_NON_CANONICAL, IDENTITY_NEGATIVE_ZERO],
    ids=["y-plus-p", "negative-zero"],
)
def test_r_spelled_non_canonically_is_refused(encoded_r: bytes) -> None:
    """A lenient decoder reads these as the identity, and the equation would then hold."""
    seed = bytes(range(32))
    public = raw_public(Ed25519PrivateKey.from_private_bytes(seed))
    assert not ed25519.verify(public, b"m", signature_with_r(seed, b"m", encoded_r, 0))


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (P.to_bytes(32, "little"), "canonical"),  # y = p
        ((2**255 - 1).to_bytes(32, "little"), "canonical"),  # y = 2^255 - 1 > p
        (IDENTITY_NON_CANONICAL, "canonical"),
        (IDENTITY_NEGATIVE_ZERO, "canonical"),
        ((2).to_bytes(32, "little"), "canonical"),  # y = 2 is on no point of the curve
        (IDENTITY, "small order"),
        ((P - 1).to_bytes(32, "little"), "small order"),  # y = -1: (0, -1), order 2
        ((0).to_bytes(32, "little"), "small order"),  # y = 0: order 4
        (b"\x01" * 31, "32 bytes"),
        (b"", "32 bytes"),
    ],
)
def test_keys_that_cannot_verify_are_refused(encoded: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        ed25519.check_public_key(encoded)


def test_a_large_order_point_spelled_with_y_plus_p_is_refused() -> None:
    """Of y < 19 (the only y with a second spelling), some name points of large order."""
    spelled_twice = [
        y for y in range(3, 19) if _checks(y.to_bytes(32, "little")) and y + P < 2**255
    ]
    assert spelled_twice
    for y in spelled_twice:
        with pytest.raises(ValueError, match="canonical"):
            ed25519.check_public_key((y + P).to_bytes(32, "little"))


def _checks(encoded: bytes) -> bool:
    try:
        ed25519.check_public_key(encoded)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("public", "signature"),
    [(b"\x00" * 31, b"\x00" * 64), (b"\x00" * 32, b"\x00" * 63), (b"\x00" * 33, b"\x00" * 65)],
)
def test_wrong_lengths_are_refused_not_raised(public: bytes, signature: bytes) -> None:
    assert not ed25519.verify(public, b"", signature)


def test_verifying_is_fast_enough_for_a_gate() -> None:
    """One verification is a few milliseconds of pure Python: far below a request's time."""
    _, public, message, signature = vector("TEST SHA(abc)")
    started = time.perf_counter()
    for _ in range(20):
        assert ed25519.verify(public, message, signature)
    assert (time.perf_counter() - started) / 20 < 0.05
