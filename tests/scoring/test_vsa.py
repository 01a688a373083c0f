"""Verification summaries: the statement against the SLSA VSA v1 spec, the DSSE signature
checked by code of this test's own, and what ``open_summary`` refuses."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.scoring import vsa
from app.scoring.vsa import GateDecision, ResourceDigest, Summary, VsaInvalid
from app.signing import ServiceKey

ARTIFACT_HEX = hashlib.sha256(b"payments-1.4.2.tar.gz").hexdigest()
POLICY_HEX = hashlib.sha256(b"policy of payments, version 7").hexdigest()
SBOM_HEX = hashlib.sha256(b"an sbom").hexdigest()
PROVENANCE_HEX = hashlib.sha512(b"a provenance bundle").hexdigest()
# 12:30:15.987654 at UTC+02:00 is 10:30:15 UTC; the fraction is dropped.
VERIFIED_AT = datetime(2025, 3, 4, 12, 30, 15, 987654, tzinfo=timezone(timedelta(hours=2)))
VALID_UNTIL = datetime(2025, 3, 5, 10, 30, 15, tzinfo=UTC)
RFC3339_UTC_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def gate(**changes: Any) -> GateDecision:
    values: dict[str, Any] = {
        "service": "payments",
        "environment": "production",
        "required_level": 4,
        "level": 5,
        "policy_version": 7,
        "valid_until": VALID_UNTIL,
    }
    values.update(changes)
    return GateDecision(**values)


def summary(**changes: Any) -> Summary:
    values: dict[str, Any] = {
        "subject_name": "payments-1.4.2.tar.gz",
        "subject_digest": f"sha256:{ARTIFACT_HEX}",
        "verifier_id": "https://attestd.example.com",
        "verifier_version": "0.1.0",
        "time_verified": VERIFIED_AT,
        "resource_uri": f"https://attestd.example.com/v1/artifacts/sha256:{ARTIFACT_HEX}",
        "policy": ResourceDigest(
            "https://attestd.example.com/v1/services/payments/policy/versions/7/document",
            f"sha256:{POLICY_HEX}",
        ),
        "input_attestations": (
            ResourceDigest("https://attestd.example.com/v1/sboms/12", f"sha256:{SBOM_HEX}"),
            ResourceDigest(
                "https://attestd.example.com/v1/attestations/3", f"sha512:{PROVENANCE_HEX}"
            ),
        ),
        "passed": True,
        "verified_levels": ("SLSA_BUILD_LEVEL_3", "ATTESTD_MATURITY_LEVEL_4"),
        "gate": gate(),
    }
    values.update(changes)
    return Summary(**values)


@pytest.fixture
def key() -> ServiceKey:
    return ServiceKey(Ed25519PrivateKey.generate())


# --- an independent verifier: what a consumer holding the published PEM would run -------


def dsse_pae(payload_type: str, body: bytes) -> bytes:
    """DSSEv1 SP LEN(type) SP type SP LEN(body) SP body, as the DSSE protocol defines it."""
    encoded = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(encoded), encoded, len(body), body)


def published_key(key: ServiceKey) -> tuple[Ed25519PublicKey, str]:
    """The public key as GET /v1/keys publishes it (PEM), and its id recomputed from that PEM."""
    loaded = serialization.load_pem_public_key(key.public.pem.encode("ascii"))
    assert isinstance(loaded, Ed25519PublicKey)
    der = loaded.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return loaded, hashlib.sha256(der).hexdigest()


def verify_independently(envelope: dict[str, Any], key: ServiceKey) -> dict[str, Any]:
    public, key_id = published_key(key)
    assert set(envelope) == {"payloadType", "payload", "signatures"}
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    (signature,) = envelope["signatures"]
    assert signature["keyid"] == key_id
    payload = base64.b64decode(envelope["payload"], validate=True)
    raw_signature = base64.b64decode(signature["sig"], validate=True)
    # Raises InvalidSignature when the signature is not over the PAE of this payload.
    public.verify(raw_signature, dsse_pae(envelope["payloadType"], payload))
    statement = json.loads(payload)
    # RFC 8785 for text-only JSON: sorted keys, no insignificant whitespace, UTF-8.
    canonical = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert payload == canonical.encode("utf-8")
    return statement


# --- the envelope ---------------------------------------------------------------------------


def test_a_signed_summary_verifies_with_the_published_key(key):
    envelope = vsa.sign_summary(summary(), key)
    statement = verify_independently(envelope, key)
    assert statement == vsa.summary_statement(summary())


def test_the_pae_is_the_dsse_v1_encoding():
    assert vsa.pae("application/vnd.in-toto+json", b"{}") == (
        b"DSSEv1 28 application/vnd.in-toto+json 2 {}"
    )
    assert vsa.pae("t\u00e9", b"") == b"DSSEv1 3 t\xc3\xa9 0 "
    assert vsa.pae("x", b"a b") == dsse_pae("x", b"a b")


def test_signing_is_deterministic_and_ignores_the_order_of_inputs(key):
    first = vsa.sign_summary(summary(), key)
    reordered = summary(input_attestations=tuple(reversed(summary().input_attestations)))
    assert vsa.sign_summary(reordered, key) == first


def test_open_summary_returns_the_statement(key):
    envelope = vsa.sign_summary(summary(), key)
    assert vsa.open_summary(envelope, key.public) == vsa.summary_statement(summary())


def test_open_summary_accepts_url_safe_base64_as_dsse_allows(key):
    envelope = vsa.sign_summary(summary(), key)
    (signature,) = envelope["signatures"]
    url_safe = {
        **envelope,
        "payload": _url_safe(envelope["payload"]),
        "signatures": [{**signature, "sig": _url_safe(signature["sig"])}],
    }
    assert vsa.open_summary(url_safe, key.public) == vsa.summary_statement(summary())


def test_open_summary_ignores_unknown_envelope_fields(key):
    envelope = {**vsa.sign_summary(summary(), key), "x-extension": "ignored"}
    assert vsa.open_summary(envelope, key.public)["predicateType"] == vsa.VSA_PREDICATE_TYPE


def _url_safe(text: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(text)).decode("ascii").rstrip("=")


# --- the statement, field by field against the spec -----------------------------------------


def test_the_statement_is_an_in_toto_statement_v1_about_the_artifact():
    statement = vsa.summary_statement(summary())
    assert set(statement) == {"_type", "subject", "predicateType", "predicate"}
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/verification_summary/v1"
    assert statement["subject"] == [
        {"name": "payments-1.4.2.tar.gz", "digest": {"sha256": ARTIFACT_HEX}}
    ]


def test_the_predicate_has_every_vsa_v1_field():
    predicate = vsa.summary_statement(summary())["predicate"]
    assert predicate == {
        "verifier": {"id": "https://attestd.example.com", "version": {"attestd": "0.1.0"}},
        "timeVerified": "2025-03-04T10:30:15Z",
        "resourceUri": f"https://attestd.example.com/v1/artifacts/sha256:{ARTIFACT_HEX}",
        "policy": {
            "uri": "https://attestd.example.com/v1/services/payments/policy/versions/7/document",
            "digest": {"sha256": POLICY_HEX},
        },
        "inputAttestations": [
            {
                "uri": "https://attestd.example.com/v1/attestations/3",
                "digest": {"sha512": PROVENANCE_HEX},
            },
            {"uri": "https://attestd.example.com/v1/sboms/12", "digest": {"sha256": SBOM_HEX}},
        ],
        "verificationResult": "PASSED",
        "verifiedLevels": ["SLSA_BUILD_LEVEL_3", "ATTESTD_MATURITY_LEVEL_4"],
        "slsaVersion": "1.0",
        "urn:attestd:gate:v1": {
            "service": "payments",
            "environment": "production",
            "requiredLevel": 4,
            "level": 5,
            "policyVersion": 7,
            "validUntil": "2025-03-05T10:30:15Z",
            "waivers": [],
        },
    }


def test_the_gate_extension_is_named_by_a_uri_as_vsa_v1_allows():
    """Producers may add fields named by URIs; consumers ignore the ones they do not know."""
    predicate = vsa.summary_statement(summary())["predicate"]
    extensions = [name for name in predicate if ":" in name]
    assert extensions == [vsa.GATE_FIELD]
    assert vsa.GATE_FIELD.startswith("urn:attestd:")


def test_a_failed_summary_still_names_its_environment_and_levels():
    predicate = vsa.summary_statement(summary(passed=False, gate=gate(level=2)))["predicate"]
    assert predicate["verifiedLevels"] == ["FAILED"]
    named = predicate[vsa.GATE_FIELD]
    assert (named["environment"], named["requiredLevel"], named["level"]) == ("production", 4, 2)


def test_the_time_is_rfc3339_utc_to_the_second():
    stamp = vsa.summary_statement(summary())["predicate"]["timeVerified"]
    assert RFC3339_UTC_SECONDS.fullmatch(stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed == VERIFIED_AT.replace(microsecond=0)
    assert parsed.utcoffset() == timedelta(0)
    utc = summary(time_verified=datetime(2025, 1, 1, tzinfo=UTC))
    assert vsa.summary_statement(utc)["predicate"]["timeVerified"] == "2025-01-01T00:00:00Z"


def test_a_sha512_subject_is_a_sha512_digest_set():
    digest = hashlib.sha512(b"x").hexdigest()
    statement = vsa.summary_statement(summary(subject_digest=f"sha512:{digest}"))
    assert statement["subject"][0]["digest"] == {"sha512": digest}


def test_a_failed_summary_says_failed_whatever_levels_it_was_given():
    predicate = vsa.summary_statement(summary(passed=False))["predicate"]
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["verifiedLevels"] == ["FAILED"]
    predicate = vsa.summary_statement(summary(passed=False, verified_levels=()))["predicate"]
    assert predicate["verifiedLevels"] == ["FAILED"]
    predicate = vsa.summary_statement(summary(passed=False, verified_levels=("FAILED",)))[
        "predicate"
    ]
    assert predicate["verifiedLevels"] == ["FAILED"]


def test_no_input_attestations_is_an_empty_list():
    predicate = vsa.summary_statement(summary(input_attestations=()))["predicate"]
    assert predicate["inputAttestations"] == []


@pytest.mark.parametrize("level", [f"SLSA_BUILD_LEVEL_{n}" for n in range(4)])
def test_each_slsa_build_level_is_accepted(level):
    predicate = vsa.summary_statement(summary(verified_levels=(level,)))["predicate"]
    assert predicate["verifiedLevels"] == [level]


@pytest.mark.parametrize(
    ("levels", "why"),
    [
        (("SLSA_BUILD_LEVEL_4",), "starts with SLSA_"),
        (("SLSA_SOURCE_LEVEL_1",), "starts with SLSA_"),
        (("SLSA_",), "starts with SLSA_"),
        (("FAILED",), "cannot list the level FAILED"),
        (("SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_3"), "one level of the SLSA build track"),
        (("ATTESTD_X", "ATTESTD_X"), "given twice"),
        (("",), "non-empty string"),
        (("LEVEL 4",), "spaces or control characters"),
        (("LEVEL\n4",), "spaces or control characters"),
    ],
)
def test_levels_the_spec_forbids_are_refused(levels, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        summary(verified_levels=levels)


def test_a_reserved_level_is_refused_on_a_failed_summary_too():
    with pytest.raises(ValueError, match="starts with SLSA_"):
        summary(passed=False, verified_levels=("SLSA_BUILD_LEVEL_9",))


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        summary(time_verified=datetime(2025, 3, 4, 12, 0))  # noqa: DTZ001 - the point


@pytest.mark.parametrize(
    "digest",
    [
        f"sha256:{ARTIFACT_HEX.upper()}",
        f"SHA256:{ARTIFACT_HEX}",
        f"sha256:{ARTIFACT_HEX[:-1]}",
        f"sha256:{ARTIFACT_HEX}0",
        f"sha512:{ARTIFACT_HEX}",
        f"sha256:{PROVENANCE_HEX}",
        f"md5:{hashlib.md5(b'x').hexdigest()}",  # noqa: S324 - a digest that must be refused
        ARTIFACT_HEX,
        f"sha256:{'g' * 64}",
        f" sha256:{ARTIFACT_HEX}",
        "",
    ],
)
def test_malformed_digests_are_refused_everywhere(digest):
    with pytest.raises(ValueError, match="digest"):
        summary(subject_digest=digest)
    with pytest.raises(ValueError, match="digest"):
        ResourceDigest("https://attestd.example.com/v1/sboms/1", digest)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"environment": ""}, "environment must be a non-empty string"),
        ({"environment": "prod uction"}, "environment must be a non-empty string"),
        ({"service": None}, "service must be a non-empty string"),
        ({"required_level": 6}, "required level must be a maturity level 0-5"),
        ({"level": -1}, "level must be a maturity level 0-5"),
        ({"level": True}, "level must be a maturity level 0-5"),
        ({"policy_version": -1}, "policy version must be 0 or more"),
        ({"valid_until": datetime(2025, 3, 5)}, "timezone-aware"),  # noqa: DTZ001 - the point
    ],
)
def test_a_gate_decision_that_says_nothing_usable_is_refused(changes, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        gate(**changes)


@pytest.mark.parametrize(
    "valid_until",
    [VERIFIED_AT, VERIFIED_AT + timedelta(microseconds=1), VERIFIED_AT - timedelta(days=1)],
)
def test_a_summary_must_be_valid_for_a_second_at_least(valid_until):
    with pytest.raises(ValueError, match="valid for at least a second"):
        summary(gate=gate(valid_until=valid_until))
    assert summary(gate=gate(valid_until=VERIFIED_AT + timedelta(seconds=1)))


@pytest.mark.parametrize(
    "uri",
    [f"sha256:{ARTIFACT_HEX}", f"sha512:{PROVENANCE_HEX}", f"SHA256:{ARTIFACT_HEX.upper()}"],
)
def test_a_bare_digest_is_no_resource_uri(uri):
    """A digest parses as a URI with the scheme sha256, but names no resource."""
    assert vsa.is_bare_digest(uri)
    with pytest.raises(ValueError, match="not be a bare digest"):
        summary(resource_uri=uri)


@pytest.mark.parametrize(
    "uri",
    [
        f"https://attestd.example.com/v1/artifacts/sha256:{ARTIFACT_HEX}",
        f"oci://registry.example/acme/payments@sha256:{ARTIFACT_HEX}",
        "pkg:npm/left-pad@1.3.0",
    ],
)
def test_uris_that_name_the_resource_are_no_bare_digests(uri):
    assert not vsa.is_bare_digest(uri)
    assert summary(resource_uri=uri).resource_uri == uri


@pytest.mark.parametrize(
    "changes",
    [
        {"subject_name": ""},
        {"verifier_id": "attestd"},
        {"verifier_id": "https://attestd.example.com/a b"},
        {"verifier_version": ""},
        {"resource_uri": ""},
    ],
)
def test_empty_names_and_uris_without_a_scheme_are_refused(changes):
    with pytest.raises(ValueError, match="must"):
        summary(**changes)


def test_wrong_types_are_refused():
    with pytest.raises(TypeError):
        summary(input_attestations=[summary().policy])
    with pytest.raises(TypeError):
        summary(verified_levels=["SLSA_BUILD_LEVEL_3"])
    with pytest.raises(TypeError):
        summary(policy=f"sha256:{POLICY_HEX}")
    with pytest.raises(TypeError):
        summary(gate={"environment": "production"})


# --- what open_summary refuses --------------------------------------------------------------


def _with_statement(envelope: dict[str, Any], statement: dict[str, Any]) -> dict[str, Any]:
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    return {**envelope, "payload": base64.b64encode(payload).decode()}


def _signed_by(key: ServiceKey, payload_type: str, payload: bytes) -> dict[str, Any]:
    """An envelope the key really signed, of any payload type and content."""
    signature = key.sign(dsse_pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key.public.key_id, "sig": base64.b64encode(signature).decode()}],
    }


def test_a_tampered_payload_is_refused(key):
    envelope = vsa.sign_summary(summary(passed=False), key)
    statement = vsa.open_summary(envelope, key.public)
    statement["predicate"]["verificationResult"] = "PASSED"
    statement["predicate"]["verifiedLevels"] = ["SLSA_BUILD_LEVEL_3"]
    with pytest.raises(VsaInvalid, match="does not verify"):
        vsa.open_summary(_with_statement(envelope, statement), key.public)


def test_a_payload_with_one_byte_changed_is_refused(key):
    envelope = vsa.sign_summary(summary(), key)
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[-2] ^= 0x01
    changed = {**envelope, "payload": base64.b64encode(bytes(payload)).decode()}
    with pytest.raises(VsaInvalid, match="does not verify"):
        vsa.open_summary(changed, key.public)


def test_a_changed_payload_type_is_refused(key):
    envelope = vsa.sign_summary(summary(), key)
    with pytest.raises(VsaInvalid, match="payloadType"):
        vsa.open_summary({**envelope, "payloadType": "application/json"}, key.public)
    # Even when the key really signed that other type: a VSA is an in-toto statement.
    payload = base64.b64decode(envelope["payload"])
    with pytest.raises(VsaInvalid, match="payloadType"):
        vsa.open_summary(_signed_by(key, "application/json", payload), key.public)


def test_a_wrong_keyid_is_refused(key):
    envelope = vsa.sign_summary(summary(), key)
    (signature,) = envelope["signatures"]
    for key_id in ("0" * 64, "", None):
        changed = {**envelope, "signatures": [{**signature, "keyid": key_id}]}
        with pytest.raises(VsaInvalid, match="names the key"):
            vsa.open_summary(changed, key.public)
    without = {**envelope, "signatures": [{"sig": signature["sig"]}]}
    with pytest.raises(VsaInvalid, match="names the key"):
        vsa.open_summary(without, key.public)


def test_a_summary_signed_by_another_key_is_refused(key):
    other = ServiceKey(Ed25519PrivateKey.generate())
    envelope = vsa.sign_summary(summary(), other)
    with pytest.raises(VsaInvalid, match="names the key"):
        vsa.open_summary(envelope, key.public)
    # The other key's signature under this key's id.
    (signature,) = envelope["signatures"]
    disguised = {**envelope, "signatures": [{**signature, "keyid": key.public.key_id}]}
    with pytest.raises(VsaInvalid, match="does not verify"):
        vsa.open_summary(disguised, key.public)


@pytest.mark.parametrize("count", [0, 2])
def test_anything_but_exactly_one_signature_is_refused(key, count):
    envelope = vsa.sign_summary(summary(), key)
    changed = {**envelope, "signatures": envelope["signatures"] * count}
    with pytest.raises(VsaInvalid, match="exactly one signature"):
        vsa.open_summary(changed, key.public)


def test_two_signatures_are_refused_even_when_one_is_good(key):
    envelope = vsa.sign_summary(summary(), key)
    other = vsa.sign_summary(summary(), ServiceKey(Ed25519PrivateKey.generate()))
    both = {**envelope, "signatures": envelope["signatures"] + other["signatures"]}
    with pytest.raises(VsaInvalid, match="exactly one signature"):
        vsa.open_summary(both, key.public)


@pytest.mark.parametrize(
    "bad",
    ["not base64!", "YWJj$", "Y", "YW=J", "YW+_"],
)
@pytest.mark.parametrize("where", ["payload", "sig"])
def test_bad_base64_is_refused(key, bad, where):
    envelope = vsa.sign_summary(summary(), key)
    if where == "payload":
        changed = {**envelope, "payload": bad}
    else:
        changed = {**envelope, "signatures": [{**envelope["signatures"][0], "sig": bad}]}
    with pytest.raises(VsaInvalid, match=f"the {where} (is not valid|mixes)"):
        vsa.open_summary(changed, key.public)


def test_a_signature_of_the_wrong_length_is_refused(key):
    envelope = vsa.sign_summary(summary(), key)
    (signature,) = envelope["signatures"]
    short = base64.b64encode(base64.b64decode(signature["sig"])[:32]).decode()
    changed = {**envelope, "signatures": [{**signature, "sig": short}]}
    with pytest.raises(VsaInvalid, match="does not verify"):
        vsa.open_summary(changed, key.public)


@pytest.mark.parametrize(
    "envelope",
    [
        [],
        "envelope",
        {"payloadType": "application/vnd.in-toto+json", "signatures": []},
        {"payloadType": "application/vnd.in-toto+json", "payload": 3, "signatures": []},
        {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": {}},
        {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": ["x"]},
    ],
)
def test_envelopes_of_the_wrong_shape_are_refused(key, envelope):
    with pytest.raises(VsaInvalid):
        vsa.open_summary(envelope, key.public)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"_type": "https://in-toto.io/Statement/v0.1"}', "Statement v1"),
        (
            b'{"_type": "https://in-toto.io/Statement/v1", '
            b'"predicateType": "https://slsa.dev/provenance/v1"}',
            "predicateType",
        ),
        (
            b'{"_type": "https://in-toto.io/Statement/v1", "_type": "x"}',
            "twice",
        ),
    ],
)
def test_a_signed_payload_that_is_not_a_vsa_statement_is_refused(key, payload, why):
    envelope = _signed_by(key, vsa.PAYLOAD_TYPE, payload)
    with pytest.raises(VsaInvalid, match=why):
        vsa.open_summary(envelope, key.public)


def test_a_summary_is_frozen():
    with pytest.raises(AttributeError):
        summary().passed = False  # type: ignore[misc]
    assert replace(summary(), passed=False).passed is False
