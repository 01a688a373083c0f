"""Verification of a parsed bundle against trust roots and an identity policy; the receipt. Pure.

``verify`` hands the bundle to sigstore-python with each trust root in turn (the
first that verifies wins), or, for the shapes sigstore-python refuses (keyed
bundles, ``intoto`` and Rekor v2 ``dsse`` entries, v0.1 bundles resting on their
SET, timestamp-only bundles: ``Route.ATTESTD``), makes the same checks itself
(``app.attestations.certificates``, ``timestamps``, ``rekor``, ``dsse``); then it
makes the checks sigstore-python leaves to its caller: the DSSE payload type, the
in-toto statement (type, subjects, digests, predicate type), the artifact the
caller names, and a signing time that is not in the future. The receipt records
the signing time and what proved it (``TIME_PROOFS``). It returns ``Verified``
with its ``Receipt``, or raises ``BundleRejected`` (422) whose reasons are
"slug: text":

==========================  ===========================================================
slug                        meaning
==========================  ===========================================================
identity-mismatch           the certificate's identity is not allowed by the policy
untrusted-chain             the certificate does not chain to a CA of the trust root
expired-certificate         the certificate was not valid at a verified signing time
sct-invalid                 no valid SCT from a CT log of the trust root
certificate-usage           the certificate is not for code signing
inclusion-proof-invalid     the inclusion proof or its signed checkpoint does not verify
inclusion-promise-invalid   the signed entry timestamp does not verify
tlog-entry-mismatch         the log entry is another signature's (CVE-2022-36056 shape)
tlog-signature-mismatch     attestd's route: the log entry records another signature
tlog-verifier-mismatch      attestd's route: it records another certificate or key
tlog-entry-malformed        attestd's route: the body is not the kind it claims
checkpoint-invalid          attestd's route: the checkpoint is not the log's, or another tree
unknown-log                 attestd's route: no log of the trust root, valid then, has the id
no-inclusion-proof          a v0.1 entry on its SET alone, without the policy's opt-in
unknown-key                 a keyed bundle that no key of the policy verifies
unsupported-entry-kind      a log entry kind sigstore-python cannot verify
signature-invalid           the signature does not verify with the certificate's key
no-tlog-entry               no log entry, under a root that has a log (timestamp-only bundles
                            verify only under a root without one)
no-signed-time              nothing proves when the bundle was signed
timestamp-invalid           an RFC 3161 timestamp unreadable, or not verifying with its TSA
timestamp-untrusted         a timestamp from no timestamp authority of the trust root
timestamp-imprint-mismatch  a timestamp over something else than the bundle's signature
timestamp-outside-validity  a timestamp outside its authority's validFor (end included)
dsse-signatures             not exactly one DSSE signature
integrated-time-future      signed later than now plus the allowed clock skew
payload-type                the DSSE payload is not application/vnd.in-toto+json
statement-malformed         the payload is not a well-formed in-toto statement
statement-type              the statement's _type is not in-toto Statement v1 or v0.1
no-subjects                 the statement names no subject
subject-digest              a subject without a lower-case sha256 or sha512 hex digest
predicate-type              the predicate type is neither on the default allow-list nor
                            among the service policy's ``predicate_types``
subject-digest-mismatch     the caller's artifact is not what the bundle signs
invalid-bundle              any other refusal of sigstore-python's bundle checks
verification-failed         any other failure of verification
==========================  ===========================================================

sigstore-python 4.5 raises one ``VerificationError`` type for most failures, so
the slug is chosen from the exception's class and message (as measured with
4.5.1; an unknown message falls back to ``verification-failed``, still a
refusal), and policy failures are told apart by watching the policy itself.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from sigstore.dsse import InvalidEnvelope
from sigstore.errors import CertValidationError, VerificationError
from sigstore.errors import Error as SigstoreError
from sigstore.hashes import Hashed
from sigstore.models import IncompatibleEntry, InvalidBundle
from sigstore.verify import Verifier
from sigstore.verify.policy import UnsafeNoOp, VerificationPolicy
from sigstore_models.common.v1 import HashAlgorithm

from app.attestations import rekor
from app.attestations.bundles import BundleKind, BundleRejected, ParsedBundle, Reason, Route
from app.attestations.certificates import certificate_reasons
from app.attestations.dsse import (
    KeyRefused,
    PublicKey,
    accepted_key,
    pae,
    verifies,
    verifies_digest,
)
from app.attestations.timestamps import timestamp_reasons, verified_timestamps
from app.attestations.trust import TrustRoot, roots_digest
from app.policy.keys import KEY_ISSUER, TrustedKey, fingerprint
from app.strict_json import JsonRefused, parse_strict_json

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"}
)

# The predicate types attestd accepts by default: an exact list, so a new version is a
# decision. A service's policy may add others (``predicate_types``); verify() takes the union.
PREDICATE_TYPES: frozenset[str] = frozenset(
    {
        "https://slsa.dev/provenance/v0.2",
        "https://slsa.dev/provenance/v1",
        "https://slsa.dev/verification_summary/v1",
        "https://cyclonedx.org/bom",
        *(f"https://cyclonedx.org/bom/v1.{minor}" for minor in range(8)),
        "https://spdx.dev/Document",
        *(f"https://spdx.dev/Document/v2.{minor}" for minor in range(4)),
        "https://spdx.dev/Document/v3.0",
        "https://in-toto.io/attestation/test-result/v0.1",
        "https://in-toto.io/attestation/link/v0.3",
        "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
        # PEP 740: the publish attestation of every Trusted Publishing upload to PyPI.
        "https://docs.pypi.org/attestations/publish/v1",
        # GitHub's release attestation (an immutable release's tag, commit and assets).
        "https://in-toto.io/attestation/release/v0.1",
        # OpenVEX documents as predicates: the versioned type and the bare namespace.
        "https://openvex.dev/ns/v0.2.0",
        "https://openvex.dev/ns",
    }
)

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)
SIGSTORE_VERSION = importlib.metadata.version("sigstore")

# Subject digests attestd records, and the length of their lower-case hex.
_SUBJECT_DIGESTS = {"sha256": 64, "sha512": 128}
_LOWER_HEX = re.compile(r"[0-9a-f]+", re.ASCII)
# A statement reports at most this many faulty subjects.
_SUBJECT_REASONS_MAX = 5
_TEXT_MAX = 160
# An identity refusal says why each allowed signer refused, within this many characters.
_REFUSAL_MAX = 360

# --- Fulcio certificate extensions --------------------------------------------------------

_FULCIO = "1.3.6.1.4.1.57264.1."
_ISSUER_V1 = x509.ObjectIdentifier(_FULCIO + "1")  # raw bytes
_ISSUER_V2 = x509.ObjectIdentifier(_FULCIO + "8")  # DER UTF8String
_USERNAME = x509.ObjectIdentifier(_FULCIO + "7")  # an OtherName SAN
# Workload claims Fulcio copies from the OIDC token: (name, value is DER UTF8String).
# 1.2-1.6 are the deprecated raw forms, kept because older certificates have nothing else.
_CLAIMS: Mapping[x509.ObjectIdentifier, tuple[str, bool]] = {
    x509.ObjectIdentifier(_FULCIO + number): (name, der)
    for number, name, der in (
        ("2", "github_workflow_trigger", False),
        ("3", "github_workflow_sha", False),
        ("4", "github_workflow_name", False),
        ("5", "github_workflow_repository", False),
        ("6", "github_workflow_ref", False),
        ("9", "build_signer_uri", True),
        ("10", "build_signer_digest", True),
        ("11", "runner_environment", True),
        ("12", "source_repository_uri", True),
        ("13", "source_repository_digest", True),
        ("14", "source_repository_ref", True),
        ("15", "source_repository_identifier", True),
        ("16", "source_repository_owner_uri", True),
        ("17", "source_repository_owner_identifier", True),
        ("18", "build_config_uri", True),
        ("19", "build_config_digest", True),
        ("20", "build_trigger", True),
        ("21", "run_invocation_uri", True),
        ("22", "source_repository_visibility_at_signing", True),
    )
}
_UTF8_STRING_TAG = 0x0C


def _der_utf8_string(encoded: bytes) -> str | None:
    """The text of a DER UTF8String; None when ``encoded`` is not exactly one."""
    if len(encoded) < 2 or encoded[0] != _UTF8_STRING_TAG:
        return None
    length, offset = encoded[1], 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or len(encoded) < 2 + count:
            return None
        length, offset = int.from_bytes(encoded[2 : 2 + count], "big"), 2 + count
    if offset + length != len(encoded):
        return None
    try:
        return encoded[offset:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _raw_utf8(encoded: bytes) -> str | None:
    try:
        return encoded.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class Signer:
    """Who a Fulcio certificate names: SAN, OIDC issuer, workload claims."""

    subject: str | None
    issuer: str | None
    claims: dict[str, str]
    uri_subject: bool = False  # the SAN is a URI (a CI run), not an e-mail address or username


def signer_of(certificate: x509.Certificate) -> Signer:
    """The SAN, the OIDC issuer and the workload claims a Fulcio certificate carries."""
    subject: str | None = None
    uris: list[str] = []
    issuer_v1: str | None = None
    issuer_v2: str | None = None
    claims: dict[str, str] = {}
    for extension in certificate.extensions:
        value = extension.value
        if isinstance(value, x509.SubjectAlternativeName):
            uris = value.get_values_for_type(x509.UniformResourceIdentifier)
            names = [
                *uris,
                *value.get_values_for_type(x509.RFC822Name),
                *(
                    _der_utf8_string(other.value) or _raw_utf8(other.value)
                    for other in value.get_values_for_type(x509.OtherName)
                    if other.type_id == _USERNAME
                ),
            ]
            subject = next((name for name in names if name), None)
        elif not isinstance(value, x509.UnrecognizedExtension):
            continue
        elif extension.oid == _ISSUER_V2:
            issuer_v2 = _der_utf8_string(value.value)
        elif extension.oid == _ISSUER_V1:
            issuer_v1 = _raw_utf8(value.value)
        elif (claim := _CLAIMS.get(extension.oid)) is not None:
            name, der = claim
            text = _der_utf8_string(value.value) if der else _raw_utf8(value.value)
            if text is not None:
                claims[name] = text
    return Signer(
        subject=subject,
        issuer=issuer_v2 or issuer_v1,
        claims=claims,
        uri_subject=subject is not None and subject in uris,
    )


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """What attestd concluded about one bundle, stored with it."""

    verified: bool
    signer_subject: str  # the certificate's SAN
    signer_issuer: str  # the OIDC issuer
    claims: Mapping[str, str]  # Fulcio workload claims present (GitHub Actions and others)
    log_index: int | None  # None: a timestamp-only bundle, in no log
    log_id: str | None  # hex
    integrated_time: datetime | None  # None for entries timed by a TSA (Rekor v2)
    trust_root_source: str
    trust_root_digest: str
    trust_roots_digest: str  # the whole set of roots loaded (app.attestations.trust.roots_digest)
    policy_digest: str
    sigstore_version: str
    verified_at: datetime
    identity: int | None = None  # index of the policy identity that accepted the signer
    signer_kind: str | None = None  # "workload" or "person", as that policy says
    key_fingerprint: str | None = None  # keyed bundles: sha256 of the key's DER SPKI
    # When it was signed and what proved it (TIME_PROOFS); empty for receipts made before.
    signing_time: datetime | None = None
    time_proofs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The receipt as JSON-ready values (times in RFC 3339)."""
        return {
            "verified": self.verified,
            "signer": {
                "subject": self.signer_subject,
                "issuer": self.signer_issuer,
                "claims": dict(self.claims),
                "identity": self.identity,
                "kind": self.signer_kind,
                "key_fingerprint": self.key_fingerprint,
            },
            "tlog": {
                "log_index": self.log_index,
                "log_id": self.log_id,
                "integrated_time": (
                    None if self.integrated_time is None else self.integrated_time.isoformat()
                ),
            },
            "signing_time": {
                "time": None if self.signing_time is None else self.signing_time.isoformat(),
                "proven_by": list(self.time_proofs),
            },
            "trust_root": {"source": self.trust_root_source, "digest": self.trust_root_digest},
            "trust_roots_digest": self.trust_roots_digest,
            "policy_digest": self.policy_digest,
            "sigstore_version": self.sigstore_version,
            "verified_at": self.verified_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Subject:
    """An artifact a bundle speaks about: its name when stated, and its digest."""

    name: str | None
    digest: str  # sha256:<hex> or sha512:<hex>


@dataclass(frozen=True, slots=True)
class Verified:
    """A bundle that verified: what it signs, and the receipt."""

    kind: BundleKind
    subjects: tuple[Subject, ...]
    receipt: Receipt
    predicate_type: str | None = None  # DSSE only
    statement: Mapping[str, Any] | None = field(default=None, repr=False)  # DSSE only


# --- sigstore-python's failures, named --------------------------------------------------------


class _WatchedPolicy:
    """The identity policy, remembering whether it refused the certificate."""

    __slots__ = ("_policy", "refusal")

    def __init__(self, policy: VerificationPolicy) -> None:
        self._policy = policy
        self.refusal: str | None = None

    def verify(self, cert: x509.Certificate) -> None:
        try:
            self._policy.verify(cert)
        except Exception as error:  # noqa: BLE001 - a policy that cannot decide refuses
            # Longer than other texts: it says why each allowed signer refused.
            self.refusal = _one_line(error, _REFUSAL_MAX)
            raise VerificationError(self.refusal) from None


def _one_line(error: BaseException, most: int = _TEXT_MAX) -> str:
    return _clipped(" ".join(str(error).split()) or type(error).__name__, most)


def _clipped(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most] + "…"


# (part of sigstore-python 4.5.1's message, slug, text), first match wins.
_MESSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "failed to verify SCT",
        "sct-invalid",
        "the signing certificate has no valid SCT from a CT log of the trust root",
    ),
    ("Key usage", "certificate-usage", "the signing certificate is not for digital signatures"),
    ("Extended usage", "certificate-usage", "the signing certificate is not for code signing"),
    (
        "invalid log entry: SET",
        "inclusion-promise-invalid",
        "the log entry's signed entry timestamp does not verify with a log of the trust root",
    ),
    (
        "invalid log entry",
        "inclusion-proof-invalid",
        "the log entry's inclusion proof or signed checkpoint does not verify with a log of "
        "the trust root",
    ),
    ("expired at time of signing", "expired-certificate", ""),
    ("Integrated time only supported", "unsupported-entry-kind", ""),
    ("Unsupported DSSE log entry type", "unsupported-entry-kind", ""),
    ("Expected entry type", "unsupported-entry-kind", ""),
    ("Unsupported hashedrekord version", "unsupported-entry-kind", ""),
    (
        "Signature is invalid",
        "signature-invalid",
        "the signature does not verify with the certificate's key",
    ),
    (
        "DSSE: invalid signature",
        "signature-invalid",
        "the DSSE signature does not verify with the certificate's key",
    ),
    ("exactly 1 signature", "dsse-signatures", "a DSSE envelope must carry exactly one signature"),
    (
        "exactly one signature",
        "dsse-signatures",
        "a DSSE envelope must carry exactly one signature",
    ),
    (
        "message digest mismatch",
        "subject-digest-mismatch",
        "the signature is over another digest",
    ),
    (
        "log entry",
        "tlog-entry-mismatch",
        "the transparency-log entry records another signature or artifact than this bundle's",
    ),
    (
        "not enough sources of verified time",
        "no-signed-time",
        "nothing proves when the bundle was signed (no inclusion promise, no valid timestamp)",
    ),
    ("imestamp", "timestamp-invalid", "the bundle's signed timestamps cannot be verified"),
)


