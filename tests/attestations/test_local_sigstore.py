"""The local test Sigstore: its bundles verify offline with sigstore-python; its faults are real.

Each fault is checked against sigstore-python where sigstore-python detects it
(exception type and, loosely, message); the faults it lets through (payload
type, a root CA in the chain, an integrated time in the future, lax base64) are
checked for being built as described, since attestd has to catch those itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.certificate_transparency import LogEntryType
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from sigstore.dsse import InvalidEnvelope
from sigstore.errors import CertValidationError, VerificationError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, IncompatibleEntry, InvalidBundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import (
    AllOf,
    GitHubWorkflowRef,
    GitHubWorkflowRepository,
    Identity,
    OIDCBuildSignerURI,
    OIDCIssuerV2,
    OIDCRunnerEnvironment,
    OIDCSourceRepositoryRef,
    OIDCSourceRepositoryURI,
    VerificationPolicy,
)
from sigstore_models.common.v1 import HashAlgorithm

from tests.sigstore_local import (
    DEFAULT_SIGNER,
    BuiltBundle,
    BundleVersion,
    CertificateAuthority,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
    with_invalid_base64,
    with_media_type,
)
from tests.sigstore_local.authority import FULCIO_ISSUER_OID, FULCIO_ISSUER_V2_OID
from tests.sigstore_local.der import utf8_string

DIGEST = hashlib.sha256(b"attestd-1.0.0.tar.gz").digest()
OTHER_DIGEST = hashlib.sha256(b"attestd-1.0.1.tar.gz").digest()
STATEMENT = statement({"attestd-1.0.0.tar.gz": DIGEST})
GITHUB = DEFAULT_SIGNER
EMAIL = SignerIdentity.email("release@attestd.test")
SIGNERS = [pytest.param(GITHUB, id="github"), pytest.param(EMAIL, id="email")]
ALL_VERSIONS = list(BundleVersion)
CHAIN_VERSIONS = [BundleVersion.V0_1, BundleVersion.V0_2]


@pytest.fixture(scope="session")
def local_sigstore() -> LocalSigstore:
    return LocalSigstore.generate()


@pytest.fixture(scope="session")
def foreign_ca(local_sigstore: LocalSigstore) -> CertificateAuthority:
    """An impostor: a CA with the same names and shape that no trust root lists."""
    return CertificateAuthority.generate(valid_from=local_sigstore.valid_from)


@pytest.fixture(scope="session")
def trusted_root_path(
    local_sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return local_sigstore.write_trusted_root(tmp_path_factory.mktemp("sigstore"))


@pytest.fixture(scope="session")
def verifier(trusted_root_path: Path) -> Verifier:
    return Verifier(trusted_root=TrustedRoot.from_file(str(trusted_root_path)))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every test runs with sockets refused; an attempt fails the test even if swallowed."""
    attempts: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args!r}")
            raise OSError(f"network access refused in tests: {name}")

        return refused

    monkeypatch.setattr(socket, "socket", refuse("socket"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    yield attempts
    assert attempts == []


def test_the_network_guard_refuses_connections(no_network: list[str]) -> None:
    with pytest.raises(OSError, match="network access refused"):
        socket.create_connection(("127.0.0.1", 9))
    assert len(no_network) == 1
    no_network.clear()


def policy_for(signer: SignerIdentity) -> VerificationPolicy:
    """An exact identity policy, plus every GitHub claim the signer's certificate carries."""
    checks: list[VerificationPolicy] = [
        Identity(identity=signer.identity, issuer=signer.issuer),
        OIDCIssuerV2(signer.issuer),
    ]
    if (github := signer.github) is not None:
        assert github.source_repository_uri is not None
        assert github.source_repository_ref is not None
        assert github.build_signer_uri is not None
        assert github.runner_environment is not None
        assert github.workflow_repository is not None
        assert github.workflow_ref is not None
        checks += [
            OIDCSourceRepositoryURI(github.source_repository_uri),
            OIDCSourceRepositoryRef(github.source_repository_ref),
            OIDCBuildSignerURI(github.build_signer_uri),
            OIDCRunnerEnvironment(github.runner_environment),
            GitHubWorkflowRepository(github.workflow_repository),
            GitHubWorkflowRef(github.workflow_ref),
        ]
    return AllOf(checks)


def verify_message(
    verifier: Verifier, content: bytes, signer: SignerIdentity, digest: bytes = DIGEST
) -> None:
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)
    verifier.verify_artifact(hashed, Bundle.from_json(content), policy_for(signer))


def verify_envelope(
    verifier: Verifier, content: bytes, signer: SignerIdentity
) -> tuple[str, bytes]:
    return verifier.verify_dsse(Bundle.from_json(content), policy_for(signer))


def extension_value(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> bytes:
    value = certificate.extensions.get_extension_for_oid(oid).value
    assert isinstance(value, x509.UnrecognizedExtension)
    return value.value


def public_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- the authority and its trust root ---------------------------------------------------------


def test_trusted_root_lists_the_log_the_ca_chain_and_the_ct_log(
    local_sigstore: LocalSigstore, trusted_root_path: Path
) -> None:
    document = json.loads(trusted_root_path.read_text(encoding="utf-8"))
    assert document["mediaType"] == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

    (tlog,) = document["tlogs"]
    tlog_key = local_sigstore.tlog.key.public_key()
    assert base64.b64decode(tlog["publicKey"]["rawBytes"]) == public_der(tlog_key)
    assert base64.b64decode(tlog["logId"]["keyId"]) == hashlib.sha256(public_der(tlog_key)).digest()

    (authority,) = document["certificateAuthorities"]
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(item["rawBytes"]))
        for item in authority["certChain"]["certificates"]
    ]
    assert chain == [local_sigstore.ca.intermediate, local_sigstore.ca.root]

    (ctlog,) = document["ctlogs"]
    assert base64.b64decode(ctlog["logId"]["keyId"]) == local_sigstore.ct_log.log_id

    for valid_for in (
        tlog["publicKey"]["validFor"],
        authority["validFor"],
        ctlog["publicKey"]["validFor"],
    ):
        start = datetime.fromisoformat(valid_for["start"])
        assert start < datetime.now(UTC) - timedelta(days=1)


