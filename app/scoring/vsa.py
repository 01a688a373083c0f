"""SLSA Verification Summaries (VSA v1): what attestd concluded about a digest, signed.

A summary is an in-toto Statement v1 whose predicate is
``https://slsa.dev/verification_summary/v1``, serialised as RFC 8785 canonical
JSON and wrapped in a DSSE envelope signed with the service's Ed25519 key (the
key published at ``GET /v1/keys``). Anyone holding that public key can check a
summary offline; ``open_summary`` is that check. It lives in the pipeline client
(``attestd_client.vsa``), which checks the summaries of ``verdict --key`` with
it, and is used from there, so that the server and the client refuse the same
envelopes for the same reasons; this module makes and signs the summaries.

Besides the VSA v1 fields, the predicate carries ``GATE_FIELD``
(``urn:attestd:gate:v1``), an extension field as the spec allows them (a field
named by a URI): the service, the environment the summary was issued for, the
level that environment required, the level reached, the policy version applied,
``validUntil``, and ``waivers``: every exception the decision relied on (the
check, the exception, its approver and expiry), so that a consumer tells a PASS
on evidence alone from one that rests on waivers. They are not put in ``policy``
(a ResourceDescriptor of the policy document, whose annotations consumers may
drop) because they say what was asked and decided, not what the policy is; a
field of its own is signed with the rest and read by name.

Pure: no FastAPI, SQLAlchemy or settings; plain values in, plain values out.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import rfc8785
from attestd_client.vsa import (
    GATE_FIELD,
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    VSA_PREDICATE_TYPE,
    VsaInvalid,
    open_summary,
    pae,
)

from app.policy.maturity import MAX_LEVEL
from app.signing import ServiceKey

__all__ = [
    "GATE_FIELD",
    "PAYLOAD_TYPE",
    "STATEMENT_TYPE",
    "VSA_PREDICATE_TYPE",
    "GateDecision",
    "ResourceDigest",
    "Summary",
    "VsaInvalid",
    "is_bare_digest",
    "open_summary",
    "pae",
    "sign_summary",
    "summary_statement",
]

_SLSA_VERSION = "1.0"

_PASSED = "PASSED"
_FAILED = "FAILED"
# The SLSA v1 levels; any other level starting with SLSA_ is reserved by the spec.
_SLSA_BUILD_LEVELS = frozenset(f"SLSA_BUILD_LEVEL_{n}" for n in range(4))
_RESERVED_PREFIX = "SLSA_"

# Only what attestd itself writes: lower-case hex of the algorithm's length.
_DIGEST = re.compile(r"^(?:(sha256):([0-9a-f]{64})|(sha512):([0-9a-f]{128}))$")
# ``alg:hex``: parses as a URI with the scheme ``alg``, but names no resource.
_BARE_DIGEST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[0-9A-Fa-f]{32,}$")


def is_bare_digest(text: str) -> bool:
    """Whether ``text`` is a digest such as ``sha256:<hex>`` rather than a resource's URI."""
    return _BARE_DIGEST.fullmatch(text) is not None


@dataclass(frozen=True)
class ResourceDigest:
    """An in-toto ResourceDescriptor naming a document by URI and digest."""

    uri: str
    digest: str
    """``sha256:<64 hex>`` or ``sha512:<128 hex>``, lower case."""

    def __post_init__(self) -> None:
        _require_uri(self.uri, "a resource URI")
        _digest_set(self.digest)


@dataclass(frozen=True)
class Waiver:
    """An exception the decision relied on: the check it waived, who approved it, until when."""

    check: str
    exception_id: int
    approved_by: str
    expires_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.check, str) or not _is_token(self.check):
            raise ValueError("a waiver names the check it waives")
        if not _is_int(self.exception_id) or self.exception_id < 1:
            raise ValueError(f"a waiver names its exception, not {self.exception_id!r:.20}")
        if not isinstance(self.approved_by, str) or not self.approved_by:
            raise ValueError("a waiver names who approved it")
        _require_aware(self.expires_at, "the waiver's expiry")


