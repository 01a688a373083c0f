"""Shared builders of the client's tests: a scripted server, keys, and signed summaries.

The summaries are signed with ``cryptography`` (a test dependency only), so the
client's own Ed25519 verifier is checked against another implementation's
signatures.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client.vsa import GATE_FIELD, PAYLOAD_TYPE, STATEMENT_TYPE, VSA_PREDICATE_TYPE, pae

SERVER = "https://attestd.example/base"
TOKEN = "atd_" + "s" * 43
DIGEST_HEX = hashlib.sha256(b"payments-1.4.2.tar.gz").hexdigest()
DIGEST = f"sha256:{DIGEST_HEX}"
PROBLEM_HEADERS = {"content-type": "application/problem+json"}
# When the summaries of these tests stop being valid: a day after the run started.
VALID_UNTIL = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Ran:
    """One run of ``attestd-client``: its exit code, what it printed, and the waits it asked."""

    code: int
    out: str
    err: str
    sleeps: list[float] = field(default_factory=list)


Runner = Callable[..., Ran]
"""The ``cli`` fixture: ``cli(script, *argv, env={...})``."""


class Script:
    """A mock transport answering each request with the next step: a response or an error."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    reasons: Sequence[str] = (),
    slug: str | None = None,
) -> httpx.Response:
    """An RFC 9457 answer as attestd writes them."""
    document: dict[str, Any] = {"title": title, "status": status, "detail": detail}
    if reasons:
        document["reasons"] = list(reasons)
    if slug is not None:
        document["slug"] = slug
    return httpx.Response(status, json=document, headers=PROBLEM_HEADERS)


def public_pem(key: Ed25519PrivateKey) -> bytes:
    """The key's public half as ``GET /v1/keys`` publishes it."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo, computed by ``cryptography``."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def statement(
    *,
    passed: bool,
    digest_hex: str = DIGEST_HEX,
    environment: str = "production",
    valid_until: str = VALID_UNTIL,
) -> dict[str, Any]:
    """A VSA statement about ``sha256:digest_hex``, PASSED (level 4) or FAILED (level 2)."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "payments-1.4.2.tar.gz", "digest": {"sha256": digest_hex}}],
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": SERVER, "version": {"attestd": "0.1.0"}},
            "timeVerified": "2025-03-04T10:30:15Z",
            "resourceUri": f"{SERVER}/v1/artifacts/{DIGEST}",
            "policy": {
                "uri": f"{SERVER}/v1/services/payments/policy",
                "digest": {"sha256": "0" * 64},
            },
            "inputAttestations": [],
            "verificationResult": "PASSED" if passed else "FAILED",
            "verifiedLevels": ["SLSA_BUILD_LEVEL_3"] if passed else ["FAILED"],
            "slsaVersion": "1.0",
            GATE_FIELD: {
                "service": "payments",
                "environment": environment,
                "requiredLevel": 3,
                "level": 4 if passed else 2,
                "policyVersion": 7,
                "validUntil": valid_until,
            },
        },
    }


def envelope(
    key: Ed25519PrivateKey,
    payload: Mapping[str, Any] | bytes,
    *,
    payload_type: str = PAYLOAD_TYPE,
) -> dict[str, Any]:
    """A DSSE envelope ``key`` really signed, over any payload and payload type."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = key.sign(pae(payload_type, body))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": key_id(key), "sig": base64.b64encode(signature).decode()}],
    }


def answer(
    key: Ed25519PrivateKey,
    *,
    decision: str,
    reasons: Sequence[str] = (),
    environment: str = "production",
) -> dict[str, Any]:
    """A ``POST /v1/verdicts`` answer with a summary signed by ``key``."""
    allowed = decision == "allow"
    return {
        "decision": decision,
        "digest": DIGEST,
        "service": "payments",
        "environment": environment,
        "required_level": 3,
        "level": 4 if allowed else 2,
        "level_name": "Improve" if allowed else "Operate",
        "reasons": list(reasons),
        "vsa": envelope(key, statement(passed=allowed, environment=environment)),
        "audit_index": 17,
        "verified_at": "2025-03-04T10:30:15Z",
    }
