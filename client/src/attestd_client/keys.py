"""attestd's public keys as ``GET /v1/keys`` publishes them: Ed25519 keys in PEM.

``published_key`` picks, from a ``GET /v1/keys`` answer, the key with an
expected id, and only when it is published for verification summaries: the
id is recomputed from the PEM, never taken from the answer, so whoever serves
the answer cannot pass another key off as the expected one.

The file holds one ``PUBLIC KEY`` block: base64 of a DER SubjectPublicKeyInfo
(RFC 5280, 4.1) whose algorithm is id-Ed25519, OID 1.3.101.112, with no
parameters (RFC 8410, 3 and 4)::

    SEQUENCE {                      30 2a
      SEQUENCE { OID 1.3.101.112 }  30 05 06 03 2b 65 70
      BIT STRING, 0 unused bits     03 21 00  <32 bytes of the key>
    }

The small DER reader here reads exactly that much, strictly (definite, minimal
lengths; nothing after the structure), so that this distribution needs no
cryptography library; ``attestd_client.ed25519`` does the verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from attestd_client import ed25519

__all__ = ["SUMMARY_PURPOSE", "InvalidPublicKey", "PublicKey", "published_key"]

ED25519_OID = "1.3.101.112"
# The purpose GET /v1/keys gives the key that signs verification summaries.
SUMMARY_PURPOSE = "verification-summaries"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")
_SEQUENCE, _OID, _BIT_STRING = 0x30, 0x06, 0x03
# The DER SubjectPublicKeyInfo of an Ed25519 key, up to the key's 32 bytes.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


class InvalidPublicKey(ValueError):
    """The bytes given are not an Ed25519 public key in PEM; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key that verifies signatures, with the id attestd gives it."""

    raw: bytes = field(repr=False)
    """The 32-byte encoding of the key (RFC 8032, 5.1.5)."""

    def __post_init__(self) -> None:
        try:
            ed25519.check_public_key(self.raw)
        except ValueError as error:
            raise InvalidPublicKey(str(error)) from None

    @property
    def der(self) -> bytes:
        """The DER SubjectPublicKeyInfo of the key."""
        return _ED25519_SPKI_PREFIX + self.raw

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the DER SubjectPublicKeyInfo, as attestd (and Sigstore) name keys."""
        return hashlib.sha256(self.der).hexdigest()

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``data``."""
        return ed25519.verify(self.raw, data, signature)

    @classmethod
    def from_pem(cls, pem: bytes) -> PublicKey:
        """The key in ``pem``; ``InvalidPublicKey`` unless it is one Ed25519 public key."""
        blocks = _PEM_BLOCK.findall(pem)
        public = [body for label, body in blocks if label == b"PUBLIC KEY"]
        if not public:
            found = ", ".join(sorted({label.decode("ascii") for label, _ in blocks}))
            raise InvalidPublicKey(
                f"not a PEM public key: no PUBLIC KEY block (found {found or 'no PEM block'})"
            )
        if len(public) > 1:
            raise InvalidPublicKey("not a PEM public key: more than one PUBLIC KEY block")
        body = b"".join(public[0].split())
        if not _BASE64.fullmatch(body):
            raise InvalidPublicKey("not a PEM public key: the block is not base64")
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidPublicKey("not a PEM public key: the block is not base64") from None
        return cls(_ed25519_key(der))


def published_key(document: object, key_id: str) -> PublicKey:
    """The key of id ``key_id`` in a ``GET /v1/keys`` answer, published for verification summaries.

    ``InvalidPublicKey`` says why there is none: not such an answer, no key of
    that id (keys that do not parse are passed over), or one for other purposes.
    """
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidPublicKey("the answer is not GET /v1/keys's: it has no list of keys")
    published: list[str] = []
    for entry in entries:
        pem = entry.get("public_key_pem") if isinstance(entry, dict) else None
        try:
            key = PublicKey.from_pem(pem.encode("ascii")) if isinstance(pem, str) else None
        except (InvalidPublicKey, UnicodeEncodeError):
            key = None
        if key is None or key.key_id != key_id:
            published.append(key.key_id if key is not None else "(not an Ed25519 key)")
            continue
        purposes = entry.get("purposes")
        if not isinstance(purposes, list) or SUMMARY_PURPOSE not in purposes:
            said = ", ".join(str(p) for p in purposes) if isinstance(purposes, list) else "none"
            raise InvalidPublicKey(
                f"the key {key_id} is published for {said[:200]}, not for {SUMMARY_PURPOSE}"
            )
        return key
    raise InvalidPublicKey(
        f"no key of id {key_id} is published there (it lists {', '.join(published) or 'none'})"
    )


def _ed25519_key(der: bytes) -> bytes:
    """The 32 key bytes of an Ed25519 SubjectPublicKeyInfo in DER; else ``InvalidPublicKey``."""
    spki, rest = _element(der, _SEQUENCE, "the SubjectPublicKeyInfo")
    if rest:
        raise InvalidPublicKey("not a PEM public key: bytes follow the SubjectPublicKeyInfo")
    algorithm, after_algorithm = _element(spki, _SEQUENCE, "the algorithm")
    oid, parameters = _element(algorithm, _OID, "the algorithm's OID")
    if _dotted(oid) != ED25519_OID:
        raise InvalidPublicKey(
            f"the public key is not an Ed25519 key (its algorithm is {_dotted(oid)})"
        )
    if parameters:
        raise InvalidPublicKey("not a PEM public key: Ed25519 takes no algorithm parameters")
    bits, after_key = _element(after_algorithm, _BIT_STRING, "the key's BIT STRING")
    if after_key:
        raise InvalidPublicKey("not a PEM public key: bytes follow the key")
    if not bits or bits[0] != 0:
        raise InvalidPublicKey("not a PEM public key: the key's BIT STRING has unused bits")
    key = bits[1:]
    if len(key) != ed25519.PUBLIC_KEY_BYTES:
        raise InvalidPublicKey(
            f"the Ed25519 public key is {len(key)} bytes, not {ed25519.PUBLIC_KEY_BYTES}"
        )
    return key


def _element(data: bytes, tag: int, what: str) -> tuple[bytes, bytes]:
    """The content of the DER element of ``tag`` at the start of ``data``, and what follows."""
    malformed = InvalidPublicKey(f"not a PEM public key: {what} is not well-formed DER")
    if len(data) < 2 or data[0] != tag:
        raise malformed
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            raise malformed
        length = int.from_bytes(data[2 : 2 + count], "big")
        offset = 2 + count
        # DER: the long form only for 128 and more, in as few bytes as it takes.
        if length < 0x80 or data[2] == 0:
            raise malformed
    if len(data) < offset + length:
        raise malformed
    return data[offset : offset + length], data[offset + length :]


def _dotted(oid: bytes) -> str:
    """An OBJECT IDENTIFIER's content as dotted text (``?`` when it is not well-formed)."""
    if not oid or oid[-1] & 0x80:
        return "?"
    arcs: list[int] = []
    value = 0
    for byte in oid:
        if value == 0 and byte == 0x80:
            return "?"  # a non-minimal arc
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))