@dataclass(frozen=True)
class GateDecision:
    """What the gate was asked and answered: the predicate's ``GATE_FIELD``."""

    service: str
    environment: str
    """The environment the summary was issued for; it is good for no other."""
    required_level: int
    """The maturity level that environment required under the policy applied."""
    level: int
    """The maturity level the artifact reached."""
    policy_version: int
    """The policy version applied, the one ``Summary.policy`` names (0: the default)."""
    valid_until: datetime
    """Timezone-aware; after it a consumer must not act on the summary."""
    waivers: tuple[Waiver, ...] = ()
    """Every exception the decision relied on; none: the checks held on evidence alone."""

    def __post_init__(self) -> None:
        if not isinstance(self.waivers, tuple) or not all(
            isinstance(waiver, Waiver) for waiver in self.waivers
        ):
            raise TypeError("the waivers must be a tuple of Waiver")
        for what, text in (("service", self.service), ("environment", self.environment)):
            if not isinstance(text, str) or not text or not _is_token(text):
                raise ValueError(f"the {what} must be a non-empty string without spaces")
        for what, level in (("required level", self.required_level), ("level", self.level)):
            if not _is_int(level) or not 0 <= level <= MAX_LEVEL:
                raise ValueError(f"the {what} must be a maturity level 0-5, not {level!r:.20}")
        if not _is_int(self.policy_version) or self.policy_version < 0:
            raise ValueError(f"the policy version must be 0 or more, not {self.policy_version!r}")
        _require_aware(self.valid_until, "the end of validity")


@dataclass(frozen=True)
class Summary:
    """Everything a VSA says about one artifact; checked when it is made."""

    subject_name: str
    """The artifact's name, or its digest when it has none."""
    subject_digest: str
    verifier_id: str
    """The URI of this attestd instance."""
    verifier_version: str
    time_verified: datetime
    """Timezone-aware; written in UTC to the second."""
    resource_uri: str
    policy: ResourceDigest
    input_attestations: tuple[ResourceDigest, ...]
    passed: bool
    verified_levels: tuple[str, ...]
    """Given levels; a failed summary says ``["FAILED"]`` whatever they are."""
    gate: GateDecision

    def __post_init__(self) -> None:
        if not isinstance(self.subject_name, str) or not self.subject_name:
            raise ValueError("the subject name must be a non-empty string")
        _digest_set(self.subject_digest)
        _require_uri(self.verifier_id, "the verifier id")
        if not isinstance(self.verifier_version, str) or not self.verifier_version:
            raise ValueError("the verifier version must be a non-empty string")
        _require_aware(self.time_verified, "the verification time")
        _require_uri(self.resource_uri, "the resource URI")
        if is_bare_digest(self.resource_uri):
            raise ValueError(
                f"the resource URI must name the resource, not be a bare digest: "
                f"{self.resource_uri!r:.80}"
            )
        if not isinstance(self.policy, ResourceDigest):
            raise TypeError("the policy must be a ResourceDigest")
        if not isinstance(self.input_attestations, tuple) or not all(
            isinstance(item, ResourceDigest) for item in self.input_attestations
        ):
            raise TypeError("the input attestations must be a tuple of ResourceDigest")
        _check_levels(self.verified_levels, passed=self.passed)
        if not isinstance(self.gate, GateDecision):
            raise TypeError("the gate decision must be a GateDecision")
        if _to_the_second(self.gate.valid_until) <= _to_the_second(self.time_verified):
            raise ValueError("the summary must stay valid for at least a second after it is made")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_token(text: str) -> bool:
    return not any(char.isspace() or not char.isprintable() for char in text)


def _require_aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


