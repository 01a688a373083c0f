"""Identity policies (app/policy/identities.py): validation, digest, updates, sigstore form.

The sigstore form is checked with real verification: bundles of the local test
Sigstore verified offline by sigstore-python against ``to_sigstore(policy)``.
Edge cases a trusted CA would not issue (a missing SAN, one issuer encoding,
badly encoded claims) are checked on hand-built certificates.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError
from sigstore.errors import VerificationError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import AllOf, AnyOf
from sigstore_models.common.v1 import HashAlgorithm

from app.errors import AppError
from app.policy.document import apply_update, policy_digest
from app.policy.errors import EmptyPolicy
from app.policy.identities import (
    GITHUB_ACTIONS_ISSUER,
    MAX_IDENTITIES,
    AllowedIdentity,
    IdentityPolicy,
    default_policy_for,
    matched_identity,
    to_sigstore,
)
from app.wire import InputModel
from tests.sigstore_local import LocalSigstore, SignerIdentity, message_signature_bundle
from tests.sigstore_local.authority import FULCIO_ISSUER_OID, FULCIO_ISSUER_V2_OID
from tests.sigstore_local.der import utf8_string

POLICIES = Path(__file__).parent / "policies"
DIGEST = hashlib.sha256(b"attestd-1.2.3.tar.gz").digest()
GOOGLE = "https://accounts.google.com"
DEMO_REGEX = r"https://github\.com/attestd/demo/\.github/workflows/.+"
RELEASE = SignerIdentity.github_workflow("attestd/demo", ref="refs/tags/v1.2.3")
MAIN = SignerIdentity.github_workflow("attestd/demo", ref="refs/heads/main")
OTHER_REPOSITORY = SignerIdentity.github_workflow("attestd/other", ref="refs/tags/v1.2.3")
EMAIL = SignerIdentity.email("release@attestd.test", issuer=GOOGLE)

# Why each bad-*.json is refused: (where, what the message says).
BAD_POLICIES = {
    "bad-both-subjects.json": ("identities.0", "exactly one of subject and subject_regex"),
    "bad-no-subject.json": ("identities.0", "exactly one of subject and subject_regex"),
    "bad-subject-empty.json": ("identities.0.subject", "should match pattern"),
    "bad-subject-with-space.json": ("identities.0.subject", "should match pattern"),
    "bad-regex-syntax.json": ("identities.0.subject_regex", "not a valid Python regular"),
    "bad-regex-catch-all-dot-star.json": ("identities.0.subject_regex", "matches ''"),
    "bad-regex-catch-all-dot-plus.json": ("identities.0.subject_regex", "matches 'x'"),
    "bad-regex-optional-everything.json": ("identities.0.subject_regex", "matches ''"),
    "bad-regex-any-host.json": ("identities.0.subject_regex", "attestd-probe.invalid/"),
    "bad-regex-any-github-owner.json": ("identities.0.subject_regex", "github.com/-attestd-probe-"),
    "bad-regex-any-email.json": ("identities.0.subject_regex", "attestd-probe@"),
    "bad-regex-too-long.json": ("identities.0.subject_regex", "at most 512 characters"),
    "bad-issuer-http.json": ("identities.0.issuer", "https:// URL"),
    "bad-issuer-not-a-url.json": ("identities.0.issuer", "https:// URL"),
    "bad-issuer-credentials.json": ("identities.0.issuer", "no credentials"),
    "bad-issuer-query.json": ("identities.0.issuer", "query or fragment"),
    "bad-github-claims-other-issuer.json": ("identities.0", "repository can only be required"),
    "bad-ref-other-issuer.json": ("identities.0", "ref can only be required"),
    "bad-ref-and-ref-regex.json": ("identities.0", "at most one of ref and ref_regex"),
    "bad-ref-not-a-ref.json": ("identities.0.ref", "should match pattern"),
    "bad-ref-regex-every-ref.json": ("identities.0.ref_regex", "matches every ref"),
    "bad-ref-regex-empty-match.json": ("identities.0.ref_regex", "matches the empty string"),
    "bad-repository-url.json": ("identities.0.repository", "OWNER/NAME"),
    "bad-workflow-without-repository.json": ("identities.0", "workflow needs repository"),
    "bad-workflow-path.json": ("identities.0.workflow", "should match pattern"),
    "bad-too-many-identities.json": ("identities", f"at most {MAX_IDENTITIES} items"),
    "bad-duplicate-identity.json": ("", "identities[2] repeats identities[0]"),
    "bad-unknown-field-identity.json": ("identities.0.audience", "Extra inputs"),
    "bad-unknown-field-policy.json": ("allow_any_signer", "Extra inputs"),
    "bad-identities-null.json": ("identities", "valid array"),
    "bad-kind-unknown.json": ("identities.0.kind", "'workload' or 'person'"),
    "bad-build-trigger-empty.json": ("identities.0.build_trigger", "at least 1 item"),
    "bad-build-trigger-repeated.json": ("identities.0", "build_trigger lists a trigger twice"),
    "bad-build-signer-digest-short.json": ("identities.0.build_signer_digest", "match pattern"),
    "bad-source-repository-id-name.json": ("identities.0.source_repository_id", "match pattern"),
    "bad-runner-github-hosted-other-issuer.json": (
        "identities.0",
        "runner_environment can only be required of GitHub Actions identities",
    ),
}
GOOD_POLICIES = sorted(path.name for path in POLICIES.glob("good-*.json"))


def load(name: str) -> bytes:
    return (POLICIES / name).read_bytes()


def identity(**fields: Any) -> AllowedIdentity:
    return AllowedIdentity.model_validate(fields)


def policy(*identities: AllowedIdentity) -> IdentityPolicy:
    return IdentityPolicy(identities=identities)


GITHUB_DEMO = identity(issuer=GITHUB_ACTIONS_ISSUER, subject_regex=DEMO_REGEX)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification is offline: any attempt to open a connection fails the test."""

    def refused(*args: object, **kwargs: object) -> None:
        pytest.fail(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(socket, "getaddrinfo", refused)


@pytest.fixture(scope="module")
def local_sigstore() -> LocalSigstore:
    return LocalSigstore.generate()


@pytest.fixture(scope="module")
def verifier(local_sigstore: LocalSigstore, tmp_path_factory: pytest.TempPathFactory) -> Verifier:
    path = local_sigstore.write_trusted_root(tmp_path_factory.mktemp("sigstore"))
    return Verifier(trusted_root=TrustedRoot.from_file(str(path)))


@pytest.fixture(scope="module")
def bundles(local_sigstore: LocalSigstore) -> Callable[[SignerIdentity], Bundle]:
    """A message-signature bundle over ``DIGEST`` by each signer, built once."""
    built: dict[SignerIdentity, Bundle] = {}

    def bundle_of(signer: SignerIdentity) -> Bundle:
        if signer not in built:
            content = message_signature_bundle(local_sigstore, DIGEST, signer=signer).content
            built[signer] = Bundle.from_json(content)
        return built[signer]

    return bundle_of


@pytest.fixture
def verify(
    verifier: Verifier, bundles: Callable[[SignerIdentity], Bundle]
) -> Callable[[IdentityPolicy, SignerIdentity], None]:
    """Verify ``signer``'s bundle against ``policy`` as ingest will: offline, by digest."""

    def run(identity_policy: IdentityPolicy, signer: SignerIdentity) -> None:
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=DIGEST)
        verifier.verify_artifact(hashed, bundles(signer), to_sigstore(identity_policy))

    return run


