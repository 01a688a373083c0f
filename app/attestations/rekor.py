"""Rekor v1 log entries, checked by attestd itself: body, inclusion proof, checkpoint, SET. Pure.

sigstore-python verifies ``hashedrekord`` and ``dsse`` entries of bundles that
carry a certificate and an inclusion proof. For the shapes it refuses (``intoto``
entries, keyed bundles, v0.1 bundles resting on their inclusion promise) attestd
checks the entry with this module:

* ``read_body``: what the canonicalized body records, by kind (Rekor's type
  definitions): ``hashedrekord/0.0.1`` (digest, signature, verifier), ``dsse/0.0.1``
  (payload hash, signatures with their verifiers), ``intoto/0.0.1`` (payload hash,
  the verifier; no signature), ``intoto/0.0.2`` (payload type, payload hash,
  signatures as base64 of the base64 signature, each with its verifier). A
  verifier is the base64 of a PEM certificate or PEM public key.
* ``body_reasons``: that record compared with the bundle. The envelope hash Rekor
  stores is over its own re-serialisation of the envelope, which a client cannot
  rebuild byte for byte; like sigstore-python and sigstore-js, attestd relies on
  the payload hash and the signatures instead, which bind the same content.
* ``proof_reasons``: the RFC 6962 inclusion proof (``app.audit.merkle``) of the
  body's leaf hash up to the root hash, and the signed checkpoint (a C2SP signed
  note) stating that root and size, signed by the log's key, with the log's
  origin.
* ``promise_reasons``: the signed entry timestamp (SET), the log's signature over
  the RFC 8785 canonical JSON of ``{body, integratedTime, logID, logIndex}``.

The log's key is chosen by the entry's log id among the trust root's logs
(``app.attestations.trust.LogKey``), and must be valid at the integrated time.
The checkpoint's origin must start with the host of that log's URL, as Rekor v1
writes it (``rekor.sigstore.dev - <tree id>``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from app.attestations.bundles import LogEntry, Reason
from app.attestations.dsse import (
    KeyRefused,
    PublicKey,
    accepted_key,
    key_der,
    load_pem_key,
    verifies,
)
from app.attestations.trust import LogKey
from app.audit import merkle
from app.strict_json import JsonRefused, parse_strict_json

_TEXT_MAX = 120
_EM_DASH = "\u2014"


def _unknown_log(entry: LogEntry, why: str) -> Reason:
    return Reason("unknown-log", f"log id {entry.log_id[:16]}…: {why}")


@dataclass(frozen=True, slots=True)
class Log:
    """The log an entry names, as its checks use it: key and origin host."""

    key: PublicKey
    host: str
    log_id: bytes


def log_for(entry: LogEntry, logs: Sequence[LogKey]) -> Log | Reason:
    """The log ``entry`` names among ``logs``, its key valid at the integrated time; else why."""
    matching = [log for log in logs if log.log_id.hex() == entry.log_id]
    if not matching:
        return _unknown_log(entry, "no log of the trust root has this id")
    moment = entry.integrated_time
    if moment is None:
        return _unknown_log(entry, "an entry without an integrated time cannot be checked here")
    for log in matching:
        if log.valid_for.covers(moment):
            try:
                key = accepted_key(log.key)
            except KeyRefused as refused:
                return _unknown_log(entry, f"the log's key cannot be used: {refused}")
            return Log(key, urlsplit(log.base_url).hostname or "", log.log_id)
    return _unknown_log(entry, f"the log's key was not valid at {moment.isoformat()}")


# --- the signed entry timestamp ---------------------------------------------------------


def promise_reasons(entry: LogEntry, key: Log) -> list[Reason]:
    """The SET verifies with ``key`` over the entry's body, time, log id and index."""
    if entry.signed_entry_timestamp is None or entry.integrated_time is None:
        return [Reason("inclusion-promise-invalid", "the log entry has no signed entry timestamp")]
    promised = rfc8785.dumps(
        {
            "body": base64.b64encode(entry.body).decode(),
            "integratedTime": int(entry.integrated_time.timestamp()),
            "logID": entry.log_id,
            "logIndex": entry.log_index,
        }
    )
    if verifies(key.key, entry.signed_entry_timestamp, promised):
        return []
    return [
        Reason(
            "inclusion-promise-invalid",
            "the signed entry timestamp does not verify with the log's key over this entry's "
            "body, integrated time, log id and index",
        )
    ]


