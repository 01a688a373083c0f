"""attestd's public key read from PEM without a cryptography library, checked against one;
and the summary key picked from a ``GET /v1/keys`` answer."""

from __future__ import annotations

import base64

import pytest
from builders import key_id, public_pem, raw_public
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client.keys import InvalidPublicKey, PublicKey, published_key

# RFC 8410, 10.1: an example Ed25519 public key.
RFC_8410_EXAMPLE = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----
"""
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def pem(der: bytes, label: str = "PUBLIC KEY") -> bytes:
    """``der`` as a PEM block, 64 base64 characters a line."""
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
    return text.encode()


def test_a_key_published_by_attestd_reads_as_cryptography_reads_it() -> None:
    private = Ed25519PrivateKey.generate()
    key = PublicKey.from_pem(public_pem(private))
    assert key.raw == raw_public(private)
    assert key.key_id == key_id(private)
    assert key.verify(private.sign(b"summary"), b"summary")
    assert not key.verify(private.sign(b"summary"), b"summarY")


def test_the_rfc_8410_example_key_reads() -> None:
    key = PublicKey.from_pem(RFC_8410_EXAMPLE)
    loaded = serialization.load_pem_public_key(RFC_8410_EXAMPLE)
    assert key.der == loaded.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_crlf_line_ends_and_text_around_the_block_are_fine() -> None:
    text = b"attestd key, from GET /v1/keys\r\n" + public_pem(Ed25519PrivateKey.generate())
    assert PublicKey.from_pem(text.replace(b"\n", b"\r\n")).raw


def _ec_pem() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _x25519_pem() -> bytes:
    return (
        x25519.X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


KEY = raw_public(Ed25519PrivateKey.from_private_bytes(bytes(32)))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"", "not a PEM public key: no PUBLIC KEY block"),
        (b"not a key at all\n", "not a PEM public key"),
        (_private_pem(), "found PRIVATE KEY"),
        (_ec_pem(), "not an Ed25519 key (its algorithm is 1.2.840.10045.2.1)"),
        (_x25519_pem(), "not an Ed25519 key (its algorithm is 1.3.101.110)"),
        (RFC_8410_EXAMPLE * 2, "more than one PUBLIC KEY block"),
        (RFC_8410_EXAMPLE.replace(b"MCow", b"MC*w"), "not base64"),
        (pem(SPKI_PREFIX + KEY + b"\x00"), "bytes follow"),
        (pem(SPKI_PREFIX + KEY[:31]), "not well-formed DER"),
        (pem(bytes.fromhex("302b300506032b6570032200") + b"\x00" + KEY), "32"),
        (pem(bytes.fromhex("302a300506032b6570032101") + KEY), "unused bits"),
        # Ed25519 with a NULL parameter, which RFC 8410 forbids.
        (pem(bytes.fromhex("302c300706032b65700500032100") + KEY), "no algorithm parameters"),
        # The outer length in the long form, where DER wants the short one.
        (pem(bytes.fromhex("30812a300506032b6570032100") + KEY), "not well-formed DER"),
        (pem(bytes.fromhex("312a300506032b6570032100") + KEY), "not well-formed DER"),
        (pem(SPKI_PREFIX + (1).to_bytes(32, "little")), "small order"),
        (pem(SPKI_PREFIX + (2**255 - 19).to_bytes(32, "little")), "canonical"),
        (pem(SPKI_PREFIX + KEY, label="CERTIFICATE"), "found CERTIFICATE"),
    ],
    ids=[
        "empty",
        "not-pem",
        "private-key",
        "ec-key",
        "x25519-key",
        "two-keys",
        "bad-base64",
        "trailing-bytes",
        "truncated",
        "33-byte-key",
        "unused-bits",
        "parameters",
        "long-form-length",
        "not-a-sequence",
        "small-order-key",
        "non-canonical-key",
        "other-label",
    ],
)
def test_anything_but_one_ed25519_public_key_is_refused(text: bytes, why: str) -> None:
    with pytest.raises(InvalidPublicKey, match=why.replace("(", r"\(").replace(")", r"\)")):
        PublicKey.from_pem(text)


def test_the_well_formed_spki_of_the_tests_reads() -> None:
    """The refusals above differ from a key that reads in the one place they name."""
    assert PublicKey.from_pem(pem(SPKI_PREFIX + KEY)).raw == KEY


# --- published_key: the summary key of an expected id in a GET /v1/keys answer ---------------


def listed(key: Ed25519PrivateKey, *purposes: str) -> dict[str, object]:
    """One entry of ``GET /v1/keys``, as attestd lists a key."""
    return {
        "key_id": key_id(key),
        "algorithm": "ed25519",
        "public_key_pem": public_pem(key).decode(),
        "purposes": list(purposes),
    }


@pytest.fixture(scope="module")
def audit_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def summary_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keys(audit_key: Ed25519PrivateKey, summary_key: Ed25519PrivateKey) -> dict[str, object]:
    """A deployment with a key of its own for summaries."""
    return {
        "keys": [
            listed(audit_key, "audit-checkpoints"),
            listed(summary_key, "verification-summaries"),
        ]
    }


def test_the_summary_key_of_the_expected_id_is_picked(
    keys: dict[str, object], summary_key: Ed25519PrivateKey
) -> None:
    assert published_key(keys, key_id(summary_key)).raw == raw_public(summary_key)


def test_one_key_for_both_purposes_is_a_summary_key(audit_key: Ed25519PrivateKey) -> None:
    both = {"keys": [listed(audit_key, "audit-checkpoints", "verification-summaries")]}
    assert published_key(both, key_id(audit_key)).raw == raw_public(audit_key)


def test_the_audit_key_is_refused_for_summaries(
    keys: dict[str, object], audit_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidPublicKey, match="published for audit-checkpoints, not for"):
        published_key(keys, key_id(audit_key))


def test_a_key_without_purposes_is_refused(summary_key: Ed25519PrivateKey) -> None:
    entry = listed(summary_key)
    del entry["purposes"]
    with pytest.raises(InvalidPublicKey, match="published for none"):
        published_key({"keys": [entry]}, key_id(summary_key))


def test_the_id_is_recomputed_from_the_pem_not_read_from_the_answer(
    summary_key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    """An answer that lists another key under the expected id does not pass it off."""
    disguised = {**listed(other_key, "verification-summaries"), "key_id": key_id(summary_key)}
    with pytest.raises(InvalidPublicKey, match=f"no key of id {key_id(summary_key)}") as refused:
        published_key({"keys": [disguised]}, key_id(summary_key))
    assert key_id(other_key) in str(refused.value)


@pytest.mark.parametrize(
    "document",
    [[], {}, {"keys": "x"}, {"keys": [1, {"public_key_pem": 3}, {"public_key_pem": "x"}]}],
)
def test_answers_without_the_key_are_refused(
    document: object, summary_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(InvalidPublicKey):
        published_key(document, key_id(summary_key))