# --- validation -------------------------------------------------------------------------------


def test_every_policy_file_is_listed_and_every_listed_file_exists() -> None:
    on_disk = {path.name for path in POLICIES.glob("*.json")}
    readme = (POLICIES / "README.md").read_text(encoding="utf-8")
    assert on_disk == set(BAD_POLICIES) | set(GOOD_POLICIES)
    assert all(f"`{name}`" in readme for name in on_disk)


@pytest.mark.parametrize("name", GOOD_POLICIES)
def test_good_policy_is_accepted(name: str) -> None:
    parsed = IdentityPolicy.model_validate_json(load(name))
    assert len(parsed.identities) == len(json.loads(load(name))["identities"])


@pytest.mark.parametrize("name", sorted(BAD_POLICIES))
def test_bad_policy_is_refused_with_its_reason(name: str) -> None:
    where, why = BAD_POLICIES[name]
    with pytest.raises(ValidationError) as raised:
        IdentityPolicy.model_validate_json(load(name))
    errors = raised.value.errors()
    assert len(errors) == 1, errors
    assert ".".join(str(step) for step in errors[0]["loc"]) == where
    assert why in errors[0]["msg"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://github\.com/acme/app/\.github/workflows/.+",
        r"https://github\.com/acme/[^/]+/\.github/workflows/release\.yml@refs/tags/.+",
        r"[a-z0-9.-]+@acme\.example",
        r"https://gitlab\.com/acme/app//\.gitlab-ci\.yml@refs/tags/v.+",
    ],
)
def test_subject_regex_that_pins_the_signer_is_accepted(pattern: str) -> None:
    assert identity(issuer=GOOGLE, subject_regex=pattern).subject_regex == pattern