# --- the inclusion proof and its checkpoint --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def _signed_text(note: str, key: Log) -> str | None:
    """The text of a signed note if one of its signatures verifies with ``key``; else None."""
    text, separator, signatures = note.partition("\n\n")
    if not separator or not text:
        return None
    text += "\n"
    hint = key.log_id[:4]
    for line in signatures.split("\n"):
        words = line.split(" ")
        if len(words) != 3 or words[0] != _EM_DASH:
            continue
        try:
            blob = base64.b64decode(words[2], validate=True)
        except binascii.Error:
            continue
        if blob[:4] == hint and verifies(key.key, blob[4:], text.encode()):
            return text
    return None


def _checkpoint(note: str, key: Log) -> Checkpoint | Reason:
    """The checkpoint a signed note states, if the log's key signed it; else the reason."""
    text = _signed_text(note, key)
    if text is None:
        return Reason(
            "checkpoint-invalid",
            "the signed checkpoint has no signature that verifies with the log's key",
        )
    origin, size_text, root_text, *_ = [*text.split("\n"), "", ""]
    if origin.split(" ")[0] != key.host:
        return Reason(
            "checkpoint-invalid",
            f"the signed checkpoint names the origin {origin[:_TEXT_MAX]!r}, not the log "
            f"{key.host!r}",
        )
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        root = b""
    if not size_text.isdigit() or len(root) != merkle.HASH_SIZE:
        return Reason(
            "checkpoint-invalid",
            "the signed checkpoint does not state a decimal tree size and a SHA-256 root hash",
        )
    return Checkpoint(origin, int(size_text), root)


def proof_reasons(entry: LogEntry, key: Log) -> list[Reason]:
    """The body's leaf is in the tree whose root and size the log signed in the checkpoint."""
    proof = entry.inclusion_proof
    if proof is None:
        return [Reason("no-inclusion-proof", "the log entry has no inclusion proof")]
    # The proof's index is within the log shard's tree; the entry's counts every shard.
    checkpoint = _checkpoint(proof.checkpoint, key)
    if isinstance(checkpoint, Reason):
        return [checkpoint]
    if checkpoint.size != proof.tree_size or checkpoint.root != proof.root_hash:
        return [
            Reason(
                "checkpoint-invalid",
                f"the signed checkpoint states a tree of {checkpoint.size} leaves with another "
                f"root than the proof's tree of {proof.tree_size}",
            )
        ]
    leaf = merkle.leaf_hash(entry.body)
    if not merkle.verify_inclusion(
        proof.log_index, proof.tree_size, leaf, proof.hashes, proof.root_hash
    ):
        return [
            Reason(
                "inclusion-proof-invalid",
                "the inclusion proof does not lead from the entry's body to the signed root hash",
            )
        ]
    return []


# --- what the body records -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedSignature:
    signature: bytes | None  # None: the kind records no signature (intoto/0.0.1)
    verifier: bytes  # PEM: a certificate or a public key


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an entry's canonicalized body records about the signature it logged."""

    kind: str
    version: str
    signatures: tuple[RecordedSignature, ...]
    payload_hash: str | None = None  # sha256 hex of the DSSE payload
    payload_type: str | None = None  # intoto/0.0.2
    message_hash: str | None = None  # sha256 hex of the signed message (hashedrekord)


class BodyRefused(ValueError):
    """A canonicalized body that is not the entry kind it claims to be."""


