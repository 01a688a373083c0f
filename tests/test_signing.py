"""The service signing key: creation, loading, what is refused, and the public key's names."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.signing import (
    PublicKey,
    ServiceKey,
    SigningKeyError,
    configured_service_key,
    load_or_create_service_key,
    load_service_key,
)

SEED = b"attestd signing key test seed 01"
# DER SubjectPublicKeyInfo of an Ed25519 key is this fixed prefix and the raw key (RFC 8410).
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


@functools.cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pkcs8(key, encryption=None) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption or serialization.NoEncryption(),
    )


def spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# Private keys of algorithms other than Ed25519, by test id.
OTHER_ALGORITHMS = {
    "rsa": rsa_key,
    "p-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ed448": ed448.Ed448PrivateKey.generate,
}


def other_algorithms(encode) -> list:
    """A case per OTHER_ALGORITHMS key written by ``encode``: each is refused as not Ed25519."""
    return [
        pytest.param(lambda make=make: encode(make()), "not an Ed25519 key", id=name)
        for name, make in OTHER_ALGORITHMS.items()
    ]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- creating and loading -----------------------------------------------------------------


def test_load_or_create_writes_a_0600_pkcs8_pem_once_and_loads_it_after(tmp_path):
    path = tmp_path / "var" / "keys" / "signing-key.pem"
    previous_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        key, created = load_or_create_service_key(path)
    finally:
        os.umask(previous_umask)

    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8, unencrypted
    on_disk = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(on_disk, Ed25519PrivateKey)
    assert on_disk.public_key().public_bytes_raw() == key.public.raw
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing-key.pem"]

    again, created_again = load_or_create_service_key(path)

    assert not created_again
    assert again.public.raw == key.public.raw
    assert path.read_bytes() == pem


def race_to_create(path: Path, threads: int) -> tuple[list[tuple[ServiceKey, bool]], list]:
    """Start ``threads`` creators at once on ``path``; their results and errors."""
    barrier = threading.Barrier(threads)
    results: list[tuple[ServiceKey, bool]] = []
    errors: list[Exception] = []

    def create() -> None:
        barrier.wait()
        try:
            results.append(load_or_create_service_key(path))
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors


def test_concurrent_creation_ends_with_one_key(tmp_path):
    for round_number in range(15):
        path = tmp_path / f"round-{round_number}" / "signing-key.pem"

        results, errors = race_to_create(path, threads=4)

        assert errors == []
        assert len(results) == 4
        assert sum(created for _, created in results) == 1
        assert {key.public.raw for key, _ in results} == {load_service_key(path).public.raw}
        assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]


def test_load_or_create_never_replaces_an_unreadable_key(tmp_path):
    path = write(tmp_path / "signing-key.pem", b"not a key\n")

    with pytest.raises(SigningKeyError):
        load_or_create_service_key(path)
    assert path.read_bytes() == b"not a key\n"


def test_load_service_key_reads_a_pkcs8_ed25519_key(tmp_path):
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    path = write(tmp_path / "key.pem", pkcs8(private))

    key = load_service_key(path)

    assert key.public.raw == private.public_key().public_bytes_raw()
    assert key.sign(b"data") == private.sign(b"data")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda: b"", "not an unencrypted PEM private key", id="empty"),
        pytest.param(
            lambda: b"garbage\x00\xff", "not an unencrypted PEM private key", id="garbage"
        ),
        pytest.param(
            lambda: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "not an unencrypted PEM private key",
            id="truncated pem",
        ),
        pytest.param(
            lambda: pkcs8(
                Ed25519PrivateKey.from_private_bytes(SEED),
                serialization.BestAvailableEncryption(b"passphrase"),
            ),
            "not an unencrypted PEM private key",
            id="encrypted ed25519",
        ),
        pytest.param(
            lambda: Ed25519PrivateKey.from_private_bytes(SEED).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            ),
            "not an unencrypted PEM private key",
            id="openssh format",
        ),
        pytest.param(
            lambda: spki(Ed25519PrivateKey.from_private_bytes(SEED)),
            "not an unencrypted PEM private key",
            id="public key",
        ),
        *other_algorithms(pkcs8),
        pytest.param(
            lambda: pkcs8(x25519.X25519PrivateKey.generate()), "not an Ed25519 key", id="x25519"
        ),
    ],
)
def test_load_service_key_refuses_what_is_not_an_unencrypted_ed25519_key(tmp_path, make, reason):
    path = write(tmp_path / "key.pem", make())

    with pytest.raises(SigningKeyError, match=reason):
        load_service_key(path)


def test_load_service_key_refuses_a_missing_file_or_a_directory(tmp_path):
    with pytest.raises(SigningKeyError, match="cannot read the signing key"):
        load_service_key(tmp_path / "missing.pem")
    with pytest.raises(SigningKeyError, match="cannot read the signing key"):
        load_service_key(tmp_path)


# --- configured_service_key ---------------------------------------------------------------


def test_configured_service_key_without_creation_refuses_a_missing_file(tmp_path):
    path = tmp_path / "signing-key.pem"

    with pytest.raises(SigningKeyError, match="cannot read"):
        configured_service_key(path, create_if_missing=False)
    assert not path.exists()


def test_configured_service_key_generates_once_in_development_and_says_so(tmp_path, caplog):
    path = tmp_path / "signing-key.pem"

    with caplog.at_level(logging.WARNING, logger="attestd.signing"):
        first = configured_service_key(path, create_if_missing=True)
        second = configured_service_key(path, create_if_missing=True)
        third = configured_service_key(path, create_if_missing=False)

    assert first.public.raw == second.public.raw == third.public.raw
    warnings = [r for r in caplog.records if r.name == "attestd.signing"]
    assert [r.getMessage() for r in warnings] == ["generated a development signing key"]
    assert warnings[0].fields == {"path": str(path), "key_id": first.public.key_id}
    assert path.read_text() not in caplog.text


# --- the public key -----------------------------------------------------------------------


def test_key_id_is_the_hex_sha256_of_the_der_subject_public_key_info():
    key = ServiceKey(Ed25519PrivateKey.from_private_bytes(SEED))
    der = ED25519_SPKI_PREFIX + key.public.raw

    assert key.public.key_id == hashlib.sha256(der).hexdigest()
    assert len(key.public.key_id) == 64


def test_public_key_pem_round_trips_and_verifies():
    key = ServiceKey(Ed25519PrivateKey.from_private_bytes(SEED))
    public = PublicKey.from_pem(key.public.pem.encode())

    assert key.public.pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert public.raw == key.public.raw
    assert public.key_id == key.public.key_id
    assert public.verify(key.sign(b"data"), b"data")
    assert not public.verify(key.sign(b"data"), b"other data")
    assert not public.verify(bytes(64), b"data")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda: b"", "not a PEM public key", id="empty"),
        pytest.param(lambda: b"garbage", "not a PEM public key", id="garbage"),
        pytest.param(
            lambda: pkcs8(Ed25519PrivateKey.from_private_bytes(SEED)),
            "not a PEM public key",
            id="private key",
        ),
        *other_algorithms(spki),
    ],
)
def test_from_pem_refuses_what_is_not_an_ed25519_public_key(make, reason):
    with pytest.raises(SigningKeyError, match=reason):
        PublicKey.from_pem(make())
