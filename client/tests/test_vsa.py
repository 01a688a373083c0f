"""``open_summary`` with the client's own key: envelopes ``cryptography`` signed, and the refusals
(word for word those the server's summaries are held to, since the server uses this function)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from builders import envelope, public_pem, statement
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client.keys import PublicKey
from attestd_client.vsa import PAYLOAD_TYPE, VsaInvalid, open_summary, pae


@pytest.fixture
def key(signing_key: Ed25519PrivateKey) -> PublicKey:
    return PublicKey.from_pem(public_pem(signing_key))


@pytest.fixture
def signed(signing_key: Ed25519PrivateKey) -> dict[str, Any]:
    return envelope(signing_key, statement(passed=True))


def with_signature(signed: dict[str, Any], **changes: Any) -> dict[str, Any]:
    (signature,) = signed["signatures"]
    return {**signed, "signatures": [{**signature, **changes}]}


def url_safe(text: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(text)).decode().rstrip("=")


def test_a_summary_signed_by_the_key_opens(signed: dict[str, Any], key: PublicKey) -> None:
    assert open_summary(signed, key) == statement(passed=True)


def test_url_safe_base64_without_padding_is_accepted(
    signed: dict[str, Any], key: PublicKey
) -> None:
    (signature,) = signed["signatures"]
    changed = with_signature(
        {**signed, "payload": url_safe(signed["payload"])}, sig=url_safe(signature["sig"])
    )
    assert open_summary(changed, key) == statement(passed=True)


def test_unknown_envelope_fields_are_ignored(signed: dict[str, Any], key: PublicKey) -> None:
    assert open_summary({**signed, "x-extension": 1}, key)["predicateType"]


def test_the_pae_is_dsse_v1() -> None:
    assert pae(PAYLOAD_TYPE, b"{}") == b"DSSEv1 28 application/vnd.in-toto+json 2 {}"
    assert pae("t\u00e9", b"") == b"DSSEv1 3 t\xc3\xa9 0 "


def test_a_changed_payload_does_not_verify(signed: dict[str, Any], key: PublicKey) -> None:
    forged = json.dumps(statement(passed=False)).encode()
    changed = {**signed, "payload": base64.b64encode(forged).decode()}
    with pytest.raises(VsaInvalid, match=r"^the signature does not verify with the key$"):
        open_summary(changed, key)


def test_another_keys_signature_under_this_key_id_does_not_verify(
    signed: dict[str, Any], key: PublicKey, other_key: Ed25519PrivateKey
) -> None:
    (theirs,) = envelope(other_key, statement(passed=True))["signatures"]
    with pytest.raises(VsaInvalid, match="does not verify"):
        open_summary(with_signature(signed, sig=theirs["sig"]), key)


def test_a_summary_signed_by_another_key_names_that_key(
    key: PublicKey, other_key: Ed25519PrivateKey
) -> None:
    with pytest.raises(VsaInvalid, match=r"^the signature names the key '[0-9a-f]{64}', not '"):
        open_summary(envelope(other_key, statement(passed=True)), key)


@pytest.mark.parametrize("key_id", ["0" * 64, "", None])
def test_a_wrong_key_id_is_refused(signed: dict[str, Any], key: PublicKey, key_id: Any) -> None:
    with pytest.raises(VsaInvalid, match="names the key"):
        open_summary(with_signature(signed, keyid=key_id), key)


def test_a_payload_type_the_key_really_signed_is_still_refused(
    signing_key: Ed25519PrivateKey, key: PublicKey
) -> None:
    other_type = envelope(signing_key, statement(passed=True), payload_type="application/json")
    with pytest.raises(
        VsaInvalid,
        match=r"^the payloadType is 'application/json', not 'application/vnd.in-toto\+json'$",
    ):
        open_summary(other_type, key)


@pytest.mark.parametrize("count", [0, 2])
def test_anything_but_one_signature_is_refused(
    signed: dict[str, Any], key: PublicKey, count: int
) -> None:
    with pytest.raises(VsaInvalid, match=f"exactly one signature, not {count}"):
        open_summary({**signed, "signatures": signed["signatures"] * count}, key)


@pytest.mark.parametrize(
    ("bad", "where", "why"),
    [
        ("not base64!", "payload", "the payload is not valid base64"),
        ("YW=J", "sig", "the sig is not valid base64"),
        ("YW+_", "payload", "the payload mixes the standard and URL-safe base64 alphabets"),
        ("Y", "sig", "the sig is not valid base64"),
    ],
)
def test_bad_base64_is_refused(
    signed: dict[str, Any], key: PublicKey, bad: str, where: str, why: str
) -> None:
    changed = {**signed, "payload": bad} if where == "payload" else with_signature(signed, sig=bad)
    with pytest.raises(VsaInvalid, match=f"^{why}$"):
        open_summary(changed, key)


def test_a_short_signature_is_refused(signed: dict[str, Any], key: PublicKey) -> None:
    (signature,) = signed["signatures"]
    short = base64.b64encode(base64.b64decode(signature["sig"])[:32]).decode()
    with pytest.raises(VsaInvalid, match="does not verify"):
        open_summary(with_signature(signed, sig=short), key)


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ([], "the envelope is not a JSON object"),
        ({"payloadType": PAYLOAD_TYPE, "signatures": []}, "no payload string"),
        ({"payloadType": PAYLOAD_TYPE, "payload": "e30=", "signatures": {}}, "no list of"),
        (
            {"payloadType": PAYLOAD_TYPE, "payload": "e30=", "signatures": ["x"]},
            "not a JSON object",
        ),
        (
            {"payloadType": PAYLOAD_TYPE, "payload": "e30=", "signatures": [{"keyid": "k"}]},
            "names the key",
        ),
    ],
)
def test_envelopes_of_the_wrong_shape_are_refused(key: PublicKey, document: Any, why: str) -> None:
    with pytest.raises(VsaInvalid, match=why):
        open_summary(document, key)


def test_a_signature_without_sig_is_refused(signed: dict[str, Any], key: PublicKey) -> None:
    (signature,) = signed["signatures"]
    with pytest.raises(VsaInvalid, match="no sig string"):
        open_summary({**signed, "signatures": [{"keyid": signature["keyid"]}]}, key)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"not json", "the payload is not JSON"),
        (b"[]", "the payload is not a JSON object"),
        (b'{"_type": "https://in-toto.io/Statement/v0.1"}', "Statement v1"),
        (
            b'{"_type": "https://in-toto.io/Statement/v1", '
            b'"predicateType": "https://slsa.dev/provenance/v1"}',
            "predicateType is not",
        ),
        (b'{"_type": "https://in-toto.io/Statement/v1", "_type": "x"}', "twice"),
    ],
)
def test_a_signed_payload_that_is_not_a_vsa_is_refused(
    signing_key: Ed25519PrivateKey, key: PublicKey, payload: bytes, why: str
) -> None:
    with pytest.raises(VsaInvalid, match=why):
        open_summary(envelope(signing_key, payload), key)
