"""The shapes attestd verifies itself: intoto entries, v0.1 bundles on their SET, keyed bundles.

Each valid shape comes first; then every step of the verification flipped alone,
refused with its own reason slug. Pure: no server, the local test Sigstore.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from sigstore.verify.policy import Identity, VerificationPolicy

from app.attestations.bundles import BundleRejected, Route, parse_bundle
from app.attestations.dsse import verifies
from app.attestations.trust import TrustRoot
from app.attestations.verification import Verified, verify, verify_policy_again
from app.policy.keys import KEY_ISSUER, TrustedKey, fingerprint, load_pem_key
from tests.sigstore_local import (
    DEFAULT_SIGNER,
    BundleVersion,
    CTLog,
    LocalSigstore,
    SignerIdentity,
    TransparencyLog,
    dsse_bundle,
    message_signature_bundle,
    statement,
)
from tests.sigstore_local.entries import (
    edited,
    entry_of,
    generate_key,
    keyed_bundle,
    public_pem,
    relogged,
    sign,
    without_proof,
)

DIGEST = hashlib.sha256(b"attestd-1.0.0.tgz").digest()
STATEMENT = statement({"attestd-1.0.0.tgz": DIGEST})
JSON = "application/json"
POLICY_DIGEST = "sha256:" + "cd" * 32
INTOTO_KINDS = [("intoto", "0.0.1"), ("intoto", "0.0.2")]
KEY_KINDS = ["p256", "p384", "ed25519", "rsa"]
KEYS = {kind: generate_key(kind) for kind in KEY_KINDS}
# A key of the policy that signed nothing here, listed before the one that did.
DECOY = TrustedKey(name="decoy", public_key_pem=public_pem(generate_key("p256")))


def _policy(signer: SignerIdentity = DEFAULT_SIGNER) -> VerificationPolicy:
    return Identity(identity=signer.identity, issuer=signer.issuer)


def _trusted(kind: str, name: str | None = None) -> TrustedKey:
    return TrustedKey(name=name or f"{kind}-key", public_key_pem=public_pem(KEYS[kind]))


def check(
    content: bytes,
    roots: list[TrustRoot],
    *,
    policy: VerificationPolicy | None = None,
    keys: tuple[TrustedKey, ...] = (),
    allow: bool = False,
    now: datetime | None = None,
) -> Verified:
    parsed = parse_bundle(content, JSON)
    assert parsed.route is Route.ATTESTD
    return verify(
        parsed,
        trust_roots=roots,
        policy=policy or (_policy() if parsed.certificate is not None else None),
        policy_digest=POLICY_DIGEST,
        artifact=None,
        now=now or datetime.now(UTC),
        keys=keys,
        allow_v01_inclusion_promise=allow,
    )


def refused(content: bytes, roots: list[TrustRoot], **options: Any) -> BundleRejected:
    with pytest.raises(BundleRejected) as raised:
        check(content, roots, **options)
    for reason, slug in zip(raised.value.reasons, raised.value.slugs, strict=True):
        assert reason.startswith(f"{slug}: ")
        assert len(reason) < 400
    return raised.value


def _intoto(
    sigstore: LocalSigstore, kind: tuple[str, str] = ("intoto", "0.0.2"), **options: Any
) -> bytes:
    return dsse_bundle(sigstore, STATEMENT, log_entry_kind=kind, **options).content


def _spec_content(body: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = body["spec"]["content"]
    return content


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _flipped(text: str) -> str:
    """Base64 ``text`` with the last bit of its last byte flipped."""
    raw = base64.b64decode(text)
    return _b64(raw[:-1] + bytes([raw[-1] ^ 1]))


def _flip_set(document: dict[str, Any]) -> None:
    promise = entry_of(document)["inclusionPromise"]
    promise["signedEntryTimestamp"] = _flipped(promise["signedEntryTimestamp"])


def _variant(sigstore: LocalSigstore, **parts: Any) -> LocalSigstore:
    """``sigstore`` with one part (``ct_log`` or ``tlog``) swapped for another."""
    current = {"ca": sigstore.ca, "ct_log": sigstore.ct_log, "tlog": sigstore.tlog}
    return LocalSigstore(**{**current, **parts}, valid_from=sigstore.valid_from)


# --- intoto entries --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", INTOTO_KINDS, ids="/".join)
@pytest.mark.parametrize("version", list(BundleVersion), ids=lambda version: version.name)
def test_intoto_entries_verify_with_a_receipt(
    local_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    kind: tuple[str, str],
    version: BundleVersion,
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=kind, version=version)
    verified = check(built.content, [trust_root])
    receipt = verified.receipt
    assert receipt.signer_subject == DEFAULT_SIGNER.identity
    assert receipt.signer_issuer == DEFAULT_SIGNER.issuer
    assert receipt.key_fingerprint is None
    assert built.log_entry is not None
    assert receipt.log_index == built.log_entry.log_index
    assert receipt.trust_root_digest == trust_root.digest
    assert verified.predicate_type == "https://slsa.dev/provenance/v1"
    assert [subject.digest for subject in verified.subjects] == ["sha256:" + DIGEST.hex()]


def test_an_npm_style_statement_v0_1_with_a_sha512_subject_verifies(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    sha512 = hashlib.sha512(b"sigstore-1.0.0.tgz").hexdigest()
    npm = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "pkg:npm/sigstore@1.0.0", "digest": {"sha512": sha512}}],
        "predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
        "predicate": {
            "name": "sigstore",
            "version": "1.0.0",
            "registry": "https://registry.npmjs.org",
        },
    }
    built = dsse_bundle(local_sigstore, npm, log_entry_kind=("intoto", "0.0.2"))
    verified = check(built.content, [trust_root])
    assert [subject.digest for subject in verified.subjects] == [f"sha512:{sha512}"]


def test_an_intoto_statement_the_allow_list_lacks_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    other = statement({"a": DIGEST}, predicate_type="https://example.test/unknown/v1")
    built = dsse_bundle(local_sigstore, other, log_entry_kind=("intoto", "0.0.2"))
    assert refused(built.content, [trust_root]).slugs == ("predicate-type",)


def test_the_envelope_payload_changed_fails_its_signature_and_its_entry(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    other = _b64(json.dumps(statement({"evil": DIGEST}), separators=(",", ":")).encode())
    content = edited(_intoto(local_sigstore), lambda d: d["dsseEnvelope"].update(payload=other))
    assert set(refused(content, [trust_root]).slugs) == {"signature-invalid", "tlog-entry-mismatch"}


@pytest.mark.parametrize("kind", INTOTO_KINDS, ids="/".join)
def test_a_body_recording_another_payload_hash_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, kind: tuple[str, str]
) -> None:
    def other_payload(body: dict[str, Any]) -> None:
        _spec_content(body)["payloadHash"]["value"] = hashlib.sha256(b"other").hexdigest()

    content = relogged(local_sigstore, _intoto(local_sigstore, kind), other_payload)
    assert refused(content, [trust_root]).slugs == ("tlog-entry-mismatch",)


def test_a_body_recording_another_payload_type_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    def other_type(body: dict[str, Any]) -> None:
        _spec_content(body)["envelope"]["payloadType"] = "text/plain"

    content = relogged(local_sigstore, _intoto(local_sigstore), other_type)
    problem = refused(content, [trust_root])
    assert problem.slugs == ("tlog-entry-mismatch",)
    assert "payload type" in problem.reasons[0]


def test_a_body_recording_another_signature_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    def other_signature(body: dict[str, Any]) -> None:
        signature = ec.generate_private_key(ec.SECP256R1()).sign(b"x", ec.ECDSA(hashes.SHA256()))
        envelope = _spec_content(body)["envelope"]
        envelope["signatures"][0]["sig"] = _b64(_b64(signature).encode())

    content = relogged(local_sigstore, _intoto(local_sigstore), other_signature)
    assert refused(content, [trust_root]).slugs == ("tlog-signature-mismatch",)


@pytest.mark.parametrize("kind", INTOTO_KINDS, ids="/".join)
def test_a_body_recording_another_certificate_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, kind: tuple[str, str]
) -> None:
    other = dsse_bundle(local_sigstore, STATEMENT).certificate
    pem = _b64(other.public_bytes(Encoding.PEM))

    def other_certificate(body: dict[str, Any]) -> None:
        if kind == ("intoto", "0.0.1"):
            body["spec"]["publicKey"] = pem
        else:
            _spec_content(body)["envelope"]["signatures"][0]["publicKey"] = pem

    content = relogged(local_sigstore, _intoto(local_sigstore, kind), other_certificate)
    assert refused(content, [trust_root]).slugs == ("tlog-verifier-mismatch",)


def test_a_signature_that_does_not_verify_is_refused_even_when_logged(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    # The envelope and the body agree on a signature that is not over this payload.
    bogus = ec.generate_private_key(ec.SECP256R1()).sign(b"other", ec.ECDSA(hashes.SHA256()))

    def logged_bogus(body: dict[str, Any]) -> None:
        _spec_content(body)["envelope"]["signatures"][0]["sig"] = _b64(_b64(bogus).encode())

    content = relogged(local_sigstore, _intoto(local_sigstore), logged_bogus)
    content = edited(content, lambda d: d["dsseEnvelope"]["signatures"][0].update(sig=_b64(bogus)))
    assert refused(content, [trust_root]).slugs == ("signature-invalid",)


def test_a_leaf_of_another_ca_is_an_untrusted_chain(
    local_sigstore: LocalSigstore, other_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = _intoto(local_sigstore, ca=other_sigstore.ca)
    assert refused(content, [trust_root]).slugs == ("untrusted-chain",)


def test_a_leaf_whose_sct_no_ct_log_of_the_root_signed_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    rogue = _variant(local_sigstore, ct_log=CTLog.generate())
    assert refused(_intoto(rogue), [trust_root]).slugs == ("sct-invalid",)


def test_the_wrong_identity_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    other = SignerIdentity.email("someone@attestd.test")
    problem = refused(_intoto(local_sigstore), [trust_root], policy=_policy(other))
    assert problem.slugs == ("identity-mismatch",)


def test_a_flipped_proof_hash_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = _intoto(local_sigstore, corrupt_inclusion_proof=True)
    assert refused(content, [trust_root]).slugs == ("inclusion-proof-invalid",)


def test_a_checkpoint_signed_by_nobody_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    def forged(document: dict[str, Any]) -> None:
        checkpoint = entry_of(document)["inclusionProof"]["checkpoint"]
        text, _, signature_line = checkpoint["envelope"].partition("\n\n")
        dash, name, blob = signature_line.strip().split(" ")
        checkpoint["envelope"] = f"{text}\n\n{dash} {name} {_flipped(blob)}\n"

    content = edited(_intoto(local_sigstore), forged)
    assert refused(content, [trust_root]).slugs == ("checkpoint-invalid",)


def test_a_checkpoint_of_another_origin_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    # The log's own key, signing a checkpoint that names another log.
    elsewhere = _variant(
        local_sigstore, tlog=TransparencyLog(local_sigstore.tlog.key, name="rekor.elsewhere.test")
    )
    problem = refused(_intoto(elsewhere), [trust_root])
    assert problem.slugs == ("checkpoint-invalid",)
    assert "rekor.elsewhere.test" in problem.reasons[0]


def test_a_proof_for_another_tree_size_than_the_checkpoint_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    def bigger(document: dict[str, Any]) -> None:
        proof = entry_of(document)["inclusionProof"]
        proof["treeSize"] = str(int(proof["treeSize"]) + 1)

    problem = refused(edited(_intoto(local_sigstore), bigger), [trust_root])
    assert problem.slugs == ("checkpoint-invalid",)
    assert "tree of" in problem.reasons[0]


def test_a_flipped_set_is_refused(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    content = edited(_intoto(local_sigstore), _flip_set)
    assert refused(content, [trust_root]).slugs == ("inclusion-promise-invalid",)


def test_another_integrated_time_fails_the_set(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    def later(document: dict[str, Any]) -> None:
        entry = entry_of(document)
        entry["integratedTime"] = str(int(entry["integratedTime"]) + 1)

    content = edited(_intoto(local_sigstore), later)
    assert refused(content, [trust_root]).slugs == ("inclusion-promise-invalid",)


def test_an_entry_of_a_log_the_root_does_not_list_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = edited(
        _intoto(local_sigstore), lambda d: entry_of(d)["logId"].update(keyId=_b64(bytes(32)))
    )
    assert refused(content, [trust_root]).slugs == ("unknown-log",)


def test_an_entry_of_another_instances_log_is_refused(
    other_sigstore: LocalSigstore, local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    mixed = _variant(local_sigstore, tlog=other_sigstore.tlog)
    assert refused(_intoto(mixed), [trust_root]).slugs == ("unknown-log",)


def test_an_integrated_time_in_the_future_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    content = _intoto(local_sigstore, signed_at=later)
    assert refused(content, [trust_root]).slugs == ("integrated-time-future",)


def test_an_integrated_time_after_the_leaf_expired_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    signed = datetime.now(UTC) - timedelta(hours=2)
    content = _intoto(local_sigstore, signed_at=signed, integrated_at=signed + timedelta(hours=1))
    assert refused(content, [trust_root]).slugs == ("expired-certificate",)


# --- v0.1 bundles resting on their inclusion promise -------------------------------------------


def _set_only(sigstore: LocalSigstore, **options: Any) -> bytes:
    built = dsse_bundle(sigstore, STATEMENT, version=BundleVersion.V0_1, **options)
    return without_proof(built.content)


def test_a_v0_1_bundle_on_its_set_verifies_when_the_policy_opts_in(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    verified = check(_set_only(local_sigstore), [trust_root], allow=True)
    assert verified.receipt.signer_subject == DEFAULT_SIGNER.identity


def test_a_v0_1_bundle_on_its_set_is_refused_by_default_naming_the_option(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    problem = refused(_set_only(local_sigstore), [trust_root])
    assert problem.slugs == ("no-inclusion-proof",)
    assert "allow_v01_inclusion_promise" in problem.reasons[0]


def test_a_v0_1_bundle_on_a_flipped_set_is_refused_even_with_the_opt_in(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = edited(_set_only(local_sigstore), _flip_set)
    assert refused(content, [trust_root], allow=True).slugs == ("inclusion-promise-invalid",)


def test_a_set_of_another_log_is_refused_even_with_the_opt_in(
    local_sigstore: LocalSigstore, other_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    mixed = _variant(local_sigstore, tlog=other_sigstore.tlog)
    assert refused(_set_only(mixed), [trust_root], allow=True).slugs == ("unknown-log",)


@pytest.mark.parametrize("version", [BundleVersion.V0_2, BundleVersion.V0_3])
def test_later_bundles_without_a_proof_are_refused_whatever_the_policy(
    local_sigstore: LocalSigstore, version: BundleVersion
) -> None:
    content = without_proof(dsse_bundle(local_sigstore, STATEMENT, version=version).content)
    with pytest.raises(BundleRejected) as raised:
        parse_bundle(content, JSON)  # before any policy is read
    assert raised.value.slugs == ("no-inclusion-proof",)


def test_a_message_signature_v0_1_on_its_set_verifies_with_the_opt_in(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=BundleVersion.V0_1)
    verified = check(without_proof(built.content), [trust_root], allow=True)
    assert [subject.digest for subject in verified.subjects] == ["sha256:" + DIGEST.hex()]


def test_judged_again_a_set_only_bundle_needs_the_opt_in_still(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = _set_only(local_sigstore)
    verified = check(content, [trust_root], allow=True)
    parsed = parse_bundle(content, JSON)
    now = datetime.now(UTC)
    assert verify_policy_again(
        parsed,
        verified.receipt,
        policy=_policy(),
        policy_digest=POLICY_DIGEST,
        now=now,
        allow_v01_inclusion_promise=True,
    )
    with pytest.raises(BundleRejected) as raised:
        verify_policy_again(
            parsed, verified.receipt, policy=_policy(), policy_digest=POLICY_DIGEST, now=now
        )
    assert raised.value.slugs == ("no-inclusion-proof",)


# --- keyed bundles ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KEY_KINDS)
@pytest.mark.parametrize("entry", [("intoto", "0.0.2"), ("intoto", "0.0.1"), None], ids=str)
def test_keyed_dsse_bundles_verify_against_the_policy_key(
    local_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    kind: str,
    entry: tuple[str, str] | None,
) -> None:
    content = keyed_bundle(
        local_sigstore,
        KEYS[kind],
        statement=STATEMENT,
        log_entry_kind=entry,
        version=BundleVersion.V0_3,
    )
    key = _trusted(kind)
    verified = check(content, [trust_root], keys=(DECOY, key))
    receipt = verified.receipt
    assert receipt.signer_subject == key.name
    assert receipt.signer_issuer == KEY_ISSUER
    assert receipt.key_fingerprint == fingerprint(load_pem_key(key.public_key_pem))
    assert receipt.claims == {}
    assert verified.predicate_type == "https://slsa.dev/provenance/v1"


@pytest.mark.parametrize("kind", ["p256", "p384", "rsa"])
def test_keyed_message_signatures_verify(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, kind: str
) -> None:
    content = keyed_bundle(local_sigstore, KEYS[kind], digest=DIGEST, version=BundleVersion.V0_3)
    verified = check(content, [trust_root], keys=(_trusted(kind),))
    assert [subject.digest for subject in verified.subjects] == ["sha256:" + DIGEST.hex()]


def test_a_keyed_bundle_without_a_policy_key_is_an_unknown_key(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = keyed_bundle(
        local_sigstore,
        KEYS["p256"],
        statement=STATEMENT,
        hint="SHA256:abc",
        version=BundleVersion.V0_3,
    )
    for keys in ((), (_trusted("p384"), _trusted("rsa"))):
        problem = refused(content, [trust_root], keys=keys)
        assert problem.slugs == ("unknown-key",)
        assert "'SHA256:abc'" in problem.reasons[0]


def test_a_keyed_statement_changed_after_signing_has_no_key(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = keyed_bundle(
        local_sigstore, KEYS["ed25519"], statement=STATEMENT, version=BundleVersion.V0_3
    )
    other = _b64(json.dumps(statement({"evil": DIGEST}), separators=(",", ":")).encode())
    content = edited(content, lambda d: d["dsseEnvelope"].update(payload=other))
    problem = refused(content, [trust_root], keys=(_trusted("ed25519"),))
    assert problem.slugs == ("unknown-key",)


def test_a_keyed_body_recording_another_key_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = keyed_bundle(
        local_sigstore, KEYS["p256"], statement=STATEMENT, version=BundleVersion.V0_3
    )
    other = _b64(public_pem(KEYS["p384"]).encode())

    def other_key(body: dict[str, Any]) -> None:
        _spec_content(body)["envelope"]["signatures"][0]["publicKey"] = other

    problem = refused(
        relogged(local_sigstore, content, other_key), [trust_root], keys=(_trusted("p256"),)
    )
    assert problem.slugs == ("tlog-verifier-mismatch",)
    assert "public key" in problem.reasons[0]


def test_a_keyed_v0_1_bundle_on_its_set_needs_the_opt_in(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    # The npm registry's publish attestations of 2023 have exactly this shape.
    content = without_proof(keyed_bundle(local_sigstore, KEYS["p256"], statement=STATEMENT))
    keys = (_trusted("p256"),)
    assert refused(content, [trust_root], keys=keys).slugs == ("no-inclusion-proof",)
    assert check(content, [trust_root], keys=keys, allow=True).receipt.signer_subject == "p256-key"


def test_a_keyed_bundle_never_meets_a_certificate_identity(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    # The identity policy is not consulted: only the keys decide, and its receipt's issuer is
    # no OIDC issuer, so no identity or builder rule (https issuers only) can match it.
    content = keyed_bundle(
        local_sigstore, KEYS["p256"], statement=STATEMENT, version=BundleVersion.V0_3
    )
    verified = check(content, [trust_root], policy=_policy(), keys=(_trusted("p256"),))
    assert not verified.receipt.signer_issuer.startswith("https://")
    assert verified.receipt.identity is None


def test_judged_again_a_keyed_bundle_needs_its_key_in_the_policy(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    content = keyed_bundle(
        local_sigstore, KEYS["rsa"], statement=STATEMENT, version=BundleVersion.V0_3
    )
    verified = check(content, [trust_root], keys=(_trusted("rsa"),))
    parsed = parse_bundle(content, JSON)

    def again(key: TrustedKey) -> Verified:
        return verify_policy_again(
            parsed,
            verified.receipt,
            policy=None,
            policy_digest=POLICY_DIGEST,
            now=datetime.now(UTC),
            keys=(key,),
        )

    assert again(_trusted("rsa", "renamed")).receipt.signer_subject == "renamed"
    with pytest.raises(BundleRejected) as raised:
        again(_trusted("p256"))
    assert raised.value.slugs == ("unknown-key",)


def test_the_local_keys_sign_as_their_clients_do() -> None:
    # A guard on the builder itself: each kind's signature verifies with its public key.
    for kind, key in KEYS.items():
        public = load_pem_key(public_pem(key))
        assert verifies(public, sign(key, b"message"), b"message"), kind