def test_subject_regex_of_the_maximum_length_is_accepted() -> None:
    prefix = r"https://github\.com/acme/"
    pattern = prefix + "a" * (512 - len(prefix))
    assert identity(issuer=GOOGLE, subject_regex=pattern).subject_regex == pattern


@pytest.mark.parametrize(
    "issuer", [GITHUB_ACTIONS_ISSUER, GOOGLE, "https://issuer.example:8443/t/1"]
)
def test_issuer_is_kept_exactly_as_given(issuer: str) -> None:
    assert identity(issuer=issuer, subject="release@acme.example").issuer == issuer


def test_policy_is_immutable() -> None:
    stored = policy(GITHUB_DEMO)
    with pytest.raises(ValidationError, match="frozen"):
        stored.identities = ()  # type: ignore[misc]
    assert isinstance(stored.identities, tuple)


# --- digest -----------------------------------------------------------------------------------


def test_digest_is_sha256_of_the_rfc8785_canonical_json() -> None:
    stored = IdentityPolicy.model_validate_json(load("good-github-default.json"))
    canonical = (
        b'{"identities":[{"issuer":"https://token.actions.githubusercontent.com",'
        b'"repository":"acme/payments",'
        b'"subject_regex":"https://github\\\\.com/acme/payments/\\\\.github/workflows/.+"}]}'
    )
    assert policy_digest(stored) == "sha256:" + hashlib.sha256(canonical).hexdigest()


def test_digest_ignores_field_order_and_spelled_out_nulls() -> None:
    terse = {"identities": [{"issuer": GITHUB_ACTIONS_ISSUER, "subject_regex": DEMO_REGEX}]}
    verbose = {
        "identities": [
            {
                "workflow": None,
                "ref": None,
                "subject_regex": DEMO_REGEX,
                "subject": None,
                "issuer": GITHUB_ACTIONS_ISSUER,
            }
        ]
    }
    digests = {
        policy_digest(IdentityPolicy.model_validate(terse)),
        policy_digest(IdentityPolicy.model_validate_json(json.dumps(verbose))),
        policy_digest(policy(GITHUB_DEMO)),
    }
    assert len(digests) == 1


def test_digest_of_the_empty_policy_covers_the_empty_list() -> None:
    expected = "sha256:" + hashlib.sha256(b'{"identities":[]}').hexdigest()
    assert policy_digest(IdentityPolicy()) == expected
    assert policy_digest(IdentityPolicy.model_validate({"identities": []})) == expected