def test_trusted_root_loads_into_a_verifier_without_the_network(
    trusted_root_path: Path, no_network: list[str]
) -> None:
    root = TrustedRoot.from_file(str(trusted_root_path))
    Verifier(trusted_root=root)
    assert len(root.get_fulcio_certs()) == 2
    assert no_network == []


def test_ca_chain_has_the_fulcio_shape(local_sigstore: LocalSigstore) -> None:
    root, intermediate = local_sigstore.ca.root, local_sigstore.ca.intermediate
    root_key, intermediate_key = root.public_key(), intermediate.public_key()
    assert isinstance(root_key, ec.EllipticCurvePublicKey)
    assert isinstance(root_key.curve, ec.SECP384R1)
    assert isinstance(intermediate_key, ec.EllipticCurvePublicKey)
    assert isinstance(intermediate_key.curve, ec.SECP256R1)
    root.verify_directly_issued_by(root)
    intermediate.verify_directly_issued_by(root)

    constraints = intermediate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    usage = intermediate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CODE_SIGNING]


@pytest.mark.parametrize("signer", SIGNERS)
def test_leaf_has_the_fulcio_shape(local_sigstore: LocalSigstore, signer: SignerIdentity) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, signer=signer)
    leaf = built.certificate
    assert leaf.subject == x509.Name([])
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(minutes=10)
    leaf.verify_directly_issued_by(local_sigstore.ca.intermediate)

    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    name_type = x509.RFC822Name if signer.san_type == "email" else x509.UniformResourceIdentifier
    assert san.value.get_values_for_type(name_type) == [signer.identity]

    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.CODE_SIGNING]

    assert extension_value(leaf, FULCIO_ISSUER_OID) == signer.issuer.encode()
    assert extension_value(leaf, FULCIO_ISSUER_V2_OID) == utf8_string(signer.issuer)

    repository_oid = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
    if signer.github is None:
        with pytest.raises(x509.ExtensionNotFound):
            leaf.extensions.get_extension_for_oid(repository_oid)
    else:
        assert extension_value(leaf, repository_oid) == b"\x0c\x1fhttps://github.com/attestd/demo"
        ref = extension_value(leaf, x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.14"))
        assert ref == utf8_string("refs/heads/main")

    scts = leaf.extensions.get_extension_for_oid(
        ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS
    ).value
    assert isinstance(scts, x509.PrecertificateSignedCertificateTimestamps)
    (sct,) = list(scts)
    assert sct.entry_type is LogEntryType.PRE_CERTIFICATE
    assert sct.log_id == local_sigstore.ct_log.log_id
    assert leaf.tbs_precertificate_bytes != leaf.tbs_certificate_bytes


def test_log_entry_has_the_rekor_v1_shape(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    entry = built.log_entry
    assert entry is not None
    tlog_key = local_sigstore.tlog.key.public_key()
    assert entry.log_id == hashlib.sha256(public_der(tlog_key)).digest()

    body = json.loads(entry.body)
    assert rfc8785.dumps(body) == entry.body
    assert (body["kind"], body["apiVersion"]) == ("dsse", "0.0.1")
    assert body["spec"]["payloadHash"]["value"] == hashlib.sha256(built.payload or b"").hexdigest()

    # Proven against a later tree, so the proof has an inner and a right-border part.
    assert entry.log_index + 1 < entry.tree_size
    assert len(entry.proof) >= 2

    text, signature_line = entry.checkpoint.split("\n\n")
    assert text.splitlines() == [
        local_sigstore.tlog.origin,
        str(entry.tree_size),
        base64.b64encode(entry.root_hash).decode(),
    ]
    name, signature = signature_line.removeprefix("\u2014 ").rstrip("\n").split(" ")
    assert name == local_sigstore.tlog.name
    raw = base64.b64decode(signature)
    assert raw[:4] == entry.log_id[:4]
    tlog_key.verify(raw[4:], f"{text}\n".encode(), ec.ECDSA(hashes.SHA256()))

    promise: dict[str, Any] = {
        "body": base64.b64encode(entry.body).decode(),
        "integratedTime": entry.integrated_time,
        "logID": entry.log_id.hex(),
        "logIndex": entry.log_index,
    }
    tlog_key.verify(entry.signed_entry_timestamp, rfc8785.dumps(promise), ec.ECDSA(hashes.SHA256()))


# --- valid bundles verify ----------------------------------------------------------------------


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda version: version.name)
def test_message_signature_bundle_verifies(
    local_sigstore: LocalSigstore,
    verifier: Verifier,
    version: BundleVersion,
    signer: SignerIdentity,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version, signer=signer)
    material = built.document["verificationMaterial"]
    assert built.document["mediaType"] == version.value
    assert ("certificate" in material) is version.single_certificate
    assert ("x509CertificateChain" in material) is not version.single_certificate
    verify_message(verifier, built.content, signer)


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda version: version.name)
def test_dsse_bundle_verifies(
    local_sigstore: LocalSigstore,
    verifier: Verifier,
    version: BundleVersion,
    signer: SignerIdentity,
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, version=version, signer=signer)
    payload_type, payload = verify_envelope(verifier, built.content, signer)
    assert payload_type == "application/vnd.in-toto+json"
    assert json.loads(payload) == STATEMENT


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            Identity(
                identity="https://github.com/attestd/other/.github/workflows/release.yml@refs/heads/main",
                issuer=GITHUB.issuer,
            ),
            "SANs do not match",
        ),
        (
            Identity(identity=GITHUB.identity, issuer="https://accounts.attestd.test"),
            "OIDCIssuer does not match",
        ),
        (
            OIDCSourceRepositoryURI("https://github.com/attestd/other"),
            "OIDCSourceRepositoryURI does not match",
        ),
        (OIDCSourceRepositoryRef("refs/tags/v9.9.9"), "OIDCSourceRepositoryRef does not match"),
    ],
    ids=["identity", "issuer", "repository", "ref"],
)
def test_identity_mismatch_is_rejected(
    local_sigstore: LocalSigstore, verifier: Verifier, policy: VerificationPolicy, message: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, signer=GITHUB)
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=DIGEST)
    with pytest.raises(VerificationError, match=message):
        verifier.verify_artifact(hashed, Bundle.from_json(built.content), policy)