def _entry_kind_text(parsed: ParsedBundle) -> str:
    entry = parsed.log_entry
    if entry is None:
        return "a bundle without a transparency-log entry cannot be verified this way"
    return f"transparency-log entries of kind {entry.kind}/{entry.version} cannot be verified"


def _validity_text(parsed: ParsedBundle) -> str | None:
    """Why the leaf was not valid at the integrated time; None when it was (or no time)."""
    moment = None if parsed.log_entry is None else parsed.log_entry.integrated_time
    certificate = _certificate(parsed)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if moment is None or start <= moment <= end:
        return None
    return (
        f"the signing certificate (valid {start.isoformat()} to {end.isoformat()}) was not "
        f"valid at the integrated time {moment.isoformat()}"
    )


def _computed_text(slug: str, parsed: ParsedBundle) -> str:
    """The text of a reason whose words depend on the bundle."""
    if slug == "unsupported-entry-kind":
        return _entry_kind_text(parsed)
    return _validity_text(parsed) or "the signing certificate was not valid when it was used"


def _identity_mismatch(certificate: x509.Certificate, refusal: str) -> Reason:
    signer = signer_of(certificate)
    text = (
        f"the signer {signer.subject!r} (issuer {signer.issuer!r}) is not allowed by the "
        f"identity policy: {refusal}"
    )
    return Reason("identity-mismatch", _clipped(text, _REFUSAL_MAX))


