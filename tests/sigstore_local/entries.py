"""Bundles for the shapes attestd verifies itself: keyed bundles, re-logged bodies, no proof.

``keyed_bundle`` signs with a bare key (ECDSA P-256/P-384, Ed25519, RSA) and
logs the key in a ``dsse``, ``intoto`` or ``hashedrekord`` entry, as cosign
``--key``, Tekton Chains and the npm registry do. ``relogged`` logs an edited
body (another payload hash, signature or verifier) as a genuine entry of the
local log, so that the body alone differs from the bundle. ``without_proof``
leaves the entry resting on its signed entry timestamp, as v0.1 bundles could.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeAlias

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from tests.sigstore_local.authority import LocalSigstore
from tests.sigstore_local.bundles import (
    IN_TOTO_PAYLOAD_TYPE,
    BundleVersion,
    _entry_body,
    _Signed,
    _times,
)

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def generate_key(kind: str) -> PrivateKey:
    """A fresh private key: ``p256``, ``p384``, ``ed25519`` or ``rsa`` (2048 bits)."""
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key kind {kind!r}")


def public_pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: PrivateKey, message: bytes) -> bytes:
    """``message`` signed as a Sigstore client signs with a key of this kind."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = hashes.SHA384() if key.curve.name == "secp384r1" else hashes.SHA256()
        return key.sign(message, ec.ECDSA(algorithm))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def sign_digest(key: PrivateKey, digest: bytes) -> bytes:
    """A SHA-256 ``digest`` signed (hashedrekord); Ed25519 cannot sign a bare digest."""
    prehashed = Prehashed(hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest, ec.ECDSA(prehashed))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), prehashed)
    raise ValueError("Ed25519 signs whole messages, not digests")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)


def keyed_bundle(
    sigstore: LocalSigstore,
    key: PrivateKey,
    *,
    statement: dict[str, Any] | None = None,
    digest: bytes | None = None,
    hint: str = "attestd-test-key",
    version: BundleVersion = BundleVersion.V0_1,
    log_entry_kind: tuple[str, str] | None = ("intoto", "0.0.2"),
    signed_at: datetime | None = None,
) -> bytes:
    """A bundle signed with ``key``: a DSSE ``statement``, or a message ``digest``.

    ``log_entry_kind`` logs a DSSE envelope as ``intoto`` (default, as npm does)
    or, with None, as ``dsse/0.0.1``; a message is always a ``hashedrekord``.
    """
    _, integrated_time = _times(signed_at, None)
    verifier = _b64(public_pem(key).encode())
    content: dict[str, Any]
    if statement is not None:
        payload = json.dumps(statement, separators=(",", ":")).encode()
        signature = sign(key, _pae(IN_TOTO_PAYLOAD_TYPE, payload))
        envelope: dict[str, Any] = {
            "payload": _b64(payload),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": _b64(signature), "keyid": hint}],
        }
        body = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(rfc8785.dumps(envelope)).hexdigest(),
                },
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(payload).hexdigest(),
                },
                "signatures": [{"signature": _b64(signature), "verifier": verifier}],
            },
        }
        canonical, kind, entry_version = _entry_body(
            _Signed(None, (signature,), body, envelope),  # type: ignore[arg-type]
            log_entry_kind,
        )
        content = {"dsseEnvelope": envelope}
    else:
        if digest is None:
            raise ValueError("a keyed bundle signs a statement or a digest")
        signature = sign_digest(key, digest)
        canonical = rfc8785.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                    "signature": {"content": _b64(signature), "publicKey": {"content": verifier}},
                },
            }
        )
        kind, entry_version = "hashedrekord", "0.0.1"
        content = {
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
                "signature": _b64(signature),
            }
        }
    entry = sigstore.tlog.append(
        canonical, kind=kind, version=entry_version, integrated_time=integrated_time
    )
    document = {
        "mediaType": version.value,
        "verificationMaterial": {
            "publicKey": {"hint": hint},
            "tlogEntries": [entry.to_bundle_json()],
        },
        **content,
    }
    return json.dumps(document, indent=2).encode()


def _entry(document: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = document["verificationMaterial"]["tlogEntries"][0]
    return entry


def relogged(
    sigstore: LocalSigstore, content: bytes, edit: Callable[[dict[str, Any]], object]
) -> bytes:
    """The bundle whose entry is a genuine new entry of the log, its body edited by ``edit``."""
    document = json.loads(content)
    old = _entry(document)
    body = json.loads(base64.b64decode(old["canonicalizedBody"]))
    edit(body)
    entry = sigstore.tlog.append(
        rfc8785.dumps(body),
        kind=body["kind"],
        version=body["apiVersion"],
        integrated_time=int(old["integratedTime"]),
    )
    fresh = entry.to_bundle_json()
    if "inclusionProof" not in old:
        del fresh["inclusionProof"]
    document["verificationMaterial"]["tlogEntries"] = [fresh]
    return json.dumps(document, indent=2).encode()


def without_proof(content: bytes) -> bytes:
    """The bundle's entry with its inclusion proof removed: it rests on its SET alone."""
    document = json.loads(content)
    del _entry(document)["inclusionProof"]
    return json.dumps(document, indent=2).encode()


def edited(content: bytes, edit: Callable[[dict[str, Any]], object]) -> bytes:
    """The bundle with ``edit`` applied to its parsed document."""
    document = json.loads(content)
    edit(document)
    return json.dumps(document, indent=2).encode()


def entry_of(document: dict[str, Any]) -> dict[str, Any]:
    """The bundle document's one log entry, to edit in place."""
    return _entry(document)