# --- faults sigstore-python rejects ------------------------------------------------------------

Kind = Literal["message", "dsse"]
Build = Callable[[LocalSigstore, CertificateAuthority], bytes]


@dataclass(frozen=True)
class Rejected:
    """A faulty bundle and how sigstore-python refuses it."""

    kind: Kind
    build: Build
    error: type[Exception]
    match: str
    verify_digest: bytes = DIGEST


def _message(*, foreign_ca: bool = False, **options: Any) -> Build:
    """Builds a message bundle; ``foreign_ca`` has the impostor CA issue the leaf."""

    def build(sigstore: LocalSigstore, foreign: CertificateAuthority) -> bytes:
        ca = foreign if foreign_ca else None
        return message_signature_bundle(sigstore, DIGEST, ca=ca, **options).content

    return build


def _dsse(*, foreign_ca: bool = False, **options: Any) -> Build:
    """Builds a DSSE bundle; ``foreign_ca`` has the impostor CA issue the leaf."""

    def build(sigstore: LocalSigstore, foreign: CertificateAuthority) -> bytes:
        ca = foreign if foreign_ca else None
        return dsse_bundle(sigstore, STATEMENT, ca=ca, **options).content

    return build


def _spoiled(build: Build, spoil: Callable[[bytes], bytes]) -> Build:
    return lambda sigstore, foreign: spoil(build(sigstore, foreign))