def _failure(  # noqa: PLR0911 - one return per kind of failure, read top to bottom
    error: Exception, parsed: ParsedBundle, policy: _WatchedPolicy
) -> Reason:
    """The reason sigstore-python's ``error`` stands for."""
    if policy.refusal is not None:
        return _identity_mismatch(_certificate(parsed), policy.refusal)
    if isinstance(error, CertValidationError):
        expired = _validity_text(parsed)
        if expired is not None:
            return Reason("expired-certificate", expired)
        return Reason(
            "untrusted-chain",
            "the signing certificate does not chain to a certificate authority of the trust root",
        )
    if isinstance(error, InvalidEnvelope):
        return Reason("dsse-signatures", "a DSSE envelope must carry exactly one signature")
    if isinstance(error, IncompatibleEntry):
        return Reason("unsupported-entry-kind", _entry_kind_text(parsed))
    if isinstance(error, InvalidBundle):
        return Reason("invalid-bundle", _one_line(error))
    if isinstance(error, VerificationError):
        message = str(error)
        for part, slug, text in _MESSAGES:
            if part in message:
                return Reason(slug, text or _computed_text(slug, parsed))
    if isinstance(error, SigstoreError):
        return Reason("verification-failed", _one_line(error))
    return Reason("verification-failed", f"{type(error).__name__}: {_one_line(error)}")