def test_digest_changes_with_any_constraint_and_with_the_order() -> None:
    email = identity(issuer=GOOGLE, subject="release@acme.example")
    variants = [
        policy(GITHUB_DEMO),
        policy(GITHUB_DEMO.model_copy(update={"ref": "refs/heads/main"})),
        policy(GITHUB_DEMO.model_copy(update={"repository": "attestd/demo"})),
        policy(GITHUB_DEMO, email),
        policy(email, GITHUB_DEMO),
        IdentityPolicy(),
    ]
    assert len({policy_digest(variant) for variant in variants}) == len(variants)


# --- updates ----------------------------------------------------------------------------------


def test_update_without_fields_keeps_the_current_policy() -> None:
    current = policy(GITHUB_DEMO)
    assert apply_update(current, IdentityPolicy.model_validate({})) == current


def test_update_with_identities_replaces_them_even_with_an_empty_list() -> None:
    current = policy(GITHUB_DEMO)
    email = identity(issuer=GOOGLE, subject="release@acme.example")
    replaced = apply_update(current, IdentityPolicy.model_validate({"identities": [email]}))
    assert replaced.identities == (email,)
    emptied = apply_update(current, IdentityPolicy.model_validate({"identities": []}))
    assert emptied.identities == ()


class _Thresholds(InputModel):
    """A policy shape with more top-level fields, as the service policy will have."""

    quorum: int = 2
    minimum: int = 0
    identities: tuple[AllowedIdentity, ...] = ()


def test_update_changes_only_the_fields_it_was_given() -> None:
    current = _Thresholds(quorum=3, minimum=50, identities=(GITHUB_DEMO,))
    updated = apply_update(current, _Thresholds.model_validate({"minimum": 70}))
    assert updated == _Thresholds(quorum=3, minimum=70, identities=(GITHUB_DEMO,))
    defaulted = apply_update(current, _Thresholds.model_validate({"quorum": 2}))
    assert defaulted.quorum == 2
    assert defaulted.minimum == 50


# --- the default policy -----------------------------------------------------------------------


def test_github_service_gets_its_repository_workflows() -> None:
    default = default_policy_for("https://github.com/acme/payments")
    (only,) = default.identities
    assert only == AllowedIdentity(
        issuer=GITHUB_ACTIONS_ISSUER,
        subject_regex=r"https://github\.com/acme/payments/\.github/workflows/.+",
        repository="acme/payments",
    )


@pytest.mark.parametrize(
    ("subject", "matches"),
    [
        ("https://github.com/acme/my-app.v2/.github/workflows/release.yml@refs/tags/v1", True),
        ("https://github.com/acme/my-app.v2/.github/workflows/ci.yaml@refs/heads/main", True),
        ("https://github.com/acme/my-app.v2/.github/workflows/", False),
        ("https://github.com/acme/my-appXv2/.github/workflows/release.yml@refs/tags/v1", False),
        (
            "https://github.com/acme/my-app.v2-evil/.github/workflows/release.yml@refs/tags/v1",
            False,
        ),
        ("https://github.com/acme/my-app.v2/.githubXworkflows/release.yml@refs/tags/v1", False),
        ("https://githubXcom/acme/my-app.v2/.github/workflows/release.yml@refs/tags/v1", False),
        ("https://github.com/evil/my-app.v2/.github/workflows/release.yml@refs/tags/v1", False),
    ],
)
def test_default_subject_regex_is_escaped_and_anchored(subject: str, matches: bool) -> None:
    (only,) = default_policy_for("https://github.com/acme/my-app.v2").identities
    assert only.subject_regex is not None
    assert (re.fullmatch(only.subject_regex, subject) is not None) is matches


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/acme/payments",
        "https://git.acme.example/acme/payments",
        "https://github.com:8443/acme/payments",
        "https://github.example/acme/payments",
        "https://github.com/acme~/payments",
    ],
)
def test_other_repositories_get_the_empty_policy(url: str) -> None:
    default = default_policy_for(url)
    assert default == IdentityPolicy()
    with pytest.raises(EmptyPolicy):
        to_sigstore(default)