def _expired() -> dict[str, Any]:
    """A leaf valid for ten minutes an hour ago, logged twenty minutes after it expired."""
    now = datetime.now(UTC)
    return {"signed_at": now - timedelta(hours=1), "integrated_at": now - timedelta(minutes=30)}


V01, V02, V03 = BundleVersion.V0_1, BundleVersion.V0_2, BundleVersion.V0_3
CHAIN = "failed to build timestamp certificate chain"
UNKNOWN_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.4"
REJECTED = {
    "untrusted-chain-message-v0.1": Rejected(
        "message", _message(foreign_ca=True, version=V01), CertValidationError, CHAIN
    ),
    "untrusted-chain-dsse-v0.3": Rejected(
        "dsse", _dsse(foreign_ca=True), CertValidationError, CHAIN
    ),
    "no-tlog-entry-message": Rejected(
        "message", _message(omit_log_entry=True), InvalidBundle, "exactly one log entry"
    ),
    "no-tlog-entry-dsse-v0.1": Rejected(
        "dsse", _dsse(omit_log_entry=True, version=V01), InvalidBundle, "exactly one log entry"
    ),
    "inclusion-proof-invalid-message-v0.2": Rejected(
        "message",
        _message(corrupt_inclusion_proof=True, version=V02),
        VerificationError,
        "inclusion proof contains invalid root hash",
    ),
    "inclusion-proof-invalid-dsse": Rejected(
        "dsse",
        _dsse(corrupt_inclusion_proof=True),
        VerificationError,
        "inclusion proof contains invalid root hash",
    ),
    "unsupported-entry-kind-intoto-dsse": Rejected(
        "dsse",
        _dsse(log_entry_kind=("intoto", "0.0.2")),
        VerificationError,
        "only supported for dsse/hashedrekord 0.0.1",
    ),
    "unsupported-entry-kind-intoto-message": Rejected(
        "message",
        _message(log_entry_kind=("intoto", "0.0.2")),
        VerificationError,
        "only supported for dsse/hashedrekord 0.0.1",
    ),
    "unsupported-entry-version": Rejected(
        "message",
        _message(log_entry_kind=("hashedrekord", "0.0.3")),
        IncompatibleEntry,
        "Expected log entry version 0.0.1 - 0.0.2",
    ),
    "signature-over-another-digest": Rejected(
        "message", _message(signed_digest=OTHER_DIGEST), VerificationError, "Signature is invalid"
    ),
    "subject-digest-mismatch": Rejected(
        "message", _message(), VerificationError, "message digest mismatch", OTHER_DIGEST
    ),
    "two-dsse-signatures": Rejected(
        "dsse", _dsse(extra_signature=True), InvalidEnvelope, "exactly one signature"
    ),
    "expired-at-integrated-time-message": Rejected(
        "message", _message(**_expired()), CertValidationError, "not valid at validation time"
    ),
    "expired-at-integrated-time-dsse-v0.1": Rejected(
        "dsse", _dsse(version=V01, **_expired()), CertValidationError, "not valid at validation"
    ),
    "swapped-log-entry-message": Rejected(
        "message",
        _message(swap_log_entry=True),
        VerificationError,
        "log entry is inconsistent with other materials",
    ),
    "swapped-log-entry-dsse-v0.2": Rejected(
        "dsse",
        _dsse(swap_log_entry=True, version=V02),
        VerificationError,
        "payload hash does not match bundle",
    ),
    "unknown-media-type": Rejected(
        "message",
        _spoiled(_message(), lambda content: with_media_type(content, UNKNOWN_MEDIA_TYPE)),
        InvalidBundle,
        "(?s)failed to load bundle.*mediaType",
    ),
    "invalid-base64-signature": Rejected(
        "message", _spoiled(_message(), with_invalid_base64), InvalidBundle, "Invalid base64"
    ),
    "invalid-base64-certificate-v0.1": Rejected(
        "message",
        _spoiled(
            _message(version=V01),
            lambda content: with_invalid_base64(
                content,
                ("verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes"),
            ),
        ),
        InvalidBundle,
        "Invalid base64",
    ),
    "invalid-base64-log-body": Rejected(
        "dsse",
        _spoiled(
            _dsse(),
            lambda content: with_invalid_base64(
                content, ("verificationMaterial", "tlogEntries", 0, "canonicalizedBody")
            ),
        ),
        InvalidBundle,
        "Invalid base64",
    ),
    "invalid-base64-payload": Rejected(
        "dsse",
        _spoiled(
            _dsse(), lambda content: with_invalid_base64(content, ("dsseEnvelope", "payload"))
        ),
        InvalidBundle,
        "Invalid base64",
    ),
}


