"""Sigstore bundles as attestd accepts them: media type, hardened JSON, strict fields, kind. Pure.

``parse_bundle`` turns a request body and its Content-Type into a ``ParsedBundle``
holding sigstore-python's ``Bundle``, or raises one of::

    UnsupportedMediaType
    └── UnsupportedBundle   415 unsupported-bundle  not a bundle media type; a Content-Type
                                                    version the document contradicts
    BadRequest
    └── BundleMalformed     400 bundle-malformed    not JSON, not a bundle document, a field
                                                    that is not strict base64, DER or uint64
    InvalidRequest
    └── BundleRejected      422 bundle-rejected     a well-formed bundle attestd refuses;
                                                    ``reasons`` are "slug: human text"

Checked here, before sigstore-python sees the bytes, because it does not:

* every key is a protobuf JSON (lowerCamelCase) name of the bundle schema:
  sigstore-models also takes the snake_case names, so one field could appear twice
  under two spellings, and only one of them would be checked;
* every bytes field is canonical, padded, standard base64: sigstore-models decodes
  leniently and skips characters outside the alphabet;
* every uint64 is a string of ASCII digits (``int`` also takes "+1", " 1", "1_0");
* refusals that need no trust root (the 422 reasons below), so that a bundle
  sigstore-python cannot even load is refused with a reason rather than as malformed.

Parse-time reason slugs: ``root-in-chain``, ``no-tlog-entry``, ``tlog-entries``
(several), ``no-inclusion-proof`` (from bundle version 0.2 on), ``no-signed-time``,
``unsupported-entry-kind``, ``tlog-entry-malformed``, ``dsse-signatures``,
``message-digest``, ``integrated-time-future`` (out of range), ``invalid-bundle``
(any other refusal of sigstore-python's loader).

The bundle's shape decides its ``Route``: sigstore-python verifies bundles with a
certificate, a ``hashedrekord`` or ``dsse`` entry and an inclusion proof; attestd
verifies the others itself (a key hint instead of a certificate, an ``intoto``
entry, a v0.1 entry resting on its inclusion promise), and sigstore-python's
loader never sees them. Whether a v0.1 entry without a proof is acceptable is the
service policy's decision, made at verification.
"""

from __future__ import annotations

import binascii
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from pydantic import ValidationError
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, IncompatibleEntry, InvalidBundle

from app.digests import content_digest
from app.errors import AppError, BadRequest, InvalidRequest, UnsupportedMediaType
from app.media_types import MediaTypeError, parse_media_type
from app.strict_json import JsonRefused, parse_strict_json

# --- problems -------------------------------------------------------------------------


class UnsupportedBundle(UnsupportedMediaType):
    slug = "unsupported-bundle"
    title = "Unsupported bundle media type"


