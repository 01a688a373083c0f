"""Sigstore bundles signed by the local authority, valid or faulty by choice.

``message_signature_bundle`` signs a SHA-256 digest (a ``hashedrekord`` entry),
``dsse_bundle`` an in-toto statement (a ``dsse`` entry); both write bundle media
type versions 0.1, 0.2 and 0.3. Keyword options build the faults a verifier must
refuse; ``with_media_type`` and ``with_invalid_base64`` spoil finished bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Literal

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from tests.sigstore_local.authority import CertificateAuthority, LocalSigstore, SignerIdentity
from tests.sigstore_local.transparency import LogEntry

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
DEFAULT_SIGNER = SignerIdentity.github_workflow("attestd/demo")
# Real signatures reach the log a moment after the certificate is issued.
LOGGING_DELAY = timedelta(seconds=2)


class BundleVersion(Enum):
    """Bundle media types; 0.3 has two spellings that verifiers must both accept."""

    V0_1 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
    V0_2 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
    V0_3 = "application/vnd.dev.sigstore.bundle.v0.3+json"
    V0_3_ALT = "application/vnd.dev.sigstore.bundle+json;version=0.3"

    @property
    def single_certificate(self) -> bool:
        """v0.3 has the leaf alone in ``certificate``, older ones an ``x509CertificateChain``."""
        return self in (BundleVersion.V0_3, BundleVersion.V0_3_ALT)


@dataclass(frozen=True)
class BuiltBundle:
    """A serialized bundle and what went into it."""

    content: bytes
    version: BundleVersion
    signer: SignerIdentity
    certificate: x509.Certificate
    log_entry: LogEntry | None
    """The entry the bundle carries (another signature's when swapped; None when omitted)."""
    digest: bytes | None = None
    """Message bundles: the digest the bundle states (``messageSignature.messageDigest``)."""
    payload: bytes | None = None
    """DSSE bundles: the envelope's payload."""
    payload_type: str | None = None

    @property
    def document(self) -> dict[str, Any]:
        """A fresh parse of ``content``, free to modify."""
        parsed: dict[str, Any] = json.loads(self.content)
        return parsed


@dataclass(frozen=True)
class _Signed:
    """One signature made with a fresh key and leaf, and the log body that records it."""

    certificate: x509.Certificate
    signatures: tuple[bytes, ...]
    body: dict[str, Any]
    envelope: dict[str, Any] | None = None
    """DSSE only: the envelope, for logging it in the ``intoto/0.0.2`` shape."""


def message_signature_bundle(
    sigstore: LocalSigstore,
    digest: bytes,
    *,
    version: BundleVersion = BundleVersion.V0_3,
    signer: SignerIdentity = DEFAULT_SIGNER,
    ca: CertificateAuthority | None = None,
    signed_at: datetime | None = None,
    integrated_at: datetime | None = None,
    signed_digest: bytes | None = None,
    include_root_ca: bool = False,
    omit_log_entry: bool = False,
    swap_log_entry: bool = False,
    corrupt_inclusion_proof: bool = False,
    log_entry_kind: tuple[str, str] | None = None,
) -> BuiltBundle:
    """A message-signature bundle stating the SHA-256 ``digest``.

    Faults: ``ca`` issues the leaf (another CA: untrusted chain); ``signed_at``
    and ``integrated_at`` place the leaf and the log entry in time (expired at
    integration, or both in the future); ``signed_digest`` is what is actually
    signed and logged; ``include_root_ca`` puts the root in a v0.1/v0.2 chain;
    ``omit_log_entry`` leaves ``tlogEntries`` empty; ``swap_log_entry`` carries
    the (valid) entry of another signature; ``corrupt_inclusion_proof`` flips a
    proof hash; ``log_entry_kind`` logs the entry as another (kind, version),
    keeping the ``hashedrekord`` spec in the body.
    """
    signed_at, integrated_time = _times(signed_at, integrated_at)
    actual = signed_digest or digest
    signed = _sign_message(sigstore, actual, signer, ca, signed_at)
    logged = signed
    if swap_log_entry:
        other = hashlib.sha256(os.urandom(32)).digest()
        logged = _sign_message(sigstore, other, signer, ca, signed_at)
    entry = _log(
        sigstore,
        logged,
        integrated_time,
        omit=omit_log_entry,
        corrupt_proof=corrupt_inclusion_proof,
        kind=log_entry_kind,
    )
    content = {
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
            "signature": _b64(signed.signatures[0]),
        }
    }
    document = _document(version, signed.certificate, ca or sigstore.ca, include_root_ca, entry)
    return BuiltBundle(
        content=json.dumps({**document, **content}, indent=2).encode(),
        version=version,
        signer=signer,
        certificate=signed.certificate,
        log_entry=entry,
        digest=digest,
    )