@pytest.mark.parametrize("case", REJECTED.values(), ids=REJECTED.keys())
def test_sigstore_python_rejects_the_fault(
    local_sigstore: LocalSigstore,
    foreign_ca: CertificateAuthority,
    verifier: Verifier,
    case: Rejected,
) -> None:
    content = case.build(local_sigstore, foreign_ca)
    if case.kind == "message":
        with pytest.raises(case.error, match=case.match):
            verify_message(verifier, content, GITHUB, case.verify_digest)
    else:
        with pytest.raises(case.error, match=case.match):
            verify_envelope(verifier, content, GITHUB)


# --- faults built as described (sigstore-python lets some through) ---------------------------


def test_wrong_payload_type_passes_sigstore_python(
    local_sigstore: LocalSigstore, verifier: Verifier
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, payload_type="application/json")
    assert built.document["dsseEnvelope"]["payloadType"] == "application/json"
    payload_type, _ = verify_envelope(verifier, built.content, GITHUB)
    assert payload_type == "application/json"


def test_two_dsse_signatures_are_both_valid_and_logged(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, extra_signature=True)
    signatures = [
        base64.b64decode(item["sig"]) for item in built.document["dsseEnvelope"]["signatures"]
    ]
    assert len(signatures) == 2
    assert signatures[0] != signatures[1]
    payload_type = built.payload_type or ""
    payload = built.payload or b""
    pae = b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(payload), payload)
    key = built.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    for signature in signatures:
        key.verify(signature, pae, ec.ECDSA(hashes.SHA256()))
    assert built.log_entry is not None
    assert len(json.loads(built.log_entry.body)["spec"]["signatures"]) == 2


def test_swapped_log_entry_is_a_valid_entry_of_another_signature(
    local_sigstore: LocalSigstore, verifier: Verifier
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, swap_log_entry=True)
    assert built.log_entry is not None
    spec = json.loads(built.log_entry.body)["spec"]
    logged_certificate = x509.load_pem_x509_certificate(
        base64.b64decode(spec["signature"]["publicKey"]["content"])
    )
    assert logged_certificate != built.certificate
    assert spec["data"]["hash"]["value"] != DIGEST.hex()
    assert spec["signature"]["content"] != built.document["messageSignature"]["signature"]
    # The entry itself is sound: only its link to this bundle's signature is false.
    with pytest.raises(VerificationError, match="inconsistent with other materials"):
        verify_message(verifier, built.content, GITHUB)


@pytest.mark.parametrize("version", CHAIN_VERSIONS, ids=lambda version: version.name)
def test_root_ca_in_the_chain_passes_sigstore_python_with_a_warning(
    local_sigstore: LocalSigstore,
    verifier: Verifier,
    caplog: pytest.LogCaptureFixture,
    version: BundleVersion,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version, include_root_ca=True)
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(item["rawBytes"]))
        for item in built.document["verificationMaterial"]["x509CertificateChain"]["certificates"]
    ]
    assert chain == [built.certificate, local_sigstore.ca.intermediate, local_sigstore.ca.root]
    with caplog.at_level(logging.WARNING, logger="sigstore.models"):
        verify_message(verifier, built.content, GITHUB)
    assert any("contains a root CA" in record.getMessage() for record in caplog.records)