class BundleMalformed(BadRequest):
    slug = "bundle-malformed"
    title = "Bundle is not well-formed"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a bundle is refused: a stable slug and a short text for people."""

    slug: str
    text: str

    def __str__(self) -> str:
        return f"{self.slug}: {self.text}"


class BundleRejected(InvalidRequest):
    slug = "bundle-rejected"
    title = "Bundle failed verification"

    def __init__(self, reasons: Sequence[Reason], detail: str | None = None) -> None:
        super().__init__(
            detail or "The bundle was refused; see reasons.",
            reasons=[str(reason) for reason in reasons],
        )
        self.rejections = tuple(reasons)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(reason.slug for reason in self.rejections)


# What a route that takes a bundle declares, for problem_responses(*BUNDLE_PROBLEMS).
BUNDLE_PROBLEMS: tuple[type[AppError], ...] = (UnsupportedBundle, BundleMalformed, BundleRejected)

# --- media types ------------------------------------------------------------------------


class BundleMediaType(enum.StrEnum):
    """The bundle versions attestd accepts; 0.3 has two spellings."""

    V0_1 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
    V0_2 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
    V0_3 = "application/vnd.dev.sigstore.bundle.v0.3+json"
    V0_3_ALT = "application/vnd.dev.sigstore.bundle+json;version=0.3"

    @property
    def version(self) -> str:
        return "0.3" if self is BundleMediaType.V0_3 else self.value.rsplit("=", 1)[1]


class BundleKind(enum.StrEnum):
    """What a bundle signs; the value is the evidence kind attestd records."""

    MESSAGE_SIGNATURE = "signature"
    DSSE = "attestation"


_BUNDLE_JSON = "application/vnd.dev.sigstore.bundle+json"
_BUNDLE_V03_JSON = "application/vnd.dev.sigstore.bundle.v0.3+json"
_GENERIC_JSON = "application/json"
_VERSIONS = frozenset(media_type.version for media_type in BundleMediaType)
_ACCEPTED = (
    f"{_BUNDLE_JSON};version=0.1|0.2|0.3, {_BUNDLE_V03_JSON}, "
    f"{_GENERIC_JSON} (with the bundle's mediaType)"
)


# Reasons quote at most this much of anything a client sent.
_QUOTE_MAX = 80


def _quote(text: str) -> str:
    return repr(text if len(text) <= _QUOTE_MAX else text[:_QUOTE_MAX] + "…")


def _unsupported(reason: str) -> UnsupportedBundle:
    return UnsupportedBundle(
        "The request body is not a Sigstore bundle attestd accepts.",
        reasons=[reason, f"accepted Content-Types: {_ACCEPTED}"],
    )


def _malformed(reason: str, detail: str = "The bundle is not well-formed.") -> BundleMalformed:
    return BundleMalformed(detail, reasons=[reason])


def declared_version(content_type: str | None) -> str | None:
    """The bundle version a Content-Type names; None for plain JSON; else 415."""
    try:
        essence, parameters = parse_media_type(content_type)
    except MediaTypeError as error:
        raise _unsupported(str(error)) from None

    charset = parameters.pop("charset", None)
    if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
        raise _unsupported(f"charset {_quote(charset)} is not accepted; bundles are UTF-8")
    version = parameters.pop("version", None) if essence == _BUNDLE_JSON else None
    if parameters:
        names = ", ".join(sorted(_quote(name) for name in parameters))
        raise _unsupported(f"the Content-Type has parameters attestd does not know: {names}")

    if essence == _BUNDLE_V03_JSON:
        return "0.3"
    if essence == _BUNDLE_JSON:
        if version is None:
            # The version is then the document's own, checked below like plain JSON.
            return None
        if version not in _VERSIONS:
            raise _unsupported(f"bundle version {_quote(version)} is not supported")
        return version
    if essence == _GENERIC_JSON:
        return None
    raise _unsupported(f"Content-Type {_quote(essence)} is not a Sigstore bundle")


def _media_type(document: Mapping[str, Any], declared: str | None) -> BundleMediaType:
    media_type = document.get("mediaType")
    if not isinstance(media_type, str):
        raise _malformed("mediaType: a bundle names its media type in a string")
    try:
        found = BundleMediaType(media_type)
    except ValueError:
        raise _unsupported(f"mediaType {_quote(media_type)} is not a bundle version") from None
    if declared is not None and declared != found.version:
        raise _unsupported(
            f"the Content-Type says version {declared} but the bundle's mediaType is "
            f"version {found.version}"
        )
    return found


# --- the strict walk --------------------------------------------------------------------
#
# The bundle schema as protobuf JSON writes it (protobuf-specs Bundle v0.3, as
# sigstore-models 0.0.6 models it). A field is a leaf type or a nested shape; a
# one-element tuple is an array of that shape. A JSON null counts as an absent field,
# as in protobuf JSON.


class _Leaf(enum.Enum):
    TEXT = "string"
    BYTES = "base64"
    UINT64 = "uint64"


_Shape = _Leaf | dict[str, "_Shape"] | tuple["_Shape"]

_TEXT, _BYTES, _UINT64 = _Leaf.TEXT, _Leaf.BYTES, _Leaf.UINT64
_LOG_ENTRY: _Shape = {
    "logIndex": _UINT64,
    "logId": {"keyId": _BYTES},
    "kindVersion": {"kind": _TEXT, "version": _TEXT},
    "integratedTime": _UINT64,
    "inclusionPromise": {"signedEntryTimestamp": _BYTES},
    "inclusionProof": {
        "logIndex": _UINT64,
        "rootHash": _BYTES,
        "treeSize": _UINT64,
        "hashes": (_BYTES,),
        "checkpoint": {"envelope": _TEXT},
    },
    "canonicalizedBody": _BYTES,
}
BUNDLE_SHAPE: _Shape = {
    "mediaType": _TEXT,
    "verificationMaterial": {
        "publicKey": {"hint": _TEXT},
        "x509CertificateChain": {"certificates": ({"rawBytes": _BYTES},)},
        "certificate": {"rawBytes": _BYTES},
        "tlogEntries": (_LOG_ENTRY,),
        "timestampVerificationData": {"rfc3161Timestamps": ({"signedTimestamp": _BYTES},)},
    },
    "messageSignature": {
        "messageDigest": {"algorithm": _TEXT, "digest": _BYTES},
        "signature": _BYTES,
    },
    "dsseEnvelope": {
        "payload": _BYTES,
        "payloadType": _TEXT,
        "signatures": ({"sig": _BYTES, "keyid": _TEXT},),
    },
}

_UINT64_MAX = 2**64 - 1
_DIGITS = re.compile(r"[0-9]{1,20}", re.ASCII)
_NOT_BASE64 = "not canonical, padded, standard base64"


class _ShapeMismatch(Exception):
    """A value that does not match its shape: the problem, and the steps to it.

    The walk records where it is only when something is wrong: each level adds its
    step (a key or an index) as the mismatch passes through, innermost first.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.steps: list[str | int] = []

    @property
    def where(self) -> str:
        """The path as reasons spell it: ``verificationMaterial.tlogEntries[0].logIndex``."""
        where = ""
        for step in reversed(self.steps):
            if isinstance(step, int):
                where = f"{where}[{step}]"
            else:
                where = f"{where}.{step}" if where else step
        return where


def _canonical_base64(text: str) -> bytes:
    """The bytes of canonical, padded, standard base64 ``text``; else ``_ShapeMismatch``."""
    try:
        encoded = text.encode("ascii")
        data = binascii.a2b_base64(encoded, strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        raise _ShapeMismatch(_NOT_BASE64) from None
    # Only the canonical encoding: no stray bits in the last character.
    if binascii.b2a_base64(data, newline=False) != encoded:
        raise _ShapeMismatch(_NOT_BASE64)
    return data


def _decode(value: Any, shape: _Shape) -> Any:
    """``value`` checked against ``shape``, bytes decoded and integers read."""
    if value is None:
        return None
    if isinstance(shape, dict):
        return _decode_object(value, shape)
    if isinstance(shape, tuple):
        return _decode_array(value, shape[0])
    if not isinstance(value, str):
        raise _ShapeMismatch("must be a string")
    if shape is _BYTES:
        return _canonical_base64(value)
    if shape is _UINT64:
        if not _DIGITS.fullmatch(value) or int(value) > _UINT64_MAX:
            raise _ShapeMismatch("must be a decimal uint64 in a string")
        return int(value)
    return value


def _decode_object(value: Any, fields: dict[str, _Shape]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _ShapeMismatch("must be an object")
    decoded: dict[str, Any] = {}
    for key, item in value.items():
        inner = fields.get(key)
        if inner is None:
            raise _ShapeMismatch(f"unknown field {_quote(key)}")
        try:
            decoded[key] = _decode(item, inner)
        except _ShapeMismatch as mismatch:
            mismatch.steps.append(key)
            raise
    return decoded


def _decode_array(value: Any, element: _Shape) -> list[Any]:
    if not isinstance(value, list):
        raise _ShapeMismatch("must be an array")
    items: list[Any] = []
    for index, item in enumerate(value):
        try:
            items.append(_decode(item, element))
        except _ShapeMismatch as mismatch:
            mismatch.steps.append(index)
            raise
    return items


def _strict(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` checked against ``BUNDLE_SHAPE``, bytes decoded and integers read; else 400."""
    try:
        decoded: dict[str, Any] = _decode(document, BUNDLE_SHAPE)
    except _ShapeMismatch as mismatch:
        raise _malformed(f"{mismatch.where}: {mismatch.problem}") from None
    return decoded


# --- refusals that need no trust root ---------------------------------------------------

# Log entry (kind, version) pairs attestd verifies, per bundle kind; others are refused by name.
_ENTRY_KINDS: Mapping[BundleKind, frozenset[tuple[str, str]]] = {
    BundleKind.MESSAGE_SIGNATURE: frozenset({("hashedrekord", "0.0.1"), ("hashedrekord", "0.0.2")}),
    BundleKind.DSSE: frozenset(
        {("dsse", "0.0.1"), ("hashedrekord", "0.0.2"), ("intoto", "0.0.1"), ("intoto", "0.0.2")}
    ),
}
# The kinds attestd verifies itself (app.attestations.rekor); sigstore-python the others.
ATTESTD_ENTRY_KINDS = frozenset({("intoto", "0.0.1"), ("intoto", "0.0.2")})
# What a keyed bundle's entry may be: the kinds that record the key (no Rekor v2 yet).
_KEYED_ENTRY_KINDS = frozenset({("hashedrekord", "0.0.1"), ("dsse", "0.0.1"), *ATTESTD_ENTRY_KINDS})
_KIND_NAMES = {BundleKind.MESSAGE_SIGNATURE: "message signature", BundleKind.DSSE: "DSSE bundle"}
# Far beyond any real integrated time, and still within what datetime can hold.
_LATEST_TIME = int(datetime(9999, 1, 1, tzinfo=UTC).timestamp())


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """An entry's RFC 6962 inclusion proof and the signed checkpoint it leads to."""

    log_index: int
    root_hash: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class LogEntry:
    """The bundle's one transparency-log entry, as read (verified only by ``verify``)."""

    kind: str
    version: str
    log_index: int
    log_id: str  # hex
    integrated_time: datetime | None  # None for Rekor v2 entries, timed by a TSA instead
    body: bytes = b""  # the canonicalized body, as logged
    signed_entry_timestamp: bytes | None = None
    inclusion_proof: InclusionProof | None = None  # None: the entry rests on its SET


class Route(enum.Enum):
    """Who verifies a bundle's cryptography, decided by the bundle's shape alone."""

    SIGSTORE = "sigstore-python"  # a certificate, a hashedrekord or dsse entry, a proof
    ATTESTD = "attestd"  # a key, an intoto entry, or a v0.1 entry without a proof


@dataclass(frozen=True, slots=True)
class ParsedBundle:
    """A bundle that passed every check that needs no trust root."""

    digest: str  # sha256:<hex> of the bytes as received
    media_type: BundleMediaType
    kind: BundleKind
    bundle: Bundle | None  # sigstore-python's, on its route only
    certificate: x509.Certificate | None  # None: signed with a key (``key_hint``)
    log_entry: LogEntry
    message_digest: bytes | None  # message signatures: the SHA-256 the signature is over
    payload_type: str | None  # DSSE: as the envelope states it (verified by ``verify``)
    payload: bytes | None  # DSSE: the payload as the envelope carries it (likewise)
    signature: bytes = b""  # the message signature, or the envelope's one signature
    key_hint: str | None = None  # keyed bundles: the hint naming the key, as sent
    route: Route = Route.SIGSTORE


def _certificate_refusals(material: Mapping[str, Any]) -> list[Reason]:
    """A root CA carried in the chain."""
    reasons: list[Reason] = []
    chain = (material.get("x509CertificateChain") or {}).get("certificates") or []
    for index, item in enumerate(chain[1:], start=1):
        try:
            certificate = x509.load_der_x509_certificate((item or {}).get("rawBytes") or b"")
        except ValueError:
            raise _malformed(
                f"verificationMaterial.x509CertificateChain.certificates[{index}]: "
                "not a DER X.509 certificate"
            ) from None
        if certificate.subject == certificate.issuer:
            reasons.append(
                Reason(
                    "root-in-chain",
                    "the bundle's certificate chain carries a root CA; trust anchors come "
                    "from the trust root, never from the bundle",
                )
            )
    return reasons


def _entry_refusals(
    material: Mapping[str, Any], kind: BundleKind, version: BundleMediaType
) -> list[Reason]:
    """Not exactly one log entry; no inclusion proof after v0.1; a kind attestd cannot verify."""
    entries = material.get("tlogEntries") or []
    if not entries:
        return [Reason("no-tlog-entry", "the bundle has no transparency-log entry")]
    if len(entries) > 1:
        return [
            Reason(
                "tlog-entries",
                f"the bundle has {len(entries)} transparency-log entries; attestd verifies "
                "bundles with exactly one",
            )
        ]
    reasons: list[Reason] = []
    entry = entries[0] or {}
    if not _has_proof(entry) and version is not BundleMediaType.V0_1:
        reasons.append(
            Reason(
                "no-inclusion-proof",
                "the transparency-log entry has no inclusion proof with a signed checkpoint; "
                f"bundles of version {version.version} must carry one",
            )
        )
    kind_version = entry.get("kindVersion") or {}
    pair = (kind_version.get("kind"), kind_version.get("version"))
    # A missing kind or version is left to the schema check (400).
    if None not in pair and pair not in _ENTRY_KINDS[kind]:
        found = "/".join(_quote(str(part)) for part in pair)
        accepted = ", ".join(sorted("/".join(p) for p in _ENTRY_KINDS[kind]))
        reasons.append(
            Reason(
                "unsupported-entry-kind",
                f"a transparency-log entry of kind {found} is not supported in a "
                f"{_KIND_NAMES[kind]} (accepted: {accepted})",
            )
        )
    if (entry.get("integratedTime") or 0) > _LATEST_TIME:
        reasons.append(Reason("integrated-time-future", "the integrated time is out of range"))
    return reasons


def _has_proof(entry: Mapping[str, Any]) -> bool:
    return bool((entry.get("inclusionProof") or {}).get("checkpoint"))


def _signature_refusals(decoded: Mapping[str, Any], kind: BundleKind) -> list[Reason]:
    """Not exactly one DSSE signature; a message digest other than one SHA-256."""
    if kind is BundleKind.DSSE:
        signatures = decoded["dsseEnvelope"].get("signatures") or []
        if len(signatures) != 1:
            return [
                Reason(
                    "dsse-signatures",
                    f"a DSSE envelope must carry exactly one signature; this one has "
                    f"{len(signatures)}",
                )
            ]
        return []
    stated = decoded["messageSignature"].get("messageDigest") or {}
    digest = stated.get("digest")
    if stated.get("algorithm") != "SHA2_256" or digest is None or len(digest) != 32:
        return [
            Reason(
                "message-digest",
                "a message signature must state the SHA2_256 digest (32 bytes) it signs",
            )
        ]
    return []


def _refusals(
    decoded: Mapping[str, Any], kind: BundleKind, version: BundleMediaType
) -> list[Reason]:
    """What the document says that attestd refuses, before anything is verified."""
    material: Mapping[str, Any] = decoded["verificationMaterial"]
    return [
        *_certificate_refusals(material),
        *_entry_refusals(material, kind, version),
        *_signature_refusals(decoded, kind),
    ]


def _loader_refusal(error: SigstoreError) -> Reason:
    """A reason for what sigstore-python's ``Bundle`` refuses beyond ``_refusals``."""
    message = " ".join(str(error).split())
    if isinstance(error, IncompatibleEntry):
        return Reason("unsupported-entry-kind", "the transparency-log entry version is unsupported")
    if "inclusion promise" in message:
        return Reason(
            "no-signed-time",
            "the bundle has no inclusion promise (signed entry timestamp) or signed timestamp, "
            "so nothing proves when it was signed",
        )
    if "imestamp" in message:
        return Reason("timestamp-invalid", "the bundle's signed timestamps cannot be read")
    if "expected certificate" in message:
        return Reason("no-certificate", "the bundle carries no signing certificate")
    return Reason("invalid-bundle", message[:160])


def _schema_errors(error: ValidationError) -> list[str]:
    """Where sigstore-models' schema failed, without echoing the values."""
    reasons = []
    for item in error.errors(include_url=False, include_input=False, include_context=False)[:5]:
        where = ".".join(str(step) for step in item["loc"]) or "bundle"
        reasons.append(f"{where}: {item['msg']}")
    return reasons


def _load(content: bytes) -> Bundle:
    """sigstore-python's ``Bundle``: 400 when its schema fails, 422 when it refuses."""
    try:
        return Bundle.from_json(content)
    except InvalidBundle as error:
        # from_json raises InvalidBundle while handling the schema's ValidationError.
        if isinstance(error.__context__, ValidationError):
            raise BundleMalformed(
                "The bundle does not match the Sigstore bundle schema.",
                reasons=_schema_errors(error.__context__),
            ) from None
        raise BundleRejected([_loader_refusal(error)]) from None
    except SigstoreError as error:
        raise BundleRejected([_loader_refusal(error)]) from None
    except ValueError:
        # The leaf is decoded only here: bytes that are base64 but not DER.
        raise _malformed("verificationMaterial: the signing certificate is not DER X.509") from None


def parse_bundle(content: bytes, content_type: str | None) -> ParsedBundle:
    """The bundle in a request body, checked as far as it can be without a trust root."""
    declared = declared_version(content_type)
    try:
        document = parse_strict_json(content)
    except JsonRefused as refused:
        raise BundleMalformed(f"The bundle {refused.problem}.", reasons=[refused.reason]) from None
    if not isinstance(document, dict):
        raise _malformed("a bundle is a JSON object")
    media_type = _media_type(document, declared)
    decoded = _strict(document)
    if decoded.get("verificationMaterial") is None:
        raise _malformed("verificationMaterial: required")

    has_message = decoded.get("messageSignature") is not None
    has_envelope = decoded.get("dsseEnvelope") is not None
    if has_message == has_envelope:
        raise _malformed("a bundle carries exactly one of messageSignature and dsseEnvelope")
    kind = BundleKind.MESSAGE_SIGNATURE if has_message else BundleKind.DSSE

    material = decoded["verificationMaterial"]
    keyed = material.get("publicKey") is not None
    reasons = _refusals(decoded, kind, media_type)
    if reasons:  # among them, not exactly one log entry
        raise BundleRejected(reasons)
    entry = material["tlogEntries"][0]
    kind_version = entry.get("kindVersion") or {}
    pair = (kind_version.get("kind"), kind_version.get("version"))
    if keyed and (refusal := _keyed_refusal(material, pair)) is not None:
        raise BundleRejected([refusal])

    # A missing kind goes to sigstore-python's loader, whose schema names it (400).
    route = (
        Route.ATTESTD
        if keyed or pair in ATTESTD_ENTRY_KINDS or (None not in pair and not _has_proof(entry))
        else Route.SIGSTORE
    )
    if route is Route.SIGSTORE:
        loaded = _load(content)
        bundle: Bundle | None = loaded
        certificate: x509.Certificate | None = loaded.signing_certificate
    else:
        bundle, certificate = None, None if keyed else _leaf(material)
        if (
            not entry.get("canonicalizedBody")
            or not entry.get("integratedTime")
            or not (entry.get("inclusionPromise") or {}).get("signedEntryTimestamp")
        ):
            raise BundleRejected([_unlogged(entry)])

    # sigstore-python takes an integrated time of 0 for none at all; so does attestd.
    integrated = entry.get("integratedTime") or None
    payload: bytes | None = None
    if has_message:
        message = decoded["messageSignature"]
        message_digest, payload_type = message["messageDigest"]["digest"], None
        signature = message.get("signature") or b""
    else:
        envelope = decoded["dsseEnvelope"]
        message_digest, payload_type = None, envelope.get("payloadType")
        payload = envelope["payload"]
        signature = envelope["signatures"][0].get("sig") or b""
    return ParsedBundle(
        digest=content_digest(content),
        media_type=media_type,
        kind=kind,
        bundle=bundle,
        certificate=certificate,
        log_entry=LogEntry(
            kind=kind_version["kind"],
            version=kind_version["version"],
            log_index=entry["logIndex"],
            log_id=entry["logId"]["keyId"].hex(),
            integrated_time=None if integrated is None else datetime.fromtimestamp(integrated, UTC),
            body=entry.get("canonicalizedBody") or b"",
            signed_entry_timestamp=(entry.get("inclusionPromise") or {}).get(
                "signedEntryTimestamp"
            ),
            inclusion_proof=_proof(entry),
        ),
        message_digest=message_digest,
        payload_type=payload_type,
        payload=payload,
        signature=signature,
        key_hint=(material.get("publicKey") or {}).get("hint") if keyed else None,
        route=route,
    )


def _keyed_refusal(
    material: Mapping[str, Any], pair: tuple[str | None, str | None]
) -> Reason | None:
    """A key hint beside a certificate, or no entry kind (400); a kind that records no key."""
    if material.get("certificate") is not None or material.get("x509CertificateChain"):
        raise _malformed("verificationMaterial: a bundle carries a key hint or a certificate")
    if None in pair:
        raise _malformed("verificationMaterial.tlogEntries[0].kindVersion: required")
    if pair in _KEYED_ENTRY_KINDS:
        return None
    accepted = ", ".join(sorted("/".join(p) for p in _KEYED_ENTRY_KINDS))
    return Reason(
        "unsupported-entry-kind",
        f"a keyed bundle's log entry of kind {'/'.join(_quote(str(p)) for p in pair)} is not "
        f"supported (accepted: {accepted})",
    )


def _leaf(material: Mapping[str, Any]) -> x509.Certificate:
    """The signing certificate: v0.3's ``certificate``, or the first of an older chain."""
    single = material.get("certificate")
    chain = (material.get("x509CertificateChain") or {}).get("certificates") or []
    raw = (single or (chain[0] if chain else None) or {}).get("rawBytes")
    if not raw:
        raise _malformed("verificationMaterial: no signing certificate and no key hint")
    try:
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        raise _malformed("verificationMaterial: the signing certificate is not DER X.509") from None


def _unlogged(entry: Mapping[str, Any]) -> Reason:
    promise = (entry.get("inclusionPromise") or {}).get("signedEntryTimestamp")
    if not entry.get("integratedTime") or not promise:
        return Reason(
            "no-signed-time",
            "the log entry has no integrated time with its inclusion promise (signed entry "
            "timestamp), so nothing proves when it was signed",
        )
    return Reason("tlog-entry-malformed", "the log entry carries no canonicalized body")


def _proof(entry: Mapping[str, Any]) -> InclusionProof | None:
    proof = entry.get("inclusionProof") or {}
    checkpoint = (proof.get("checkpoint") or {}).get("envelope")
    if not checkpoint:
        return None
    return InclusionProof(
        log_index=proof.get("logIndex") or 0,
        root_hash=proof.get("rootHash") or b"",
        tree_size=proof.get("treeSize") or 0,
        hashes=tuple(proof.get("hashes") or ()),
        checkpoint=checkpoint,
    )
