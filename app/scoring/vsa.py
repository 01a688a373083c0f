"""SLSA Verification Summaries (VSA v1): what attestd concluded about a digest, signed.

A summary is an in-toto Statement v1 whose predicate is
``https://slsa.dev/verification_summary/v1``, serialised as RFC 8785 canonical
JSON and wrapped in a DSSE envelope signed with the service's Ed25519 key (the
key published at ``GET /v1/keys``). Anyone holding that public key can check a
summary offline; ``open_summary`` is that check. It lives in the pipeline client
(``attestd_client.vsa``), which checks the summaries of ``verdict --key`` with
it, and is used from there, so that the server and the client refuse the same
envelopes for the same reasons; this module makes and signs the summaries.

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
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    VSA_PREDICATE_TYPE,
    VsaInvalid,
    open_summary,
    pae,
)

from app.signing import ServiceKey

__all__ = [
    "PAYLOAD_TYPE",
    "STATEMENT_TYPE",
    "VSA_PREDICATE_TYPE",
    "ResourceDigest",
    "Summary",
    "VsaInvalid",
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

    def __post_init__(self) -> None:
        if not isinstance(self.subject_name, str) or not self.subject_name:
            raise ValueError("the subject name must be a non-empty string")
        _digest_set(self.subject_digest)
        _require_uri(self.verifier_id, "the verifier id")
        if not isinstance(self.verifier_version, str) or not self.verifier_version:
            raise ValueError("the verifier version must be a non-empty string")
        if not isinstance(self.time_verified, datetime) or self.time_verified.utcoffset() is None:
            raise ValueError("the verification time must be a timezone-aware datetime")
        _require_uri(self.resource_uri, "the resource URI")
        if not isinstance(self.policy, ResourceDigest):
            raise TypeError("the policy must be a ResourceDigest")
        if not isinstance(self.input_attestations, tuple) or not all(
            isinstance(item, ResourceDigest) for item in self.input_attestations
        ):
            raise TypeError("the input attestations must be a tuple of ResourceDigest")
        _check_levels(self.verified_levels, passed=self.passed)


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
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError(f"{what} must not contain spaces or control characters: {value!r:.80}")


def _check_levels(levels: tuple[str, ...], *, passed: bool) -> None:
    """The SLSA VSA v1 rules for ``verifiedLevels``."""
    if not isinstance(levels, tuple):
        raise TypeError("the verified levels must be a tuple of strings")
    seen: set[str] = set()
    for level in levels:
        if not isinstance(level, str) or not level:
            raise ValueError(f"a verified level must be a non-empty string, not {level!r:.80}")
        if any(char.isspace() or not char.isprintable() for char in level):
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


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        },
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
