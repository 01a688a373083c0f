"""Reading a signed verification summary (SLSA VSA v1) as attestd makes it.

A summary is an in-toto Statement v1 whose predicate is
``https://slsa.dev/verification_summary/v1``, wrapped in a DSSE envelope with
one Ed25519 signature over the DSSE pre-authentication encoding (PAE) of the
payload, by the key attestd publishes at ``GET /v1/keys``. ``open_summary`` is
the check anyone holding that key can run offline; attestd's server uses this
same function, so the client and the server refuse the same envelopes with the
same words.

The key is anything with a ``key_id`` and a ``verify(signature, data)``
(``VerifyingKey``): the client's ``keys.PublicKey``, or the server's own.

What the deploy gate was asked and answered travels in one extension field of
the predicate, ``GATE_FIELD``: the SLSA VSA v1 parsing rules let a producer add
fields whose names are URIs, and tell consumers to ignore fields they do not
know, so readers of plain VSAs are not disturbed by it::

    "urn:attestd:gate:v1": {"service", "environment", "requiredLevel", "level",
                            "policyVersion", "validUntil"}

Pure: plain values in, plain values out; ``VsaInvalid`` says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = [
    "GATE_FIELD",
    "PAYLOAD_TYPE",
    "STATEMENT_TYPE",
    "VSA_PREDICATE_TYPE",
    "VerifyingKey",
    "VsaInvalid",
    "open_summary",
    "pae",
]

VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
GATE_FIELD = "urn:attestd:gate:v1"
_ED25519_SIGNATURE_BYTES = 64
_DSSE_PREFIX = b"DSSEv1"


class VsaInvalid(ValueError):
    """A DSSE envelope that is not a VSA signed by the expected key; the message says why."""


class VerifyingKey(Protocol):
    """A public key that checks signatures, named by its key id."""

    @property
    def key_id(self) -> str: ...

    def verify(self, signature: bytes, data: bytes) -> bool: ...


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding: what is actually signed."""
    encoded_type = payload_type.encode("utf-8")
    return b" ".join(
        (
            _DSSE_PREFIX,
            str(len(encoded_type)).encode("ascii"),
            encoded_type,
            str(len(payload)).encode("ascii"),
            payload,
        )
    )


def open_summary(envelope: Mapping[str, Any], public_key: VerifyingKey) -> dict[str, Any]:
    """The VSA statement in ``envelope`` once its one signature checks out against ``public_key``.

    Fails closed: ``VsaInvalid`` for any other shape, payload type, key id,
    signature count, encoding or statement type. Unknown envelope fields are
    ignored, as DSSE requires.
    """
    if not isinstance(envelope, Mapping):
        raise VsaInvalid("the envelope is not a JSON object")
    payload_type = envelope.get("payloadType")
    if payload_type != PAYLOAD_TYPE:
        raise VsaInvalid(f"the payloadType is {payload_type!r:.80}, not {PAYLOAD_TYPE!r}")
    encoded_payload = envelope.get("payload")
    if not isinstance(encoded_payload, str):
        raise VsaInvalid("the envelope has no payload string")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1:
        count = len(signatures) if isinstance(signatures, list) else "no list of"
        raise VsaInvalid(f"the envelope must carry exactly one signature, not {count}")
    (entry,) = signatures
    if not isinstance(entry, Mapping):
        raise VsaInvalid("the signature is not a JSON object")
    key_id = entry.get("keyid")
    if key_id != public_key.key_id:
        raise VsaInvalid(f"the signature names the key {key_id!r:.80}, not {public_key.key_id!r}")
    encoded_signature = entry.get("sig")
    if not isinstance(encoded_signature, str):
        raise VsaInvalid("the signature has no sig string")
    payload = _base64_field(encoded_payload, "payload")
    signature = _base64_field(encoded_signature, "sig")
    if len(signature) != _ED25519_SIGNATURE_BYTES or not public_key.verify(
        signature, pae(PAYLOAD_TYPE, payload)
    ):
        raise VsaInvalid("the signature does not verify with the key")
    return _statement(payload)


def _base64_field(text: str, field: str) -> bytes:
    """Standard or URL-safe base64, both of which DSSE allows; anything else is refused."""
    url_safe = "-" in text or "_" in text
    if url_safe and ("+" in text or "/" in text):
        raise VsaInvalid(f"the {field} mixes the standard and URL-safe base64 alphabets")
    if url_safe:
        text = text.translate(str.maketrans("-_", "+/"))
    if "=" not in text:
        # URL-safe encoders often drop the padding; restore it before the strict decode.
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VsaInvalid(f"the {field} is not valid base64") from None


def _statement(payload: bytes) -> dict[str, Any]:
    try:
        statement = json.loads(payload, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as error:
        raise VsaInvalid(f"the payload is not JSON: {error}") from None
    if not isinstance(statement, dict):
        raise VsaInvalid("the payload is not a JSON object")
    if statement.get("_type") != STATEMENT_TYPE:
        raise VsaInvalid(f"the payload is not an in-toto Statement v1 ({STATEMENT_TYPE})")
    if statement.get("predicateType") != VSA_PREDICATE_TYPE:
        raise VsaInvalid(f"the statement's predicateType is not {VSA_PREDICATE_TYPE}")
    return statement


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key would let two readers see two different statements.
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return document
