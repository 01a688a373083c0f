"""Bundles timed by a timestamp authority: Rekor v2 entries and timestamp-only bundles.

``timestamped_bundle`` signs a digest (message signature) or a statement (DSSE)
with a fresh Fulcio-shaped leaf, adds the RFC 3161 timestamps each
``Timestamping`` asks for (over the signature bytes, as the bundle specification
says), and either logs nothing (GitHub's own instance: timestamp-only) or logs a
Rekor v2 entry (``hashedrekord/0.0.2``, or for DSSE ``dsse/0.0.2`` or sigstore-
python's ``hashedrekord/0.0.2`` over the PAE) with an inclusion proof and a
signed checkpoint, no integrated time and no SET. ``timestamped_root`` writes
the trust root to go with them: a TSA beside the local CA, with or without the
transparency log and the CT log.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from tests.sigstore_local.authority import CertificateAuthority, LocalSigstore, SignerIdentity
from tests.sigstore_local.bundles import (
    DEFAULT_SIGNER,
    IN_TOTO_PAYLOAD_TYPE,
    LOGGING_DELAY,
    BuiltBundle,
    BundleVersion,
)
from tests.sigstore_local.timestamping import TimestampAuthority
from tests.sigstore_local.transparency import LogEntry

_KEY_DETAILS = "PKIX_ECDSA_P256_SHA_256"


@dataclass(frozen=True)
class Timestamping:
    """One RFC 3161 timestamp a bundle carries, and its faults.

    ``at`` defaults to the signing time plus the logging delay; ``over`` is the
    message the imprint hashes (default: the bundle's signature);
    ``corrupt_signature`` spoils the timestamp's own signature.
    """

    authority: TimestampAuthority
    at: datetime | None = None
    over: bytes | None = None
    corrupt_signature: bool = False


def timestamped_root(
    sigstore: LocalSigstore,
    authorities: Sequence[TimestampAuthority],
    *,
    tlog: bool = True,
    ct_log: bool = True,
    valid_for: tuple[datetime, datetime | None] | None = None,
) -> dict[str, Any]:
    """The local trust root with ``authorities`` as its TSAs, with or without its logs.

    ``valid_for`` is each TSA's (start, end); by default the local Sigstore's start.
    """
    document = sigstore.trusted_root()
    start, end = valid_for or (sigstore.valid_from, None)
    period = {"start": _rfc3339(start), **({} if end is None else {"end": _rfc3339(end)})}
    document["timestampAuthorities"] = [
        authority.trust_root_entry(period) for authority in authorities
    ]
    if not tlog:
        document["tlogs"] = []
    if not ct_log:
        document["ctlogs"] = []
    return document


def write_root(document: dict[str, Any], folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class _Signed:
    certificate: x509.Certificate
    signature: bytes
    pae: bytes | None  # DSSE: what was signed


def timestamped_bundle(
    sigstore: LocalSigstore,
    *,
    digest: bytes | None = None,
    statement: dict[str, Any] | None = None,
    timestamps: Sequence[Timestamping] = (),
    rekor_v2: tuple[str, str] | None = None,
    version: BundleVersion = BundleVersion.V0_3,
    signer: SignerIdentity = DEFAULT_SIGNER,
    ca: CertificateAuthority | None = None,
    signed_at: datetime | None = None,
    sct: bool = True,
    corrupt_signature: bool = False,
    corrupt_inclusion_proof: bool = False,
    logged_payload: bytes | None = None,
) -> BuiltBundle:
    """A bundle over ``digest`` or ``statement``, timed by ``timestamps``.

    ``rekor_v2`` logs a Rekor v2 entry of that (kind, version); without it the
    bundle has no log entry. Faults: ``sct=False`` leaves the leaf's SCT out;
    ``corrupt_signature`` signs other bytes (the timestamps still cover the
    signature given); ``corrupt_inclusion_proof`` flips a proof hash;
    ``logged_payload`` records another payload's hash in a ``dsse/0.0.2`` entry.
    """
    if (digest is None) == (statement is None):
        raise ValueError("a bundle signs a digest or a statement")
    issued = (signed_at or datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = sigstore.issue_leaf(key.public_key(), signer, not_before=issued, ca=ca, sct=sct)
    content: dict[str, Any]
    if digest is not None:
        signed_digest = hashlib.sha256(digest).digest() if corrupt_signature else digest
        signature = key.sign(signed_digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        signed = _Signed(certificate, signature, None)
        content = {
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
                "signature": _b64(signature),
            }
        }
        payload = None
    else:
        payload = json.dumps(statement, separators=(",", ":")).encode()
        pae = _pae(IN_TOTO_PAYLOAD_TYPE, payload)
        signature = key.sign(pae + (b"!" if corrupt_signature else b""), ec.ECDSA(hashes.SHA256()))
        signed = _Signed(certificate, signature, pae)
        content = {
            "dsseEnvelope": {
                "payload": _b64(payload),
                "payloadType": IN_TOTO_PAYLOAD_TYPE,
                "signatures": [{"sig": _b64(signature)}],
            }
        }
    material: dict[str, Any] = {}
    if version.single_certificate:
        material["certificate"] = {"rawBytes": _der_b64(certificate)}
    else:
        material["x509CertificateChain"] = {"certificates": [{"rawBytes": _der_b64(certificate)}]}
    entry: LogEntry | None = None
    if rekor_v2 is not None:
        body = _v2_body(rekor_v2, signed, digest, logged_payload or payload)
        entry = sigstore.tlog.append(
            rfc8785.dumps(body), kind=rekor_v2[0], version=rekor_v2[1], integrated_time=0
        )
        if corrupt_inclusion_proof:
            first, *rest = entry.proof
            entry = dataclasses.replace(entry, proof=(bytes([first[0] ^ 1]) + first[1:], *rest))
        logged = entry.to_bundle_json()
        # Rekor v2: no integrated time, no signed entry timestamp; the proof is the receipt.
        del logged["integratedTime"], logged["inclusionPromise"]
        material["tlogEntries"] = [logged]
    else:
        material["tlogEntries"] = []
    if timestamps:
        default_at = issued + LOGGING_DELAY
        material["timestampVerificationData"] = {
            "rfc3161Timestamps": [
                {
                    "signedTimestamp": _b64(
                        stamp.authority.timestamp(
                            signature if stamp.over is None else stamp.over,
                            at=stamp.at or default_at,
                            corrupt_signature=stamp.corrupt_signature,
                        )
                    )
                }
                for stamp in timestamps
            ]
        }
    document = {"mediaType": version.value, "verificationMaterial": material, **content}
    return BuiltBundle(
        content=json.dumps(document, indent=2).encode(),
        version=version,
        signer=signer,
        certificate=certificate,
        log_entry=entry,
        digest=digest,
        payload=payload,
        payload_type=None if payload is None else IN_TOTO_PAYLOAD_TYPE,
    )


def _v2_body(
    kind: tuple[str, str], signed: _Signed, digest: bytes | None, payload: bytes | None
) -> dict[str, Any]:
    """A Rekor v2 entry body (protobuf JSON, as rekor-tiles writes it)."""
    verifier = {
        "keyDetails": _KEY_DETAILS,
        "x509Certificate": {"rawBytes": _der_b64(signed.certificate)},
    }
    signature = {"content": _b64(signed.signature), "verifier": verifier}
    if kind == ("hashedrekord", "0.0.2"):
        hashed = digest if signed.pae is None else hashlib.sha256(signed.pae).digest()
        spec: dict[str, Any] = {
            "hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": _b64(hashed or b"")},
                "signature": signature,
            }
        }
    elif kind == ("dsse", "0.0.2") and payload is not None:
        spec = {
            "dsseV002": {
                "payloadHash": {
                    "algorithm": "SHA2_256",
                    "digest": _b64(hashlib.sha256(payload).digest()),
                },
                "signatures": [signature],
            }
        }
    else:
        raise ValueError(f"no Rekor v2 body of kind {kind} for this bundle")
    return {"apiVersion": kind[1], "kind": kind[0], "spec": spec}


def _pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _der_b64(certificate: x509.Certificate) -> str:
    return _b64(certificate.public_bytes(Encoding.DER))