# --- the in-toto statement --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Statement:
    subjects: tuple[Subject, ...]
    predicate_type: str | None
    document: Mapping[str, Any] | None
    reasons: tuple[Reason, ...]


def _subject_digests(item: Any, index: int, reasons: list[Reason]) -> dict[str, str] | None:
    """The sha256/sha512 digests of one subject, all well-formed; else a reason and None."""
    digest = item.get("digest")
    if not isinstance(digest, dict):
        reasons.append(Reason("subject-digest", f"subject {index} has no digest object"))
        return None
    found: dict[str, str] = {}
    for algorithm, length in _SUBJECT_DIGESTS.items():
        if algorithm not in digest:
            continue
        value = digest[algorithm]
        if not (isinstance(value, str) and len(value) == length and _LOWER_HEX.fullmatch(value)):
            reasons.append(
                Reason(
                    "subject-digest",
                    f"subject {index}: the {algorithm} digest is not {length} lower-case hex "
                    "digits",
                )
            )
            return None
        found[algorithm] = value
    if not found:
        reasons.append(Reason("subject-digest", f"subject {index} has no sha256 or sha512 digest"))
        return None
    return found


def _statement(  # noqa: PLR0912 - one check after another, in the order they are reported
    payload_type: str,
    payload: bytes,
    artifact: str | None,
    predicate_types: Set[str],
) -> _Statement:
    """The subjects and predicate type of a verified DSSE payload, or the reasons it fails."""
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        reason = Reason(
            "payload-type",
            f"the DSSE payload type is {payload_type[:_TEXT_MAX]!r}, not {IN_TOTO_PAYLOAD_TYPE}",
        )
        return _Statement((), None, None, (reason,))
    try:
        document = parse_strict_json(payload)
    except JsonRefused as refused:
        text = f"the statement {refused.problem}: {refused.reason}"[:_TEXT_MAX]
        return _Statement((), None, None, (Reason("statement-malformed", text),))
    if not isinstance(document, dict):
        reason = Reason("statement-malformed", "the statement is not a JSON object")
        return _Statement((), None, None, (reason,))

    reasons: list[Reason] = []
    statement_type = document.get("_type")
    if statement_type not in STATEMENT_TYPES:
        shown = repr(statement_type)[:_TEXT_MAX]
        reasons.append(
            Reason("statement-type", f"_type {shown} is not in-toto Statement v1 or v0.1")
        )

    predicate_type = document.get("predicateType")
    if not isinstance(predicate_type, str):
        reasons.append(Reason("predicate-type", "the statement has no predicateType string"))
        predicate_type = None
    elif predicate_type not in predicate_types:
        reasons.append(
            Reason(
                "predicate-type",
                f"predicate type {predicate_type[:_TEXT_MAX]!r} is neither on attestd's "
                "allow-list nor among the predicate_types of the service's policy",
            )
        )
    if not isinstance(document.get("predicate", {}), dict | None):
        reasons.append(Reason("statement-malformed", "the predicate is not a JSON object"))

    items = document.get("subject")
    subjects: list[Subject] = []
    digests: set[str] = set()
    if items is None or items == []:
        reasons.append(Reason("no-subjects", "the statement names no subject"))
    elif not isinstance(items, list):
        reasons.append(Reason("statement-malformed", "subject is not an array"))
    else:
        subject_reasons: list[Reason] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                subject_reasons.append(
                    Reason("statement-malformed", f"subject {index} is not an object")
                )
                continue
            name = item.get("name")
            if name is not None and not isinstance(name, str):
                subject_reasons.append(
                    Reason("statement-malformed", f"subject {index}: name is not a string")
                )
                continue
            found = _subject_digests(item, index, subject_reasons)
            if found is None:
                continue
            digests.update(f"{algorithm}:{value}" for algorithm, value in found.items())
            # One digest per subject on record: SHA-256 when the statement gives it.
            algorithm = "sha256" if "sha256" in found else "sha512"
            subjects.append(Subject(name=name, digest=f"{algorithm}:{found[algorithm]}"))
        reasons.extend(subject_reasons[:_SUBJECT_REASONS_MAX])

    if artifact is not None and subjects and artifact not in digests:
        reasons.append(
            Reason("subject-digest-mismatch", f"no subject of the statement has digest {artifact}")
        )
    return _Statement(tuple(subjects), predicate_type, document, tuple(reasons))