def test_default_policy_verifies_its_repository_and_nothing_else(verify) -> None:
    default = default_policy_for("https://github.com/attestd/demo")
    verify(default, RELEASE)
    verify(default, MAIN)
    with pytest.raises(VerificationError, match="no SAN matches"):
        verify(default, OTHER_REPOSITORY)
    with pytest.raises(VerificationError):
        verify(default, EMAIL)


# --- the sigstore form ------------------------------------------------------------------------


def test_empty_policy_fails_closed_before_any_verification() -> None:
    with pytest.raises(EmptyPolicy) as raised:
        to_sigstore(IdentityPolicy())
    error = raised.value
    assert isinstance(error, AppError)
    assert (error.status, error.slug) == (422, "no-allowed-identity")
    assert error.reasons == ["no-allowed-identity"]


def test_sigstore_form_is_any_of_one_all_of_per_identity() -> None:
    email = identity(issuer=GOOGLE, subject="release@attestd.test")
    form = to_sigstore(policy(GITHUB_DEMO, email))
    assert isinstance(form, AnyOf)
    assert all(isinstance(child, AllOf) for child in form._children)
    assert len(form._children) == 2


@pytest.mark.parametrize(
    ("allowed", "signer"),
    [
        pytest.param(
            identity(issuer=GITHUB_ACTIONS_ISSUER, subject=RELEASE.identity), RELEASE, id="exact"
        ),
        pytest.param(GITHUB_DEMO, RELEASE, id="regex"),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject=RELEASE.identity,
                repository="attestd/demo",
                ref="refs/tags/v1.2.3",
                workflow=".github/workflows/release.yml",
            ),
            RELEASE,
            id="every-github-claim",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=DEMO_REGEX,
                ref_regex=r"refs/tags/v\d+\.\d+\.\d+",
            ),
            RELEASE,
            id="ref-regex",
        ),
        pytest.param(identity(issuer=GOOGLE, subject=EMAIL.identity), EMAIL, id="email"),
        pytest.param(
            identity(issuer=GOOGLE, subject_regex=r"[a-z]+@attestd\.test"), EMAIL, id="email-regex"
        ),
    ],
)
def test_matching_identity_verifies(verify, allowed: AllowedIdentity, signer) -> None:
    verify(policy(allowed), signer)


@pytest.mark.parametrize(
    ("allowed", "signer", "reason"),
    [
        pytest.param(
            identity(issuer=GOOGLE, subject=RELEASE.identity),
            RELEASE,
            "OIDCIssuerV2 does not match",
            id="wrong-issuer",
        ),
        pytest.param(
            identity(issuer=GITHUB_ACTIONS_ISSUER, subject=MAIN.identity),
            RELEASE,
            "SANs do not match",
            id="wrong-subject",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=r"https://github\.com/attestd/other/\.github/workflows/.+",
            ),
            RELEASE,
            "no SAN matches",
            id="regex-miss",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=r"https://github\.com/attestd/demo/\.github/workflows/release\.yml",
            ),
            RELEASE,
            "no SAN matches",
            id="regex-is-anchored-at-the-end",
        ),
        pytest.param(
            identity(issuer=GITHUB_ACTIONS_ISSUER, subject_regex=DEMO_REGEX, repository="a/b"),
            RELEASE,
            "OIDCSourceRepositoryURI does not match",
            id="wrong-repository",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER, subject_regex=DEMO_REGEX, ref="refs/tags/v1.2.4"
            ),
            RELEASE,
            "OIDCSourceRepositoryRef does not match",
            id="wrong-ref",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER, subject_regex=DEMO_REGEX, ref_regex="refs/tags/.+"
            ),
            MAIN,
            "source repository ref 'refs/heads/main' does not match",
            id="ref-regex-miss",
        ),
        pytest.param(
            identity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=DEMO_REGEX,
                repository="attestd/demo",
                workflow=".github/workflows/deploy.yml",
            ),
            RELEASE,
            "build config URI",
            id="wrong-workflow",
        ),
        pytest.param(
            identity(issuer=GOOGLE, subject=EMAIL.identity),
            SignerIdentity.email(EMAIL.identity, issuer="https://accounts.attestd.test"),
            "OIDCIssuerV2 does not match",
            id="same-email-other-issuer",
        ),
    ],
)
def test_mismatching_identity_is_refused(
    verify, allowed: AllowedIdentity, signer, reason: str
) -> None:
    with pytest.raises(VerificationError, match=re.escape(reason)):
        verify(policy(allowed), signer)