def _digest_set(digest: str) -> dict[str, str]:
    """``sha256:<hex>`` as the in-toto DigestSet ``{"sha256": "<hex>"}``."""
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        shown = digest[:80] if isinstance(digest, str) else type(digest).__name__
        raise ValueError(f"not a lower-case sha256:<64 hex> or sha512:<128 hex> digest: {shown!r}")
    algorithm, value = (match[1], match[2]) if match[1] else (match[3], match[4])
    return {algorithm: value}


def _require_uri(value: str, what: str) -> None:
    if not isinstance(value, str) or not urlsplit(value).scheme:
        raise ValueError(f"{what} must be a URI with a scheme, not {value!r:.80}")
    if not _is_token(value):
        raise ValueError(f"{what} must not contain spaces or control characters: {value!r:.80}")


def _check_levels(levels: tuple[str, ...], *, passed: bool) -> None:
    """The SLSA VSA v1 rules for ``verifiedLevels``."""
    if not isinstance(levels, tuple):
        raise TypeError("the verified levels must be a tuple of strings")
    seen: set[str] = set()
    for level in levels:
        if not isinstance(level, str) or not level:
            raise ValueError(f"a verified level must be a non-empty string, not {level!r:.80}")
        if not _is_token(level):
            raise ValueError(f"the verified level {level!r:.80} has spaces or control characters")
        if level.startswith(_RESERVED_PREFIX) and level not in _SLSA_BUILD_LEVELS:
            raise ValueError(
                f"the verified level {level!r:.80} starts with SLSA_ but is not "
                "SLSA_BUILD_LEVEL_0..3; custom levels must not start with SLSA_"
            )
        if level == _FAILED and passed:
            raise ValueError("a passed summary cannot list the level FAILED")
        if level in seen:
            raise ValueError(f"the verified level {level} is given twice")
        seen.add(level)
    if len(seen & _SLSA_BUILD_LEVELS) > 1:
        raise ValueError("at most one level of the SLSA build track may be given")


def _descriptor(resource: ResourceDigest) -> dict[str, Any]:
    """The in-toto ResourceDescriptor: ``{uri, digest: {alg: hex}}``."""
    return {"uri": resource.uri, "digest": _digest_set(resource.digest)}


def _to_the_second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _rfc3339(moment: datetime) -> str:
    return _to_the_second(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_statement(summary: Summary) -> dict[str, Any]:
    """The in-toto Statement v1 carrying the VSA v1 predicate for ``summary``."""
    levels = list(summary.verified_levels) if summary.passed else [_FAILED]
    inputs = sorted(summary.input_attestations, key=lambda item: (item.uri, item.digest))
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": summary.subject_name, "digest": _digest_set(summary.subject_digest)}],
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": {
                "id": summary.verifier_id,
                "version": {"attestd": summary.verifier_version},
            },
            "timeVerified": _rfc3339(summary.time_verified),
            "resourceUri": summary.resource_uri,
            "policy": _descriptor(summary.policy),
            "inputAttestations": [_descriptor(item) for item in inputs],
            "verificationResult": _PASSED if summary.passed else _FAILED,
            "verifiedLevels": levels,
            "slsaVersion": _SLSA_VERSION,
            GATE_FIELD: _gate(summary.gate),
        },
    }


def _gate(gate: GateDecision) -> dict[str, Any]:
    return {
        "service": gate.service,
        "environment": gate.environment,
        "requiredLevel": gate.required_level,
        "level": gate.level,
        "policyVersion": gate.policy_version,
        "validUntil": _rfc3339(gate.valid_until),
        "waivers": [
            {
                "check": waiver.check,
                "exception": waiver.exception_id,
                "approvedBy": waiver.approved_by,
                "expires": _rfc3339(waiver.expires_at),
            }
            for waiver in gate.waivers
        ],
    }


def sign_summary(summary: Summary, key: ServiceKey) -> dict[str, Any]:
    """``summary`` as a DSSE envelope over its canonical (RFC 8785) statement, signed by ``key``."""
    payload = rfc8785.dumps(summary_statement(summary))
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {"keyid": key.public.key_id, "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }
