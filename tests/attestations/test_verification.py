"""Verifying bundles offline: valid ones get a receipt, each fault gets its reason slug."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sigstore
from sigstore.models import Bundle
from sigstore.verify.policy import (
    AllOf,
    AnyOf,
    GitHubWorkflowRepository,
    Identity,
    OIDCSourceRepositoryURI,
    UnsafeNoOp,
    VerificationPolicy,
)

from app.attestations.bundles import (
    BundleKind,
    BundleRejected,
    ParsedBundle,
    parse_bundle,
)
from app.attestations.trust import TrustRoot, load_trust_root
from app.attestations.verification import (
    PREDICATE_TYPES,
    Receipt,
    Subject,
    Verified,
    verify,
    verify_policy_again,
)
from tests.attestations.public_cases import CASES, FIXTURES, RFC8785, Case, needs_fixtures
from tests.sigstore_local import (
    DEFAULT_SIGNER,
    GITHUB_ACTIONS_ISSUER,
    BundleVersion,
    CertificateAuthority,
    CTLog,
    LocalSigstore,
    SignerIdentity,
    TransparencyLog,
    dsse_bundle,
    message_signature_bundle,
    statement,
)

DIGEST = hashlib.sha256(b"attestd-1.0.0.tar.gz").digest()
OTHER_DIGEST = hashlib.sha256(b"attestd-1.0.1.tar.gz").digest()
ARTIFACT = "sha256:" + DIGEST.hex()
OTHER_ARTIFACT = "sha256:" + OTHER_DIGEST.hex()
STATEMENT = statement({"attestd-1.0.0.tar.gz": DIGEST})
GITHUB = DEFAULT_SIGNER
EMAIL = SignerIdentity.email("release@attestd.test")
POLICY_DIGEST = "sha256:" + "ab" * 32
JSON = "application/json"
IN_TOTO = "application/vnd.in-toto+json"

# The receipt's claim names for the fields of the local authority's GitHubClaims.
CLAIM_NAMES = {
    "workflow_trigger": "github_workflow_trigger",
    "workflow_sha": "github_workflow_sha",
    "workflow_name": "github_workflow_name",
    "workflow_repository": "github_workflow_repository",
    "workflow_ref": "github_workflow_ref",
    "source_repository_visibility": "source_repository_visibility_at_signing",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every test runs with sockets refused; an attempt fails the test even if swallowed."""
    attempts: list[str] = []

    def refused(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise OSError("network access refused in tests")

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refused)
    yield attempts
    assert attempts == []


def policy_for(signer: SignerIdentity) -> VerificationPolicy:
    return Identity(identity=signer.identity, issuer=signer.issuer)


def check(
    content: bytes,
    roots: list[TrustRoot],
    *,
    policy: VerificationPolicy | None = None,
    artifact: str | None = None,
    now: datetime | None = None,
    **options: Any,
) -> Verified:
    parsed = parse_bundle(content, JSON)
    return verify(
        parsed,
        trust_roots=roots,
        policy=policy or policy_for(GITHUB),
        policy_digest=POLICY_DIGEST,
        artifact=artifact,
        now=now or datetime.now(UTC),
        **options,
    )


def refused(content: bytes, roots: list[TrustRoot], **options: Any) -> BundleRejected:
    with pytest.raises(BundleRejected) as raised:
        check(content, roots, **options)
    problem = raised.value
    assert problem.status == 422
    assert problem.slug == "bundle-rejected"
    assert problem.reasons
    for reason, slug in zip(problem.reasons, problem.slugs, strict=True):
        assert reason.startswith(f"{slug}: ")
        assert "\n" not in reason
        assert len(reason) < 400
    return problem


def edited(content: bytes, edit: Callable[[dict[str, Any]], object]) -> bytes:
    document = json.loads(content)
    edit(document)
    return json.dumps(document, indent=2).encode()


def expected_claims(signer: SignerIdentity) -> dict[str, str]:
    if signer.github is None:
        return {}
    return {
        CLAIM_NAMES.get(name, name): value
        for name, value in dataclasses.asdict(signer.github).items()
        if value is not None
    }


def assert_receipt(
    receipt: Receipt, built: Any, root: TrustRoot, signer: SignerIdentity, now: datetime
) -> None:
    entry = built.log_entry
    assert receipt.verified is True
    assert receipt.signer_subject == signer.identity
    assert receipt.signer_issuer == signer.issuer
    assert dict(receipt.claims) == expected_claims(signer)
    assert receipt.log_index == entry.log_index
    assert receipt.log_id == entry.log_id.hex()
    assert receipt.integrated_time == datetime.fromtimestamp(entry.integrated_time, UTC)
    assert receipt.trust_root_source == root.source
    assert receipt.trust_root_digest == root.digest
    assert receipt.policy_digest == POLICY_DIGEST
    assert receipt.sigstore_version == sigstore.__version__
    assert receipt.verified_at == now


# --- valid bundles ----------------------------------------------------------------------------

SIGNERS = [pytest.param(GITHUB, id="github"), pytest.param(EMAIL, id="email")]
VERSIONS = [pytest.param(version, id=version.name) for version in BundleVersion]


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_message_signature_bundles_verify(
    local_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    version: BundleVersion,
    signer: SignerIdentity,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version, signer=signer)
    now = datetime.now(UTC)
    verified = check(built.content, [trust_root], policy=policy_for(signer), now=now)
    assert verified.kind is BundleKind.MESSAGE_SIGNATURE
    assert verified.subjects == (Subject(None, ARTIFACT),)
    assert verified.predicate_type is None
    assert verified.statement is None
    assert_receipt(verified.receipt, built, trust_root, signer, now)


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_dsse_bundles_verify(
    local_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    version: BundleVersion,
    signer: SignerIdentity,
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, version=version, signer=signer)
    now = datetime.now(UTC)
    verified = check(built.content, [trust_root], policy=policy_for(signer), now=now)
    assert verified.kind is BundleKind.DSSE
    assert verified.subjects == (Subject("attestd-1.0.0.tar.gz", ARTIFACT),)
    assert verified.predicate_type == "https://slsa.dev/provenance/v1"
    assert verified.statement == STATEMENT
    assert_receipt(verified.receipt, built, trust_root, signer, now)


def test_the_named_artifact_is_accepted_when_it_is_what_the_bundle_signs(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    message = message_signature_bundle(local_sigstore, DIGEST)
    assert check(message.content, [trust_root], artifact=ARTIFACT).subjects[0].digest == ARTIFACT
    two = statement({"a.tar.gz": OTHER_DIGEST, "b.tar.gz": DIGEST})
    envelope = dsse_bundle(local_sigstore, two)
    verified = check(envelope.content, [trust_root], artifact=ARTIFACT)
    assert verified.subjects == (Subject("a.tar.gz", OTHER_ARTIFACT), Subject("b.tar.gz", ARTIFACT))


def test_an_npm_shaped_statement_v01_with_sha512_verifies(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    sha512 = hashlib.sha512(b"sigstore-1.0.0.tgz").hexdigest()
    document = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "pkg:npm/sigstore@1.0.0", "digest": {"sha512": sha512}}],
        "predicateType": "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
        "predicate": {
            "name": "sigstore",
            "version": "1.0.0",
            "registry": "https://registry.npmjs.org",
        },
    }
    built = dsse_bundle(local_sigstore, document)
    verified = check(built.content, [trust_root], artifact=f"sha512:{sha512}")
    assert verified.subjects == (Subject("pkg:npm/sigstore@1.0.0", f"sha512:{sha512}"),)