# --- sigstore-python's route -------------------------------------------------------------------


def _certificate(parsed: ParsedBundle) -> x509.Certificate:
    if parsed.certificate is None:
        raise ValueError("a keyed bundle has no certificate")
    return parsed.certificate


def _message_digest(parsed: ParsedBundle) -> bytes:
    if parsed.message_digest is None:
        raise ValueError("a message-signature bundle without its digest: not from parse_bundle")
    return parsed.message_digest


_NO_LOG_IN_ROOT = Reason(
    "inclusion-proof-invalid",
    "the trust root lists no transparency log to verify the bundle's log entry with",
)


def _attempt(
    parsed: ParsedBundle, verifier: Verifier, policy: VerificationPolicy
) -> tuple[str, bytes] | None:
    """sigstore-python's verification with one root: the DSSE (type, payload), or None."""
    if parsed.bundle is None:
        raise ValueError("a bundle on attestd's own route: not for sigstore-python")
    if parsed.kind is BundleKind.DSSE:
        return verifier.verify_dsse(parsed.bundle, policy)
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=_message_digest(parsed))
    verifier.verify_artifact(hashed, parsed.bundle, policy)
    return None


def _timestamp_failure(reason: Reason, parsed: ParsedBundle, root: TrustRoot) -> Reason:
    """sigstore-python's "no verified time" told apart: why each timestamp was refused."""
    if reason.slug not in {"no-signed-time", "timestamp-invalid"} or not parsed.timestamps:
        return reason
    found = verified_timestamps(parsed.timestamps, parsed.signature, root.timestamp_authorities)
    reasons = timestamp_reasons(found)
    return reasons[0] if reasons else reason


def _first_verifying_root(
    parsed: ParsedBundle, trust_roots: Sequence[TrustRoot], policy: VerificationPolicy
) -> tuple[TrustRoot, tuple[str, bytes] | None]:
    """The first root that verifies ``parsed`` and the DSSE payload; else every root's reason."""
    failures: list[Reason] = []
    for root in trust_roots:
        if root.verifier is None:
            failures.append(_NO_LOG_IN_ROOT)
            continue
        watched = _WatchedPolicy(policy)
        try:
            return root, _attempt(parsed, root.verifier, watched)
        # Anything sigstore-python or the libraries under it raise on hostile input is a
        # refusal with a reason, never a server error.
        except Exception as error:  # noqa: BLE001
            failures.append(_timestamp_failure(_failure(error, parsed, watched), parsed, root))
    if len(trust_roots) > 1:
        failures = [
            Reason(reason.slug, f"{reason.text} (trust root {root.digest[:19]})")
            for reason, root in zip(failures, trust_roots, strict=True)
        ]
    raise BundleRejected(failures)


# --- when it was signed --------------------------------------------------------------------------

# What proves a signing time, as receipts name it: the integrated time of a log entry
# with its inclusion proof (and its SET, when the log gives one), the SET alone (v0.1
# bundles, by opt-in), an RFC 3161 timestamp of a timestamp authority of the trust root.
INTEGRATED_TIME = "integrated-time"
INCLUSION_PROMISE = "inclusion-promise"
TIMESTAMP_AUTHORITY = "timestamp-authority"
TIME_PROOFS = (INTEGRATED_TIME, INCLUSION_PROMISE, TIMESTAMP_AUTHORITY)


@dataclass(frozen=True, slots=True)
class _SigningTime:
    """The verified times of a bundle (the certificate must hold at each) and their proofs."""

    times: tuple[datetime, ...]
    proofs: tuple[str, ...]

    @property
    def earliest(self) -> datetime:
        return min(self.times)


def _entry_time(parsed: ParsedBundle) -> tuple[datetime, str] | None:
    """The log entry's integrated time and what vouches for it (checked with the entry).

    As in sigstore-python, an integrated time counts only with its signed entry
    timestamp: nothing else binds it to the entry.
    """
    entry = parsed.log_entry
    if entry is None or entry.integrated_time is None or entry.signed_entry_timestamp is None:
        return None
    proof = INTEGRATED_TIME if entry.inclusion_proof is not None else INCLUSION_PROMISE
    return entry.integrated_time, proof