def dsse_bundle(
    sigstore: LocalSigstore,
    statement: dict[str, Any],
    *,
    payload_type: str = IN_TOTO_PAYLOAD_TYPE,
    version: BundleVersion = BundleVersion.V0_3,
    signer: SignerIdentity = DEFAULT_SIGNER,
    ca: CertificateAuthority | None = None,
    signed_at: datetime | None = None,
    integrated_at: datetime | None = None,
    extra_signature: bool = False,
    include_root_ca: bool = False,
    omit_log_entry: bool = False,
    swap_log_entry: bool = False,
    corrupt_inclusion_proof: bool = False,
    log_entry_kind: tuple[str, str] | None = None,
) -> BuiltBundle:
    """A DSSE bundle whose envelope carries ``statement`` (compact JSON) as ``payload_type``.

    ``extra_signature`` adds a second valid signature by the same key (logged
    too, as Rekor would); ``log_entry_kind=("intoto", "0.0.2")`` logs the
    envelope as the 2023-era npm entries were. Other faults as in
    ``message_signature_bundle``.
    """
    signed_at, integrated_time = _times(signed_at, integrated_at)
    payload = json.dumps(statement, separators=(",", ":")).encode()
    count = 2 if extra_signature else 1
    signed = _sign_envelope(sigstore, payload_type, payload, signer, ca, signed_at, count)
    logged = signed
    if swap_log_entry:
        other_statement = {
            **statement,
            "subject": [{"name": "other", "digest": {"sha256": os.urandom(32).hex()}}],
        }
        other_payload = json.dumps(other_statement, separators=(",", ":")).encode()
        logged = _sign_envelope(sigstore, payload_type, other_payload, signer, ca, signed_at, 1)
    entry = _log(
        sigstore,
        logged,
        integrated_time,
        omit=omit_log_entry,
        corrupt_proof=corrupt_inclusion_proof,
        kind=log_entry_kind,
    )
    content = {
        "dsseEnvelope": {
            "payload": _b64(payload),
            "payloadType": payload_type,
            "signatures": [{"sig": _b64(signature)} for signature in signed.signatures],
        }
    }
    document = _document(version, signed.certificate, ca or sigstore.ca, include_root_ca, entry)
    return BuiltBundle(
        content=json.dumps({**document, **content}, indent=2).encode(),
        version=version,
        signer=signer,
        certificate=signed.certificate,
        log_entry=entry,
        payload=payload,
        payload_type=payload_type,
    )


def with_media_type(bundle: bytes, media_type: str) -> bytes:
    """The bundle relabelled, e.g. with a media type version no verifier knows."""
    document = json.loads(bundle)
    document["mediaType"] = media_type
    return json.dumps(document, indent=2).encode()


def with_invalid_base64(
    bundle: bytes,
    path: Sequence[str | int] | None = None,
    *,
    style: Literal["truncated", "alphabet"] = "truncated",
) -> bytes:
    """The bundle with one base64 field spoiled (by default the signature).

    ``truncated`` leaves a length no base64 text can have; ``alphabet`` inserts
    characters outside the alphabet, which lax decoders skip, yielding the same
    bytes.
    """
    document = json.loads(bundle)
    if path is None:
        path = (
            ("messageSignature", "signature")
            if "messageSignature" in document
            else ("dsseEnvelope", "signatures", 0, "sig")
        )
    *parents, last = path
    holder = document
    for step in parents:
        holder = holder[step]
    value: str = holder[last]
    if style == "truncated":
        data = value.rstrip("=")
        holder[last] = data[: len(data) - (len(data) - 1) % 4]
    else:
        middle = len(value) // 2
        holder[last] = f"{value[:middle]}!*{value[middle:]}"
    return json.dumps(document, indent=2).encode()