def test_a_subject_with_both_digests_is_recorded_by_sha256_and_matched_by_either(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    sha512 = hashlib.sha512(b"attestd-1.0.0.tar.gz").hexdigest()
    document = {
        **STATEMENT,
        "subject": [
            {
                "name": "a",
                "digest": {"sha512": sha512, "sha256": DIGEST.hex(), "gitCommit": "0" * 40},
            }
        ],
    }
    built = dsse_bundle(local_sigstore, document)
    for artifact in (ARTIFACT, f"sha512:{sha512}"):
        verified = check(built.content, [trust_root], artifact=artifact)
        assert verified.subjects == (Subject("a", ARTIFACT),)


def test_a_subject_without_a_name_is_kept(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    document = {**STATEMENT, "subject": [{"digest": {"sha256": DIGEST.hex()}}]}
    verified = check(dsse_bundle(local_sigstore, document).content, [trust_root])
    assert verified.subjects == (Subject(None, ARTIFACT),)


@pytest.mark.parametrize("predicate_type", sorted(PREDICATE_TYPES))
def test_every_allowed_predicate_type_verifies(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, predicate_type: str
) -> None:
    built = dsse_bundle(local_sigstore, statement({"a": DIGEST}, predicate_type))
    assert check(built.content, [trust_root]).predicate_type == predicate_type


def test_the_predicate_allow_list_can_be_narrowed(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    problem = refused(built.content, [trust_root], predicate_types=frozenset({"https://x.test/p"}))
    assert problem.slugs == ("predicate-type",)


def test_receipt_as_dict_is_json_ready(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    receipt = check(built.content, [trust_root]).receipt
    document = json.loads(json.dumps(receipt.as_dict()))
    assert document["signer"]["subject"] == GITHUB.identity
    assert (
        document["signer"]["claims"]["source_repository_uri"] == "https://github.com/attestd/demo"
    )
    assert document["tlog"]["log_id"] == receipt.log_id
    assert document["trust_root"]["digest"] == trust_root.digest
    assert datetime.fromisoformat(document["tlog"]["integrated_time"]) == receipt.integrated_time


# --- several trust roots ------------------------------------------------------------------------


def test_the_first_root_that_verifies_is_recorded(
    local_sigstore: LocalSigstore,
    other_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    other_root: TrustRoot,
) -> None:
    built = message_signature_bundle(other_sigstore, DIGEST)
    receipt = check(built.content, [trust_root, other_root]).receipt
    assert receipt.trust_root_digest == other_root.digest
    assert receipt.trust_root_source == other_root.source
    assert receipt.trust_root_digest != trust_root.digest

    built = message_signature_bundle(local_sigstore, DIGEST)
    assert (
        check(built.content, [trust_root, other_root]).receipt.trust_root_digest
        == trust_root.digest
    )


def test_when_no_root_verifies_each_gives_its_reason(
    trust_root: TrustRoot, other_root: TrustRoot, foreign_sigstore: LocalSigstore
) -> None:
    built = message_signature_bundle(foreign_sigstore, DIGEST)
    problem = refused(built.content, [trust_root, other_root])
    assert problem.slugs == ("untrusted-chain", "untrusted-chain")
    assert problem.reasons[0].endswith(f"(trust root {trust_root.digest[:19]})")
    assert problem.reasons[1].endswith(f"(trust root {other_root.digest[:19]})")


def test_the_production_root_refuses_a_local_bundle(
    local_sigstore: LocalSigstore, production_root: TrustRoot
) -> None:
    for built in (
        message_signature_bundle(local_sigstore, DIGEST),
        dsse_bundle(local_sigstore, STATEMENT),
    ):
        assert refused(built.content, [production_root]).slugs == ("untrusted-chain",)


def test_no_trust_root_at_all_is_a_programming_error(
    local_sigstore: LocalSigstore,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    with pytest.raises(ValueError, match="at least one trust root"):
        check(built.content, [])


# --- one fault, one reason ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def foreign_sigstore(local_sigstore: LocalSigstore) -> LocalSigstore:
    """An impostor: its own CA, CT log and transparency log, in no trust root."""
    return LocalSigstore.generate()


@pytest.fixture(scope="session")
def foreign_ca(local_sigstore: LocalSigstore) -> CertificateAuthority:
    return CertificateAuthority.generate(valid_from=local_sigstore.valid_from)


@pytest.fixture(scope="session")
def foreign_ct(local_sigstore: LocalSigstore) -> LocalSigstore:
    """The trusted CA and log, but SCTs from a CT log no trust root lists."""
    return LocalSigstore(
        ca=local_sigstore.ca,
        ct_log=CTLog.generate(),
        tlog=local_sigstore.tlog,
        valid_from=local_sigstore.valid_from,
    )


@pytest.fixture(scope="session")
def foreign_log(local_sigstore: LocalSigstore) -> LocalSigstore:
    """The trusted CA and CT log, but entries in a transparency log no trust root lists."""
    return LocalSigstore(
        ca=local_sigstore.ca,
        ct_log=local_sigstore.ct_log,
        tlog=TransparencyLog.generate(),
        valid_from=local_sigstore.valid_from,
    )


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        (
            Identity(
                identity="https://github.com/attestd/other/.github/workflows/x.yml@refs/heads/main",
                issuer=GITHUB_ACTIONS_ISSUER,
            ),
            "SANs do not match",
        ),
        (Identity(identity=GITHUB.identity, issuer="https://accounts.attestd.test"), "OIDCIssuer"),
        (
            AllOf(
                [policy_for(GITHUB), OIDCSourceRepositoryURI("https://github.com/attestd/other")]
            ),
            "OIDCSourceRepositoryURI",
        ),
        (
            AllOf([policy_for(GITHUB), GitHubWorkflowRepository("attestd/other")]),
            "GitHubWorkflowRepository",
        ),
        (AnyOf([]), "0 of 0 policies"),
        (AllOf([]), "no child policies"),
        (UnsafeNoOp(), "allows any signer"),
    ],
    ids=[
        "identity",
        "issuer",
        "repository",
        "workflow-repository",
        "any-of-none",
        "all-of-none",
        "unsafe-no-op",
    ],
)
def test_identity_mismatch(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, policy: VerificationPolicy, says: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = refused(built.content, [trust_root], policy=policy)
    assert problem.slugs == ("identity-mismatch",)
    assert says in problem.reasons[0]


def test_identity_mismatch_names_the_signer(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, signer=EMAIL)
    problem = refused(built.content, [trust_root], policy=policy_for(GITHUB))
    assert problem.slugs == ("identity-mismatch",)
    assert f"the signer {EMAIL.identity!r} (issuer {EMAIL.issuer!r})" in problem.reasons[0]


class _BrokenPolicy:
    def verify(self, cert: Any) -> None:
        raise KeyError("a policy bug")


def test_a_policy_that_raises_anything_refuses(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    assert refused(built.content, [trust_root], policy=_BrokenPolicy()).slugs == (
        "identity-mismatch",
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_untrusted_chain(
    local_sigstore: LocalSigstore,
    trust_root: TrustRoot,
    foreign_ca: CertificateAuthority,
    version: BundleVersion,
) -> None:
    for built in (
        message_signature_bundle(local_sigstore, DIGEST, ca=foreign_ca, version=version),
        dsse_bundle(local_sigstore, STATEMENT, ca=foreign_ca, version=version),
    ):
        assert refused(built.content, [trust_root]).slugs == ("untrusted-chain",)


def _expired() -> dict[str, datetime]:
    """A leaf valid for ten minutes an hour ago, logged twenty minutes after it expired."""
    now = datetime.now(UTC)
    return {"signed_at": now - timedelta(hours=1), "integrated_at": now - timedelta(minutes=30)}


def test_expired_certificate(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    for built in (
        message_signature_bundle(local_sigstore, DIGEST, **_expired()),
        dsse_bundle(local_sigstore, STATEMENT, version=BundleVersion.V0_1, **_expired()),
    ):
        problem = refused(built.content, [trust_root])
        assert problem.slugs == ("expired-certificate",)
        assert "was not valid at the integrated time" in problem.reasons[0]


def test_certificate_not_yet_valid_when_logged(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    now = datetime.now(UTC)
    built = message_signature_bundle(
        local_sigstore,
        DIGEST,
        signed_at=now - timedelta(minutes=5),
        integrated_at=now - timedelta(minutes=20),
    )
    assert refused(built.content, [trust_root]).slugs == ("expired-certificate",)


def test_sct_from_an_unknown_ct_log(foreign_ct: LocalSigstore, trust_root: TrustRoot) -> None:
    built = message_signature_bundle(foreign_ct, DIGEST)
    assert refused(built.content, [trust_root]).slugs == ("sct-invalid",)


def test_inclusion_proof_invalid(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    for built in (
        message_signature_bundle(local_sigstore, DIGEST, corrupt_inclusion_proof=True),
        dsse_bundle(
            local_sigstore, STATEMENT, corrupt_inclusion_proof=True, version=BundleVersion.V0_2
        ),
    ):
        assert refused(built.content, [trust_root]).slugs == ("inclusion-proof-invalid",)


def test_entry_of_an_unknown_log(foreign_log: LocalSigstore, trust_root: TrustRoot) -> None:
    built = message_signature_bundle(foreign_log, DIGEST)
    assert refused(built.content, [trust_root]).slugs == ("inclusion-proof-invalid",)


def test_inclusion_promise_invalid(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)

    def spoil(document: dict[str, Any]) -> None:
        promise = document["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
        raw = bytearray(base64.b64decode(promise["signedEntryTimestamp"]))
        raw[-1] ^= 1
        promise["signedEntryTimestamp"] = base64.b64encode(bytes(raw)).decode()

    assert refused(edited(built.content, spoil), [trust_root]).slugs == (
        "inclusion-promise-invalid",
    )


def test_swapped_log_entry(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    """CVE-2022-36056: a valid entry of another signature is not this bundle's entry."""
    for built in (
        message_signature_bundle(local_sigstore, DIGEST, swap_log_entry=True),
        dsse_bundle(local_sigstore, STATEMENT, swap_log_entry=True, version=BundleVersion.V0_2),
    ):
        assert refused(built.content, [trust_root]).slugs == ("tlog-entry-mismatch",)


def test_signature_invalid(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    message = message_signature_bundle(local_sigstore, DIGEST, signed_digest=OTHER_DIGEST)
    assert refused(message.content, [trust_root]).slugs == ("signature-invalid",)

    envelope = dsse_bundle(local_sigstore, STATEMENT)
    other = json.dumps(statement({"evil.tar.gz": OTHER_DIGEST}), separators=(",", ":")).encode()

    def replace_payload(document: dict[str, Any]) -> None:
        document["dsseEnvelope"]["payload"] = base64.b64encode(other).decode()

    assert refused(edited(envelope.content, replace_payload), [trust_root]).slugs == (
        "signature-invalid",
    )


def _unchecked(local_sigstore: LocalSigstore, content: bytes) -> ParsedBundle:
    """A bundle that skipped parse_bundle's refusals, as if it had slipped past them."""
    bundle = Bundle.from_json(content)
    entry = json.loads(content)["verificationMaterial"]["tlogEntries"][0]
    parsed = parse_bundle(dsse_bundle(local_sigstore, STATEMENT).content, JSON)
    return dataclasses.replace(
        parsed,
        bundle=bundle,
        certificate=bundle.signing_certificate,
        log_entry=dataclasses.replace(
            parsed.log_entry,
            kind=entry["kindVersion"]["kind"],
            version=entry["kindVersion"]["version"],
            integrated_time=datetime.fromtimestamp(int(entry["integratedTime"]), UTC),
        ),
    )


def _verify(parsed: ParsedBundle, root: TrustRoot) -> BundleRejected:
    with pytest.raises(BundleRejected) as raised:
        verify(
            parsed,
            trust_roots=[root],
            policy=policy_for(GITHUB),
            policy_digest=POLICY_DIGEST,
            artifact=None,
            now=datetime.now(UTC),
        )
    return raised.value


def test_an_unsupported_entry_kind_is_refused_by_verification_too(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=("intoto", "0.0.2"))
    problem = _verify(_unchecked(local_sigstore, built.content), trust_root)
    assert problem.slugs == ("unsupported-entry-kind",)
    assert "intoto/0.0.2" in problem.reasons[0]


def test_two_dsse_signatures_are_refused_by_verification_too(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, extra_signature=True)
    assert _verify(_unchecked(local_sigstore, built.content), trust_root).slugs == (
        "dsse-signatures",
    )


class _Exploding:
    """A verifier whose libraries fail in a way nobody planned for."""

    def verify_artifact(self, *args: Any) -> None:
        raise TypeError("unexpected key type")

    def verify_dsse(self, *args: Any) -> tuple[str, bytes]:
        raise ZeroDivisionError


def test_an_unexpected_failure_is_a_refusal_not_a_server_error(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    root = dataclasses.replace(trust_root, verifier=_Exploding())  # type: ignore[arg-type]
    message = message_signature_bundle(local_sigstore, DIGEST)
    problem = refused(message.content, [root])
    assert problem.reasons == ["verification-failed: TypeError: unexpected key type"]
    envelope = dsse_bundle(local_sigstore, STATEMENT)
    assert refused(envelope.content, [root]).reasons == [
        "verification-failed: ZeroDivisionError: ZeroDivisionError"
    ]


def test_an_unreadable_signed_timestamp(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    garbage = base64.b64encode(b"not an RFC 3161 response").decode()

    def add_timestamp(document: dict[str, Any]) -> None:
        document["verificationMaterial"]["timestampVerificationData"] = {
            "rfc3161Timestamps": [{"signedTimestamp": garbage}]
        }

    assert refused(edited(built.content, add_timestamp), [trust_root]).slugs == (
        "timestamp-invalid",
    )


@pytest.mark.parametrize("kind", ["message", "dsse"])
def test_integrated_time_in_the_future(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, kind: str
) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(minutes=10)
    build = message_signature_bundle if kind == "message" else dsse_bundle
    subject: Any = DIGEST if kind == "message" else STATEMENT
    built = build(
        local_sigstore, subject, signed_at=later - timedelta(seconds=5), integrated_at=later
    )
    problem = refused(built.content, [trust_root], now=now)
    assert problem.slugs == ("integrated-time-future",)
    # Within the allowed skew, the same bundle is fine.
    assert check(built.content, [trust_root], now=now, max_clock_skew=timedelta(minutes=11))
    assert check(built.content, [trust_root], now=now + timedelta(minutes=6))


def test_payload_type(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, payload_type="application/json")
    problem = refused(built.content, [trust_root])
    assert problem.slugs == ("payload-type",)
    assert "'application/json'" in problem.reasons[0]


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([STATEMENT], "not a JSON object"),
        ({**STATEMENT, "predicate": float("nan")}, "expected a JSON value"),
        ({**STATEMENT, "predicate": "text"}, "predicate is not a JSON object"),
        ({**STATEMENT, "subject": {"name": "a"}}, "subject is not an array"),
        ({**STATEMENT, "subject": ["a"]}, "subject 0 is not an object"),
        (
            {**STATEMENT, "subject": [{"name": 7, "digest": {"sha256": DIGEST.hex()}}]},
            "name is not a string",
        ),
        ({**STATEMENT, "nul": "a\u0000b"}, "NUL"),
    ],
    ids=["a-list", "nan", "predicate", "subject-object", "subject-string", "name", "nul"],
)
def test_statement_malformed(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, document: Any, says: str
) -> None:
    built = dsse_bundle(local_sigstore, document)
    problem = refused(built.content, [trust_root])
    assert "statement-malformed" in problem.slugs
    assert says.lower() in " ".join(problem.reasons).lower()


@pytest.mark.parametrize(
    "statement_type", ["https://in-toto.io/Statement/v0.2", "https://in-toto.io/statement/v1", None]
)
def test_statement_type(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, statement_type: str | None
) -> None:
    document = {**STATEMENT, "_type": statement_type}
    if statement_type is None:
        del document["_type"]
    assert refused(dsse_bundle(local_sigstore, document).content, [trust_root]).slugs == (
        "statement-type",
    )


@pytest.mark.parametrize("subjects", [[], None], ids=["empty", "absent"])
def test_no_subjects(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, subjects: list[Any] | None
) -> None:
    document = {**STATEMENT, "subject": subjects}
    if subjects is None:
        del document["subject"]
    problem = refused(dsse_bundle(local_sigstore, document).content, [trust_root])
    assert problem.slugs == ("no-subjects",)
    # With nothing to compare, a named artifact adds no second reason.
    problem = refused(
        dsse_bundle(local_sigstore, document).content, [trust_root], artifact=ARTIFACT
    )
    assert problem.slugs == ("no-subjects",)


@pytest.mark.parametrize(
    "digest",
    [
        {"sha256": DIGEST.hex().upper()},
        {"sha256": DIGEST.hex()[:-1]},
        {"sha256": DIGEST.hex() + "00"},
        {"sha512": DIGEST.hex()},
        {"sha1": "a" * 40},
        {"SHA256": DIGEST.hex()},
        {"sha256": int.from_bytes(DIGEST[:4], "big")},
        {},
        "sha256:" + DIGEST.hex(),
        # A good sha512 does not excuse a bad sha256.
        {"sha256": "x" * 64, "sha512": "a" * 128},
    ],
    ids=[
        "upper",
        "short",
        "long",
        "sha512-length",
        "sha1-only",
        "upper-name",
        "number",
        "empty",
        "a-string",
        "one-bad",
    ],
)
def test_subject_digest(local_sigstore: LocalSigstore, trust_root: TrustRoot, digest: Any) -> None:
    document = {
        **STATEMENT,
        "subject": [
            {"name": "good", "digest": {"sha256": DIGEST.hex()}},
            {"name": "bad", "digest": digest},
        ],
    }
    problem = refused(dsse_bundle(local_sigstore, document).content, [trust_root])
    assert problem.slugs == ("subject-digest",)
    assert problem.reasons[0].startswith("subject-digest: subject 1")


def test_subject_digest_reasons_are_capped(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    document = {**STATEMENT, "subject": [{"digest": {"sha1": "a" * 40}}] * 50}
    problem = refused(dsse_bundle(local_sigstore, document).content, [trust_root])
    assert problem.slugs == ("subject-digest",) * 5


@pytest.mark.parametrize(
    "predicate_type",
    [
        "https://slsa.dev/provenance/v0.1",
        "https://slsa.dev/provenance/v1 ",
        "https://cyclonedx.org/bom/v2.0",
        "https://spdx.dev/Document/v9",
        "",
        None,
        7,
    ],
)
def test_predicate_type(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, predicate_type: Any
) -> None:
    document = {**STATEMENT, "predicateType": predicate_type}
    if predicate_type is None:
        del document["predicateType"]
    assert refused(dsse_bundle(local_sigstore, document).content, [trust_root]).slugs == (
        "predicate-type",
    )


def test_subject_digest_mismatch(local_sigstore: LocalSigstore, trust_root: TrustRoot) -> None:
    message = message_signature_bundle(local_sigstore, DIGEST)
    for artifact in (OTHER_ARTIFACT, "sha512:" + hashlib.sha512(b"x").hexdigest()):
        problem = refused(message.content, [trust_root], artifact=artifact)
        assert problem.slugs == ("subject-digest-mismatch",)
        assert artifact in problem.reasons[0]
    envelope = dsse_bundle(local_sigstore, STATEMENT)
    problem = refused(envelope.content, [trust_root], artifact=OTHER_ARTIFACT)
    assert problem.slugs == ("subject-digest-mismatch",)


def test_statement_faults_are_reported_together(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    document = {
        "_type": "https://in-toto.io/Statement/v0.2",
        "subject": [
            {"name": "a", "digest": {"sha1": "a" * 40}},
            {"digest": {"sha256": DIGEST.hex()}},
        ],
        "predicateType": "https://example.test/custom",
    }
    problem = refused(
        dsse_bundle(local_sigstore, document).content, [trust_root], artifact=OTHER_ARTIFACT
    )
    assert problem.slugs == (
        "statement-type",
        "predicate-type",
        "subject-digest",
        "subject-digest-mismatch",
    )


def test_the_statement_is_not_read_when_sigstore_python_refuses(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, foreign_ca: CertificateAuthority
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, payload_type="text/plain", ca=foreign_ca)
    assert refused(built.content, [trust_root]).slugs == ("untrusted-chain",)


# --- real public bundles (../shared/fixtures/sigstore) -----------------------------------------


@pytest.fixture(scope="module")
def fixture_roots() -> dict[str, TrustRoot]:
    return {
        folder: load_trust_root(FIXTURES / folder / "trusted_root.json")
        for folder in ("production", "staging")
    }


@needs_fixtures
def test_every_fixture_bundle_has_a_case() -> None:
    listed = {path.name for path in FIXTURES.glob("*/*.sigstore*")}
    assert listed == {case.bundle for case in CASES.values()}


@needs_fixtures
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_public_bundle_verdicts(case: Case, fixture_roots: dict[str, TrustRoot]) -> None:
    content = case.content()
    artifact = case.artifact_digest()
    root = fixture_roots[case.root or case.folder]
    now = datetime.now(UTC)

    def run() -> Verified:
        return verify(
            parse_bundle(content, JSON),
            trust_roots=[root],
            policy=case.policy,
            policy_digest=POLICY_DIGEST,
            artifact=artifact,
            now=now,
            keys=case.trusted_keys,
            allow_v01_inclusion_promise=case.allow_v01_inclusion_promise,
        )

    if case.verdict != "valid":
        with pytest.raises(BundleRejected) as raised:
            run()
        assert raised.value.slugs == (case.verdict,)
        return

    verified = run()
    receipt = verified.receipt
    assert receipt.trust_root_digest == root.digest
    assert receipt.signer_subject == (case.key_name or case.signer.subject)
    assert receipt.log_id
    if artifact is not None:
        assert verified.kind is BundleKind.MESSAGE_SIGNATURE
        assert verified.subjects == (Subject(None, artifact),)
    if case.subject is not None:
        assert verified.kind is BundleKind.DSSE
        ((name, digest),) = [(subject.name, subject.digest) for subject in verified.subjects]
        assert name == case.subject.name
        assert digest.startswith(case.subject.digest)
        assert verified.predicate_type == case.predicate_type


@needs_fixtures
def test_the_github_fixture_receipt_carries_its_claims(fixture_roots: dict[str, TrustRoot]) -> None:
    folder = FIXTURES / "production"
    verified = verify(
        parse_bundle((folder / "bundle_v3_github.whl.sigstore").read_bytes(), JSON),
        trust_roots=[fixture_roots["production"]],
        policy=CASES["github-message-v0.2"].policy,
        policy_digest=POLICY_DIGEST,
        artifact=None,
        now=datetime.now(UTC),
    )
    receipt = verified.receipt
    assert receipt.signer_subject == RFC8785
    assert receipt.signer_issuer == GITHUB_ACTIONS_ISSUER
    assert receipt.claims["source_repository_uri"] == "https://github.com/trailofbits/rfc8785.py"
    assert receipt.claims["source_repository_ref"] == "refs/tags/v0.1.2"
    assert receipt.claims["runner_environment"] == "github-hosted"
    assert receipt.claims["github_workflow_repository"] == "trailofbits/rfc8785.py"
    assert receipt.integrated_time == datetime.fromtimestamp(1710888076, UTC)


@needs_fixtures
def test_a_rekor_v2_bundle_has_no_integrated_time(fixture_roots: dict[str, TrustRoot]) -> None:
    case = CASES["staging-rekor-v2-dsse"]
    verified = verify(
        parse_bundle((FIXTURES / case.folder / case.bundle).read_bytes(), JSON),
        trust_roots=[fixture_roots["staging"]],
        policy=case.policy,
        policy_digest=POLICY_DIGEST,
        artifact=None,
        now=datetime.now(UTC),
    )
    assert verified.receipt.integrated_time is None


@needs_fixtures
def test_signed_timestamps_without_a_timestamp_authority(trust_root: TrustRoot) -> None:
    """The local root lists no TSA, so a bundle timed by one cannot be verified with it."""
    case = CASES["staging-rekor-v2-dsse"]
    content = (FIXTURES / case.folder / case.bundle).read_bytes()
    problem = refused(content, [trust_root], policy=case.policy)
    assert problem.slugs == ("timestamp-invalid",)


# --- the policy again, without the cryptography --------------------------------------------

OTHER_POLICY_DIGEST = "sha256:" + "cd" * 32


@pytest.mark.parametrize("kind", ["message", "dsse"])
def test_a_verified_bundle_judged_again_keeps_its_log_facts_and_takes_the_new_policy(
    local_sigstore: LocalSigstore, trust_root: TrustRoot, kind: str
) -> None:
    build = message_signature_bundle if kind == "message" else dsse_bundle
    built = build(local_sigstore, DIGEST if kind == "message" else STATEMENT)
    first = check(built.content, [trust_root])
    later = first.receipt.verified_at + timedelta(days=3)

    again = verify_policy_again(
        parse_bundle(built.content, JSON),
        first.receipt,
        policy=policy_for(GITHUB),
        policy_digest=OTHER_POLICY_DIGEST,
        now=later,
    )

    assert again.receipt == dataclasses.replace(
        first.receipt, policy_digest=OTHER_POLICY_DIGEST, verified_at=later
    )
    assert (again.kind, again.subjects, again.predicate_type) == (
        first.kind,
        first.subjects,
        first.predicate_type,
    )
    assert again.statement == first.statement


def test_a_signer_the_new_policy_refuses_is_refused_without_the_cryptography(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    first = check(built.content, [trust_root])
    with pytest.raises(BundleRejected) as raised:
        verify_policy_again(
            parse_bundle(built.content, JSON),
            first.receipt,
            policy=policy_for(EMAIL),
            policy_digest=OTHER_POLICY_DIGEST,
            now=datetime.now(UTC),
        )
    assert raised.value.slugs == ("identity-mismatch",)
    assert f"the signer {GITHUB.identity!r}" in raised.value.reasons[0]


def test_a_predicate_type_the_new_allow_list_refuses_is_refused(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    first = check(built.content, [trust_root])
    with pytest.raises(BundleRejected) as raised:
        verify_policy_again(
            parse_bundle(built.content, JSON),
            first.receipt,
            policy=policy_for(GITHUB),
            policy_digest=OTHER_POLICY_DIGEST,
            now=datetime.now(UTC),
            predicate_types=frozenset({"https://spdx.dev/Document"}),
        )
    assert raised.value.slugs == ("predicate-type",)


def test_only_a_verified_receipt_can_be_judged_again_without_the_cryptography(
    local_sigstore: LocalSigstore, trust_root: TrustRoot
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    first = check(built.content, [trust_root])
    unverified = dataclasses.replace(first.receipt, verified=False)
    with pytest.raises(ValueError, match="only a verified receipt"):
        verify_policy_again(
            parse_bundle(built.content, JSON),
            unverified,
            policy=policy_for(GITHUB),
            policy_digest=OTHER_POLICY_DIGEST,
            now=datetime.now(UTC),
        )
    with pytest.raises(BundleRejected) as raised:
        verify_policy_again(
            parse_bundle(built.content, JSON),
            first.receipt,
            policy=UnsafeNoOp(),
            policy_digest=OTHER_POLICY_DIGEST,
            now=datetime.now(UTC),
        )
    assert raised.value.slugs == ("identity-mismatch",)