def test_root_ca_cannot_join_a_v03_bundle(local_sigstore: LocalSigstore) -> None:
    with pytest.raises(ValueError, match="leaf alone"):
        message_signature_bundle(local_sigstore, DIGEST, include_root_ca=True)


@pytest.mark.parametrize("kind", ["message", "dsse"])
def test_integrated_time_in_the_future_passes_sigstore_python(
    local_sigstore: LocalSigstore, verifier: Verifier, kind: Kind
) -> None:
    """sigstore-python checks the time against the leaf's validity, never against the clock."""
    integrated_at = datetime.now(UTC) + timedelta(minutes=5)
    if kind == "message":
        built = message_signature_bundle(local_sigstore, DIGEST, integrated_at=integrated_at)
        verify_message(verifier, built.content, GITHUB)
    else:
        built = dsse_bundle(local_sigstore, STATEMENT, integrated_at=integrated_at)
        verify_envelope(verifier, built.content, GITHUB)
    assert built.log_entry is not None
    assert built.log_entry.integrated_time == int(integrated_at.timestamp())
    assert built.document["verificationMaterial"]["tlogEntries"][0]["integratedTime"] == str(
        int(integrated_at.timestamp())
    )


def test_certificate_and_log_entry_in_the_future_pass_sigstore_python(
    local_sigstore: LocalSigstore, verifier: Verifier
) -> None:
    signed_at = datetime.now(UTC) + timedelta(days=1)
    built = message_signature_bundle(local_sigstore, DIGEST, signed_at=signed_at)
    assert built.certificate.not_valid_before_utc > datetime.now(UTC)
    verify_message(verifier, built.content, GITHUB)


def test_expired_fault_logs_after_the_leaf_expired(local_sigstore: LocalSigstore) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, **_expired())
    assert built.log_entry is not None
    integrated = datetime.fromtimestamp(built.log_entry.integrated_time, UTC)
    assert integrated > built.certificate.not_valid_after_utc


def test_unsupported_kind_is_logged_as_that_kind(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=("intoto", "0.0.2"))
    entry = built.document["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "intoto", "version": "0.0.2"}
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    assert (body["kind"], body["apiVersion"]) == ("intoto", "0.0.2")
    (signature,) = body["spec"]["content"]["envelope"]["signatures"]
    sig = built.document["dsseEnvelope"]["signatures"][0]["sig"]
    assert base64.b64decode(signature["sig"]).decode() == sig


def test_unknown_media_type_changes_only_the_media_type(local_sigstore: LocalSigstore) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    relabelled = json.loads(with_media_type(built.content, UNKNOWN_MEDIA_TYPE))
    assert relabelled.pop("mediaType") == UNKNOWN_MEDIA_TYPE
    original = built.document
    original.pop("mediaType")
    assert relabelled == original


@pytest.mark.parametrize(
    "path",
    [("messageSignature", "signature"), ("verificationMaterial", "certificate", "rawBytes")],
    ids=["signature", "certificate"],
)
def test_base64_outside_the_alphabet_passes_sigstore_python(
    local_sigstore: LocalSigstore, verifier: Verifier, path: tuple[str, ...]
) -> None:
    """Lax decoding drops the stray characters, so a strict decoder is attestd's job."""
    built = message_signature_bundle(local_sigstore, DIGEST)
    spoiled = with_invalid_base64(built.content, path, style="alphabet")
    value: Any = json.loads(spoiled)
    for step in path:
        value = value[step]
    assert "!*" in value
    with pytest.raises(ValueError, match=r"Non-base64|Only base64"):
        base64.b64decode(value, validate=True)
    verify_message(verifier, spoiled, GITHUB)


def test_truncated_base64_cannot_be_decoded(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    spoiled = json.loads(with_invalid_base64(built.content))
    value = spoiled["dsseEnvelope"]["signatures"][0]["sig"]
    assert len(value) % 4 == 1
    with pytest.raises(ValueError, match="base64"):
        base64.b64decode(value)


def test_leaf_from_a_foreign_ca_is_well_formed_but_untrusted(
    local_sigstore: LocalSigstore, foreign_ca: CertificateAuthority
) -> None:
    built: BuiltBundle = message_signature_bundle(local_sigstore, DIGEST, ca=foreign_ca)
    built.certificate.verify_directly_issued_by(foreign_ca.intermediate)
    with pytest.raises(InvalidSignature):
        built.certificate.verify_directly_issued_by(local_sigstore.ca.intermediate)