def _field(value: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(value, dict) or step not in value:
            raise BodyRefused(f"{'.'.join(path)} is missing")
        value = value[step]
    return value


def _text(value: Any, *path: str) -> str:
    found = _field(value, *path)
    if not isinstance(found, str):
        raise BodyRefused(f"{'.'.join(path)} is not a string")
    return found


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BodyRefused(f"{what} is not base64") from None


def _sha256(spec: Any, *path: str) -> str:
    if _text(spec, *path, "algorithm") != "sha256":
        raise BodyRefused(f"{'.'.join(path)} is not a sha256 hash")
    return _text(spec, *path, "value").lower()


def _signatures(
    items: Any, signature_key: str, verifier_key: str, *, twice: bool
) -> tuple[RecordedSignature, ...]:
    if not isinstance(items, list) or not items:
        raise BodyRefused("the body records no signature")
    recorded = []
    for item in items:
        signature = _b64(_text(item, signature_key), "a signature")
        if twice:  # intoto/0.0.2 stores base64 of the base64 signature
            signature = _b64(signature.decode("ascii", "replace"), "a signature")
        recorded.append(RecordedSignature(signature, _b64(_text(item, verifier_key), "a verifier")))
    return tuple(recorded)


def _read(document: Any, kind: str, version: str, entry_kind: tuple[str, str]) -> Recorded:
    if (kind, version) != entry_kind:
        raise BodyRefused(f"the body is not of the stated kind {'/'.join(entry_kind)}")
    spec = _field(document, "spec")
    if (kind, version) == ("hashedrekord", "0.0.1"):
        signature = RecordedSignature(
            _b64(_text(spec, "signature", "content"), "the signature"),
            _b64(_text(spec, "signature", "publicKey", "content"), "the verifier"),
        )
        return Recorded(kind, version, (signature,), message_hash=_sha256(spec, "data", "hash"))
    if (kind, version) == ("dsse", "0.0.1"):
        signatures = _signatures(_field(spec, "signatures"), "signature", "verifier", twice=False)
        return Recorded(kind, version, signatures, payload_hash=_sha256(spec, "payloadHash"))
    if (kind, version) == ("intoto", "0.0.1"):
        verifier = _b64(_text(spec, "publicKey"), "the verifier")
        return Recorded(
            kind,
            version,
            (RecordedSignature(None, verifier),),
            payload_hash=_sha256(spec, "content", "payloadHash"),
        )
    if (kind, version) == ("intoto", "0.0.2"):
        envelope = _field(spec, "content", "envelope")
        return Recorded(
            kind,
            version,
            _signatures(_field(envelope, "signatures"), "sig", "publicKey", twice=True),
            payload_hash=_sha256(spec, "content", "payloadHash"),
            payload_type=_text(envelope, "payloadType"),
        )
    raise BodyRefused(f"entries of kind {kind}/{version} are not read by attestd")


def read_body(entry: LogEntry) -> Recorded | Reason:
    """What ``entry``'s canonicalized body records; the body must be the kind the entry states."""
    try:
        document = parse_strict_json(entry.body)
        stated = (_field(document, "kind"), _field(document, "apiVersion"))
        return _read(document, *stated, (entry.kind, entry.version))
    except (JsonRefused, BodyRefused) as error:
        return Reason("tlog-entry-malformed", f"the log entry's body: {error}"[: _TEXT_MAX * 2])


Verifier = x509.Certificate | PublicKey


def _same_verifier(pem: bytes, verifier: Verifier) -> bool:
    if isinstance(verifier, x509.Certificate):
        try:
            recorded = x509.load_pem_x509_certificate(pem)
        except ValueError:
            return False
        return recorded.public_bytes(Encoding.DER) == verifier.public_bytes(Encoding.DER)
    try:
        return key_der(load_pem_key(pem)) == key_der(verifier)
    except KeyRefused:
        return False


def body_reasons(
    recorded: Recorded,
    *,
    signature: bytes,
    verifier: Verifier,
    payload: bytes | None = None,
    payload_type: str | None = None,
    message_digest: bytes | None = None,
) -> list[Reason]:
    """Whether the body records this bundle's content, signature and certificate or key."""
    reasons: list[Reason] = []
    if recorded.payload_hash is not None and (
        payload is None or hashlib.sha256(payload).hexdigest() != recorded.payload_hash
    ):
        reasons.append(
            Reason("tlog-entry-mismatch", "the log entry records the hash of another payload")
        )
    if recorded.payload_type is not None and recorded.payload_type != payload_type:
        reasons.append(Reason("tlog-entry-mismatch", "the log entry records another payload type"))
    if recorded.message_hash is not None and (
        message_digest is None or message_digest.hex() != recorded.message_hash
    ):
        reasons.append(Reason("tlog-entry-mismatch", "the log entry records another digest"))
    if len(recorded.signatures) != 1:
        reasons.append(
            Reason(
                "tlog-signature-mismatch",
                f"the log entry records {len(recorded.signatures)} signatures; the bundle has one",
            )
        )
        return reasons
    (logged,) = recorded.signatures
    if logged.signature is not None and logged.signature != signature:
        reasons.append(Reason("tlog-signature-mismatch", "the log entry records another signature"))
    if not _same_verifier(logged.verifier, verifier):
        what = "certificate" if isinstance(verifier, x509.Certificate) else "public key"
        reasons.append(
            Reason(
                "tlog-verifier-mismatch", f"the log entry records another {what} than the bundle's"
            )
        )
    return reasons