def statement(
    subjects: dict[str, bytes],
    predicate_type: str = "https://slsa.dev/provenance/v1",
    predicate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An in-toto Statement v1 over ``{name: sha256 digest}``.

    Without ``predicate``, SLSA v1 provenance gets the least one with a builder id.
    """
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": name, "digest": {"sha256": digest.hex()}} for name, digest in subjects.items()
        ],
        "predicateType": predicate_type,
        "predicate": predicate if predicate is not None else _minimal_predicate(predicate_type),
    }


def _minimal_predicate(predicate_type: str) -> dict[str, Any]:
    """The least predicate of its type attestd reads: SLSA v1 provenance needs a builder."""
    if predicate_type != "https://slsa.dev/provenance/v1":
        return {}
    return {
        "buildDefinition": {"buildType": "https://attestd.test/build/v1", "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://attestd.test/builder"}},
    }


def _times(signed_at: datetime | None, integrated_at: datetime | None) -> tuple[datetime, int]:
    """The leaf's notBefore (whole seconds) and the entry's integrated time (Unix seconds)."""
    issued = (signed_at or datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    integrated = integrated_at or issued + LOGGING_DELAY
    return issued, int(integrated.timestamp())


def _sign_message(
    sigstore: LocalSigstore,
    digest: bytes,
    signer: SignerIdentity,
    ca: CertificateAuthority | None,
    signed_at: datetime,
) -> _Signed:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = sigstore.issue_leaf(key.public_key(), signer, not_before=signed_at, ca=ca)
    signature = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    body = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
            "signature": {
                "content": _b64(signature),
                "publicKey": {"content": _pem_b64(certificate)},
            },
        },
    }
    return _Signed(certificate, (signature,), body)


def _sign_envelope(
    sigstore: LocalSigstore,
    payload_type: str,
    payload: bytes,
    signer: SignerIdentity,
    ca: CertificateAuthority | None,
    signed_at: datetime,
    count: int,
) -> _Signed:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = sigstore.issue_leaf(key.public_key(), signer, not_before=signed_at, ca=ca)
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)
    signatures = tuple(key.sign(pae, ec.ECDSA(hashes.SHA256())) for _ in range(count))
    envelope: dict[str, Any] = {
        "payload": _b64(payload),
        "payloadType": payload_type,
        "signatures": [{"sig": _b64(signature)} for signature in signatures],
    }
    body = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": _sha256_hex(rfc8785.dumps(envelope))},
            "payloadHash": {"algorithm": "sha256", "value": _sha256_hex(payload)},
            # Rekor sorts the extracted signatures by their base64 text.
            "signatures": sorted(
                (
                    {"signature": _b64(signature), "verifier": _pem_b64(certificate)}
                    for signature in signatures
                ),
                key=lambda item: item["signature"],
            ),
        },
    }
    return _Signed(certificate, signatures, body, envelope)


def _entry_body(signed: _Signed, kind: tuple[str, str] | None) -> tuple[bytes, str, str]:
    """The canonical body to log and its (kind, version), rewritten when ``kind`` is forced."""
    body, envelope = signed.body, signed.envelope
    if kind is None:
        return rfc8785.dumps(body), body["kind"], body["apiVersion"]
    entry_kind, entry_version = kind
    if (entry_kind, entry_version) == ("intoto", "0.0.1") and envelope is not None:
        # The intoto/0.0.1 shape: the hashes and the verifier, no signature.
        spec: dict[str, Any] = {
            "content": {
                "hash": body["spec"]["envelopeHash"],
                "payloadHash": body["spec"]["payloadHash"],
            },
            "publicKey": body["spec"]["signatures"][0]["verifier"],
        }
    elif entry_kind == "intoto" and envelope is not None:
        # The intoto/0.0.2 shape: signatures hold base64 of the base64 signature.
        certificate = body["spec"]["signatures"][0]["verifier"]
        spec = {
            "content": {
                "envelope": {
                    "payloadType": envelope["payloadType"],
                    "signatures": [
                        {"publicKey": certificate, "sig": _b64(item["sig"].encode())}
                        for item in envelope["signatures"]
                    ],
                },
                "hash": body["spec"]["envelopeHash"],
                "payloadHash": body["spec"]["payloadHash"],
            }
        }
    else:
        spec = body["spec"]
    forced: dict[str, Any] = {"apiVersion": entry_version, "kind": entry_kind, "spec": spec}
    return rfc8785.dumps(forced), entry_kind, entry_version


def _log(
    sigstore: LocalSigstore,
    signed: _Signed,
    integrated_time: int,
    *,
    omit: bool,
    corrupt_proof: bool,
    kind: tuple[str, str] | None,
) -> LogEntry | None:
    if omit:
        return None
    canonical, entry_kind, entry_version = _entry_body(signed, kind)
    entry = sigstore.tlog.append(
        canonical, kind=entry_kind, version=entry_version, integrated_time=integrated_time
    )
    if corrupt_proof:
        first, *rest = entry.proof
        entry = dataclasses.replace(entry, proof=(bytes([first[0] ^ 1]) + first[1:], *rest))
    return entry


def _document(
    version: BundleVersion,
    leaf: x509.Certificate,
    ca: CertificateAuthority,
    include_root_ca: bool,
    entry: LogEntry | None,
) -> dict[str, Any]:
    material: dict[str, Any] = {}
    if version.single_certificate:
        if include_root_ca:
            raise ValueError("a v0.3 bundle carries the leaf alone: there is no chain to extend")
        material["certificate"] = {"rawBytes": _der_b64(leaf)}
    else:
        # Client policy (protobuf-specs) wants the leaf alone; the root is the fault.
        chain = [leaf, *ca.chain] if include_root_ca else [leaf]
        material["x509CertificateChain"] = {
            "certificates": [{"rawBytes": _der_b64(certificate)} for certificate in chain]
        }
    material["tlogEntries"] = [entry.to_bundle_json()] if entry else []
    return {"mediaType": version.value, "verificationMaterial": material}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _der_b64(certificate: x509.Certificate) -> str:
    return _b64(certificate.public_bytes(Encoding.DER))


def _pem_b64(certificate: x509.Certificate) -> str:
    """How Rekor bodies name the verifier: base64 of the PEM certificate."""
    return _b64(certificate.public_bytes(Encoding.PEM))


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