def _signing_time(parsed: ParsedBundle, root: TrustRoot) -> _SigningTime | list[Reason]:
    """Every time proven for ``parsed`` under ``root``; else why none is.

    A timestamp that does not verify is passed over when another proof stands, as
    sigstore-python and sigstore-go do: it proves nothing, and takes nothing away.
    """
    times: list[datetime] = []
    proofs: list[str] = []
    reasons: list[Reason] = []
    if parsed.timestamps:
        found = verified_timestamps(parsed.timestamps, parsed.signature, root.timestamp_authorities)
        times.extend(stamp.time for stamp in found.verified)
        proofs.extend([TIMESTAMP_AUTHORITY] if found.verified else [])
        reasons.extend(found.reasons)
    entry_time = _entry_time(parsed)
    if entry_time is not None:
        times.append(entry_time[0])
        proofs.append(entry_time[1])
    if times:
        return _SigningTime(tuple(times), tuple(proofs))
    return reasons or [Reason("no-signed-time", "nothing proves when the bundle was signed")]


def _sigstore_signing_time(parsed: ParsedBundle, root: TrustRoot) -> _SigningTime:
    """The times sigstore-python verified for ``parsed`` under ``root``, to record them.

    attestd checks them again: where the two disagree, the bundle is refused.
    """
    found = _signing_time(parsed, root)
    if isinstance(found, list):
        raise BundleRejected(found)
    return found


# --- the shapes attestd verifies itself --------------------------------------------------------

# The service policy's opt-in for v0.1 bundles that rest on their inclusion promise alone.
INCLUSION_PROMISE_OPTION = "allow_v01_inclusion_promise"
# A refusal quotes at most this much of a keyed bundle's hint.
_HINT_MAX = 60


@dataclass(frozen=True, slots=True)
class _Checked:
    """Who signed a bundle that attestd verified itself: the certificate, or a policy key."""

    signer: Signer
    signing_time: _SigningTime
    key: TrustedKey | None = None


def _signature_verifies(parsed: ParsedBundle, key: PublicKey) -> bool:
    """The bundle's signature over its PAE (DSSE) or its message digest, with ``key``."""
    if parsed.kind is BundleKind.DSSE:
        return verifies(key, parsed.signature, pae(*_envelope(parsed)))
    return verifies_digest(key, parsed.signature, _message_digest(parsed))


def _policy_key(parsed: ParsedBundle, keys: Sequence[TrustedKey]) -> TrustedKey | Reason:
    """The key of the policy that verifies a keyed bundle's signature; else ``unknown-key``."""
    for key in keys:
        if _signature_verifies(parsed, key.public_key()):
            return key
    return _unknown_key(parsed)


def _unknown_key(parsed: ParsedBundle) -> Reason:
    hint = (parsed.key_hint or "")[:_HINT_MAX]
    return Reason(
        "unknown-key",
        f"no key of the service's policy verifies the signature (the bundle's key hint is "
        f"{hint!r}); an admin lists the keys a service trusts in its policy's keys",
    )


def _log_reasons(
    parsed: ParsedBundle,
    root: TrustRoot,
    verifier: rekor.Verifier,
    signing_time: _SigningTime,
    *,
    allow_promise: bool,
) -> list[Reason]:
    """The log entry: its log, its body against the bundle, its SET, its proof or the opt-in."""
    entry = parsed.log_entry
    if entry is None:
        return []  # timestamp-only, under a root without a log (``_check_with_root``)
    promised = entry.integrated_time is not None and entry.signed_entry_timestamp is not None
    key = rekor.log_for(
        entry, root.tlogs, entry.integrated_time if promised else signing_time.earliest
    )
    if isinstance(key, Reason):
        return [key]
    recorded = rekor.read_body(entry)
    reasons = (
        [recorded]
        if isinstance(recorded, Reason)
        else rekor.body_reasons(
            recorded,
            signature=parsed.signature,
            verifier=verifier,
            payload=parsed.payload,
            payload_type=parsed.payload_type,
            message_digest=parsed.message_digest,
        )
    )
    # The SET is what vouches for the integrated time: checked whenever it is there. An
    # entry without one (Rekor v2) is timed by a timestamp authority; its proof is required.
    if entry.signed_entry_timestamp is not None:
        reasons.extend(rekor.promise_reasons(entry, key))
    if entry.inclusion_proof is not None or not promised:
        reasons.extend(rekor.proof_reasons(entry, key))
    elif not allow_promise:
        reasons.append(
            Reason(
                "no-inclusion-proof",
                "this v0.1 bundle's log entry has an inclusion promise (SET) and no inclusion "
                f"proof; the service's policy accepts that only with {INCLUSION_PROMISE_OPTION}",
            )
        )
    return reasons