def test_a_later_identity_that_matches_verifies(verify) -> None:
    wrong = identity(issuer=GOOGLE, subject=EMAIL.identity)
    verify(policy(wrong, GITHUB_DEMO), RELEASE)
    verify(policy(GITHUB_DEMO, wrong), EMAIL)


def test_refusal_says_why_each_identity_failed(verify) -> None:
    wrong_issuer = identity(issuer=GOOGLE, subject=RELEASE.identity)
    wrong_ref = identity(
        issuer=GITHUB_ACTIONS_ISSUER, subject_regex=DEMO_REGEX, ref="refs/heads/main"
    )
    with pytest.raises(VerificationError) as raised:
        verify(policy(wrong_issuer, wrong_ref), RELEASE)
    message = str(raised.value)
    assert "identity 1: " in message
    assert "OIDCIssuerV2" in message
    assert "identity 2: " in message
    assert "OIDCSourceRepositoryRef" in message


# --- certificates a trusted CA would not issue ------------------------------------------------


def certificate(
    names: list[x509.GeneralName] | None,
    claims: dict[x509.ObjectIdentifier, bytes],
) -> x509.Certificate:
    """A self-signed certificate with the given SAN and raw extensions (policies ignore chains)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "test")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(minutes=10))
    )
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=True)
    for oid, value in claims.items():
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    return builder.sign(key, hashes.SHA256())


SAN = [x509.UniformResourceIdentifier(RELEASE.identity)]
ISSUER_V1 = {FULCIO_ISSUER_OID: GITHUB_ACTIONS_ISSUER.encode()}
ISSUER_V2 = {FULCIO_ISSUER_V2_OID: utf8_string(GITHUB_ACTIONS_ISSUER)}
REF_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.14")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(ISSUER_V2, id="only-1.8"),
        pytest.param(ISSUER_V1, id="only-1.1"),
        pytest.param({**ISSUER_V1, **ISSUER_V2}, id="both"),
    ],
)
def test_issuer_in_either_encoding_is_read(claims) -> None:
    to_sigstore(policy(GITHUB_DEMO)).verify(certificate(SAN, claims))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({}, "names no OIDC issuer", id="no-issuer"),
        pytest.param(
            {**ISSUER_V2, FULCIO_ISSUER_OID: GOOGLE.encode()},
            "OIDCIssuer does not match",
            id="encodings-disagree",
        ),
        pytest.param(
            {**ISSUER_V1, FULCIO_ISSUER_V2_OID: GITHUB_ACTIONS_ISSUER.encode()},
            "unreadable certificate",
            id="1.8-not-der",
        ),
        pytest.param(
            {**ISSUER_V2, FULCIO_ISSUER_OID: b"\xff\xfe"},
            "unreadable certificate",
            id="1.1-not-utf8",
        ),
    ],
)
def test_missing_conflicting_or_garbled_issuer_is_refused(claims, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        to_sigstore(policy(GITHUB_DEMO)).verify(certificate(SAN, claims))


@pytest.mark.parametrize(
    "allowed", [GITHUB_DEMO, identity(issuer=GITHUB_ACTIONS_ISSUER, subject=RELEASE.identity)]
)
def test_certificate_without_san_is_refused_not_crashed(allowed: AllowedIdentity) -> None:
    with pytest.raises(VerificationError, match="unreadable certificate"):
        to_sigstore(policy(allowed)).verify(certificate(None, ISSUER_V2))


def test_badly_encoded_github_claim_is_refused() -> None:
    allowed = GITHUB_DEMO.model_copy(update={"ref_regex": "refs/tags/.+"})
    garbled = certificate(SAN, {**ISSUER_V2, REF_OID: b"refs/tags/v1.2.3"})
    with pytest.raises(VerificationError, match="unreadable certificate"):
        to_sigstore(policy(allowed)).verify(garbled)
    good = certificate(SAN, {**ISSUER_V2, REF_OID: utf8_string("refs/tags/v1.2.3")})
    to_sigstore(policy(allowed)).verify(good)


def test_missing_github_claim_is_refused() -> None:
    allowed = GITHUB_DEMO.model_copy(update={"ref_regex": "refs/tags/.+"})
    with pytest.raises(VerificationError, match="has no source repository ref"):
        to_sigstore(policy(allowed)).verify(certificate(SAN, ISSUER_V2))


def test_sigstore_username_san_is_matched_by_regex() -> None:
    username = x509.OtherName(
        x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), utf8_string("release-bot!acme.example")
    )
    allowed = identity(issuer=GOOGLE, subject_regex=r"release-bot!acme\.example")
    cert = certificate([username], {FULCIO_ISSUER_V2_OID: utf8_string(GOOGLE)})
    to_sigstore(policy(allowed)).verify(cert)


# --- the Fulcio claims an identity may require ------------------------------------------------

# What GitHubClaims.for_workflow certifies for RELEASE's run.
RUN = {
    "build_signer_digest": "0123456789abcdef0123456789abcdef01234567",
    "build_trigger": ("push",),
    "source_repository_id": "100001",
    "source_repository_owner_id": "200002",
    "runner_environment": "github-hosted",
    "source_repository_visibility": "public",
}
# Another value of each, and the words of the refusal.
OTHER_RUN = {
    "build_signer_digest": ("f" * 40, "OIDCBuildSignerDigest does not match"),
    "build_trigger": (("release", "workflow_dispatch"), "build trigger 'push' is not one of"),
    "source_repository_id": ("100002", "OIDCSourceRepositoryIdentifier does not match"),
    "source_repository_owner_id": ("200003", "OIDCSourceRepositoryOwnerIdentifier does not"),
    "runner_environment": ("self-hosted", "OIDCRunnerEnvironment does not match"),
    "source_repository_visibility": ("private", "OIDCSourceRepositoryVisibility does not match"),
}
PULL_REQUEST_TARGET = SignerIdentity.github_workflow(
    "attestd/demo", ref="refs/heads/main", trigger="pull_request_target"
)
BUILD_TRIGGER_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.20")
LEGACY_TRIGGER_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.2")


def test_each_claim_the_run_has_verifies_and_all_of_them_together(verify) -> None:
    for field, value in RUN.items():
        verify(policy(GITHUB_DEMO.model_copy(update={field: value})), RELEASE)
    verify(policy(GITHUB_DEMO.model_copy(update=RUN)), RELEASE)


@pytest.mark.parametrize("field", sorted(OTHER_RUN))
def test_another_value_of_a_claim_is_refused(verify, field: str) -> None:
    value, reason = OTHER_RUN[field]
    with pytest.raises(VerificationError, match=re.escape(reason)):
        verify(policy(GITHUB_DEMO.model_copy(update={field: value})), RELEASE)


@pytest.mark.parametrize("field", sorted(RUN))
def test_a_certificate_without_the_claim_is_refused(field: str) -> None:
    allowed = GITHUB_DEMO.model_copy(update={field: RUN[field]})
    with pytest.raises(VerificationError, match=r"does not contain|has no build trigger"):
        to_sigstore(policy(allowed)).verify(certificate(SAN, ISSUER_V2))


def test_pull_request_target_is_refused_unless_the_identity_lists_it(verify) -> None:
    with pytest.raises(VerificationError, match="'pull_request_target' is refused unless"):
        verify(policy(GITHUB_DEMO), PULL_REQUEST_TARGET)
    listed = GITHUB_DEMO.model_copy(update={"build_trigger": ("pull_request_target",)})
    verify(policy(listed), PULL_REQUEST_TARGET)
    # Any other trigger needs no list.
    verify(policy(GITHUB_DEMO), RELEASE)


@pytest.mark.parametrize(
    ("claims", "refused"),
    [
        pytest.param({BUILD_TRIGGER_OID: utf8_string("pull_request_target")}, True, id="1.20"),
        pytest.param({LEGACY_TRIGGER_OID: b"pull_request_target"}, True, id="only-the-old-1.2"),
        pytest.param(
            {BUILD_TRIGGER_OID: utf8_string("push"), LEGACY_TRIGGER_OID: b"pull_request_target"},
            True,
            id="either-says-so",
        ),
        pytest.param({LEGACY_TRIGGER_OID: b"push"}, False, id="old-1.2-push"),
        pytest.param({}, False, id="no-trigger-claim"),
    ],
)
def test_the_default_refusal_reads_both_trigger_claims(claims, refused: bool) -> None:
    cert = certificate(SAN, {**ISSUER_V2, **claims})
    if refused:
        with pytest.raises(VerificationError, match="pull_request_target"):
            to_sigstore(policy(GITHUB_DEMO)).verify(cert)
    else:
        to_sigstore(policy(GITHUB_DEMO)).verify(cert)


def test_a_trigger_list_is_checked_against_both_trigger_claims() -> None:
    allowed = GITHUB_DEMO.model_copy(update={"build_trigger": ("push",)})
    agreeing = {BUILD_TRIGGER_OID: utf8_string("push"), LEGACY_TRIGGER_OID: b"push"}
    to_sigstore(policy(allowed)).verify(certificate(SAN, {**ISSUER_V2, **agreeing}))
    disagreeing = {BUILD_TRIGGER_OID: utf8_string("push"), LEGACY_TRIGGER_OID: b"issue_comment"}
    with pytest.raises(VerificationError, match="'issue_comment' is not one of"):
        to_sigstore(policy(allowed)).verify(certificate(SAN, {**ISSUER_V2, **disagreeing}))
    garbled = {BUILD_TRIGGER_OID: utf8_string("push"), LEGACY_TRIGGER_OID: b"\xff"}
    with pytest.raises(VerificationError, match="unreadable certificate"):
        to_sigstore(policy(allowed)).verify(certificate(SAN, {**ISSUER_V2, **garbled}))


def test_new_constraints_left_out_keep_the_digest_and_each_one_given_changes_it() -> None:
    stored = IdentityPolicy.model_validate_json(load("good-github-default.json"))
    (fields,) = json.loads(load("good-github-default.json"))["identities"]
    nulls = dict.fromkeys([*RUN, "kind"])
    spelled_out = IdentityPolicy.model_validate({"identities": [fields | nulls]})
    assert policy_digest(spelled_out) == policy_digest(stored)
    (only,) = stored.identities
    given = [only.model_copy(update={field: value}) for field, value in RUN.items()]
    given.append(only.model_copy(update={"kind": "workload"}))
    digests = {policy_digest(policy(variant)) for variant in given}
    assert len(digests) == len(given)
    assert policy_digest(stored) not in digests


def test_matched_identity_is_the_first_that_accepts_the_certificate(bundles) -> None:
    cert = bundles(RELEASE).signing_certificate
    wrong = identity(issuer=GOOGLE, subject=EMAIL.identity)
    pinned = GITHUB_DEMO.model_copy(update={"ref": "refs/tags/v1.2.3"})
    assert matched_identity(policy(wrong, GITHUB_DEMO, pinned), cert) == 1
    assert matched_identity(policy(pinned, GITHUB_DEMO), cert) == 0
    assert matched_identity(policy(wrong), cert) is None