def _certificate_checks(
    parsed: ParsedBundle,
    certificate: x509.Certificate,
    root: TrustRoot,
    policy: VerificationPolicy,
    signing_time: _SigningTime,
) -> list[Reason]:
    """The certificate: chain, SCT and usage at each signing time; identity; the signature."""
    reasons: list[Reason] = []
    for moment in sorted(set(signing_time.times)):
        found = certificate_reasons(
            certificate, authorities=root.authorities, ct_logs=root.ct_logs, moment=moment
        )
        reasons.extend(reason for reason in found if reason not in reasons)
    watched = _WatchedPolicy(policy)
    try:
        watched.verify(certificate)
    except VerificationError:
        reasons.append(_identity_mismatch(certificate, watched.refusal or "refused"))
    try:
        key = accepted_key(certificate.public_key())
    except KeyRefused as refused:
        reasons.append(Reason("signature-invalid", f"the certificate's key: {refused}"))
    else:
        if not _signature_verifies(parsed, key):
            reasons.append(
                Reason(
                    "signature-invalid", "the signature does not verify with the certificate's key"
                )
            )
    return reasons


def _check_with_root(
    parsed: ParsedBundle,
    root: TrustRoot,
    policy: VerificationPolicy | None,
    keys: Sequence[TrustedKey],
    *,
    allow_promise: bool,
) -> _Checked | list[Reason]:
    """What attestd checks itself for a bundle on its route, with one trust root."""
    if parsed.log_entry is None and root.tlogs:
        return [_NO_ENTRY_UNDER_A_LOG]
    signing_time = _signing_time(parsed, root)
    if isinstance(signing_time, list):
        return signing_time
    if parsed.certificate is not None:
        if policy is None:
            raise ValueError("a certificate bundle is verified against an identity policy")
        reasons = _certificate_checks(parsed, parsed.certificate, root, policy, signing_time)
        reasons += _log_reasons(
            parsed, root, parsed.certificate, signing_time, allow_promise=allow_promise
        )
        return reasons or _Checked(signer_of(parsed.certificate), signing_time)
    key = _policy_key(parsed, keys)
    if isinstance(key, Reason):
        return [key]
    public_key = key.public_key()
    # A key the policy names vouches for its publisher's bundles as they were made: the npm
    # registry's publish attestations are v0.1 bundles resting on their SET, which is still
    # verified. Certificates need the policy's opt-in (``INCLUSION_PROMISE_OPTION``).
    reasons = _log_reasons(parsed, root, public_key, signing_time, allow_promise=True)
    signer = Signer(subject=key.name, issuer=KEY_ISSUER, claims={})
    return reasons or _Checked(signer, signing_time, key)


# A bundle without an entry (timestamp-only) is checked only against a root without a
# log: one that has a log refuses it, as sigstore-python refuses every such bundle.
_NO_ENTRY_UNDER_A_LOG = Reason(
    "no-tlog-entry",
    "the bundle has no transparency-log entry and this trust root has a log: its signatures "
    "must show their entry",
)


def _first_root_checking(
    parsed: ParsedBundle,
    trust_roots: Sequence[TrustRoot],
    policy: VerificationPolicy | None,
    keys: Sequence[TrustedKey],
    *,
    allow_promise: bool,
) -> tuple[TrustRoot, _Checked]:
    """The first root under which attestd's own checks pass; else every root's reasons."""
    failures: list[list[Reason]] = []
    for root in trust_roots:
        checked = _check_with_root(parsed, root, policy, keys, allow_promise=allow_promise)
        if isinstance(checked, _Checked):
            return root, checked
        failures.append(checked)
    if len(trust_roots) == 1:
        raise BundleRejected(failures[0])
    raise BundleRejected(
        [
            Reason(reason.slug, f"{reason.text} (trust root {root.digest[:19]})")
            for reasons, root in zip(failures, trust_roots, strict=True)
            for reason in reasons
        ]
    )


# --- verification -------------------------------------------------------------------------------


def _time_reasons(
    signing_time: _SigningTime, now: datetime, max_clock_skew: timedelta
) -> list[Reason]:
    """sigstore-python checks the signing times against the certificate, never the clock."""
    latest = max(signing_time.times)
    if latest <= now + max_clock_skew:
        return []
    return [
        Reason(
            "integrated-time-future",
            f"the signing time {latest.isoformat()} ({', '.join(signing_time.proofs)}) is later "
            f"than now ({now.astimezone(UTC).isoformat()}) plus {max_clock_skew}",
        )
    ]


def _what_is_signed(
    parsed: ParsedBundle,
    envelope: tuple[str, bytes] | None,
    artifact: str | None,
    predicate_types: Set[str],
) -> _Statement:
    """The subjects a verified bundle signs, with the reasons its statement fails."""
    if envelope is not None:
        return _statement(*envelope, artifact, predicate_types)
    digest = "sha256:" + _message_digest(parsed).hex()
    reasons: tuple[Reason, ...] = ()
    if artifact is not None and artifact != digest:
        reasons = (Reason("subject-digest-mismatch", f"the bundle signs {digest}, not {artifact}"),)
    return _Statement((Subject(None, digest),), None, None, reasons)


def verify(
    parsed: ParsedBundle,
    *,
    trust_roots: Sequence[TrustRoot],
    policy: VerificationPolicy | None,
    policy_digest: str,
    artifact: str | None,
    now: datetime,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    predicate_types: Set[str] = PREDICATE_TYPES,
    keys: Sequence[TrustedKey] = (),
    allow_v01_inclusion_promise: bool = False,
) -> Verified:
    """Verify ``parsed`` offline; ``artifact`` (a normalised digest) must be what it signs.

    Certificate bundles are verified against the identity ``policy``, keyed bundles
    against ``keys`` (the policy's trusted keys) alone. Raises ``BundleRejected``
    with every reason found; never returns an unverified result.
    """
    if not trust_roots:
        raise ValueError("verification needs at least one trust root")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(policy, UnsafeNoOp):
        raise BundleRejected(
            [Reason("identity-mismatch", "a policy that allows any signer is refused")]
        )

    key: TrustedKey | None = None
    if parsed.route is Route.SIGSTORE:
        if policy is None or parsed.certificate is None:
            raise ValueError("sigstore-python verifies certificate bundles against a policy")
        verified_by, envelope = _first_verifying_root(parsed, trust_roots, policy)
        signer = signer_of(parsed.certificate)
        signing_time = _sigstore_signing_time(parsed, verified_by)
    else:
        verified_by, checked = _first_root_checking(
            parsed, trust_roots, policy, keys, allow_promise=allow_v01_inclusion_promise
        )
        signer, key, signing_time = checked.signer, checked.key, checked.signing_time
        envelope = _envelope(parsed) if parsed.kind is BundleKind.DSSE else None
    reasons = _time_reasons(signing_time, now, max_clock_skew)
    found = _what_is_signed(parsed, envelope, artifact, predicate_types)
    reasons.extend(found.reasons)

    subject, issuer = signer.subject, signer.issuer
    if subject is None or issuer is None:
        reasons.append(
            Reason("identity-mismatch", "the signing certificate names no signer or no issuer")
        )
    if reasons or subject is None or issuer is None:
        raise BundleRejected(reasons)

    entry = parsed.log_entry
    receipt = Receipt(
        verified=True,
        signer_subject=subject,
        signer_issuer=issuer,
        claims=signer.claims,
        log_index=None if entry is None else entry.log_index,
        log_id=None if entry is None else entry.log_id,
        integrated_time=None if entry is None else entry.integrated_time,
        trust_root_source=verified_by.source,
        trust_root_digest=verified_by.digest,
        trust_roots_digest=roots_digest(trust_roots),
        policy_digest=policy_digest,
        sigstore_version=SIGSTORE_VERSION,
        verified_at=now,
        key_fingerprint=None if key is None else fingerprint(key.public_key()),
        signing_time=signing_time.earliest,
        time_proofs=signing_time.proofs,
    )
    return Verified(
        kind=parsed.kind,
        subjects=found.subjects,
        receipt=receipt,
        predicate_type=found.predicate_type,
        statement=found.document,
    )


def verify_policy_again(
    parsed: ParsedBundle,
    earlier: Receipt,
    *,
    policy: VerificationPolicy | None,
    policy_digest: str,
    now: datetime,
    predicate_types: Set[str] = PREDICATE_TYPES,
    keys: Sequence[TrustedKey] = (),
    allow_v01_inclusion_promise: bool = False,
) -> Verified:
    """``parsed`` judged again under another policy, without its cryptography.

    For a bundle whose ``earlier`` receipt verified it under the trust roots still
    loaded (``earlier.trust_roots_digest`` is the digest of those roots): the
    signatures, chain, SCT and log proofs cannot have changed, so only what the
    policy decides is checked again: the signer's identity (or, for a keyed bundle,
    that the policy still lists its key), the opt-in of a bundle resting on its
    inclusion promise, and the statement. The receipt keeps the earlier log and
    trust-root facts with the new policy digest. Raises ``BundleRejected`` like
    ``verify``; the caller holds to the precondition.
    """
    if not earlier.verified:
        raise ValueError("only a verified receipt can be judged again without cryptography")
    if isinstance(policy, UnsafeNoOp):
        raise BundleRejected(
            [Reason("identity-mismatch", "a policy that allows any signer is refused")]
        )
    reasons: list[Reason] = []
    receipt = replace(earlier, policy_digest=policy_digest, verified_at=now)
    if parsed.certificate is not None:
        if policy is None:
            raise ValueError("a certificate bundle is judged against an identity policy")
        watched = _WatchedPolicy(policy)
        try:
            watched.verify(parsed.certificate)
        except VerificationError:
            reasons.append(_identity_mismatch(parsed.certificate, watched.refusal or "refused"))
    else:
        key = next(
            (k for k in keys if fingerprint(k.public_key()) == earlier.key_fingerprint), None
        )
        if key is None:
            reasons.append(_unknown_key(parsed))
        else:
            receipt = replace(receipt, signer_subject=key.name)
    if (
        parsed.route is Route.ATTESTD
        and parsed.certificate is not None
        and parsed.log_entry is not None
        and parsed.log_entry.inclusion_proof is None
        and not allow_v01_inclusion_promise
    ):
        reasons.append(
            Reason(
                "no-inclusion-proof",
                "this v0.1 bundle rests on its inclusion promise (SET) alone; the service's "
                f"policy accepts that only with {INCLUSION_PROMISE_OPTION}",
            )
        )
    found = _what_is_signed(
        parsed,
        None if parsed.kind is not BundleKind.DSSE else _envelope(parsed),
        None,
        predicate_types,
    )
    reasons.extend(found.reasons)
    if reasons:
        raise BundleRejected(reasons)
    return Verified(
        kind=parsed.kind,
        subjects=found.subjects,
        receipt=receipt,
        predicate_type=found.predicate_type,
        statement=found.document,
    )


def _envelope(parsed: ParsedBundle) -> tuple[str, bytes]:
    if parsed.payload_type is None or parsed.payload is None:
        raise ValueError("a DSSE bundle without its payload: not from parse_bundle")
    return parsed.payload_type, parsed.payload
