"""The real public Sigstore bundles of ../shared/fixtures/sigstore and the verdict each must get.

One row per line of its INDEX.md (plus the variations INDEX.md names for the
GitHub bundle). Each names its signer once; ``Signer.policy`` is the
sigstore-python form used to check the pure verifier, ``Signer.allowed_identity``
the attestd policy JSON used to check the HTTP API.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from sigstore.verify.policy import (
    AllOf,
    Identity,
    OIDCRunnerEnvironment,
    OIDCSourceRepositoryRef,
    OIDCSourceRepositoryURI,
    VerificationPolicy,
)

from app.attestations.verification import Subject
from app.policy.keys import TrustedKey
from tests.sigstore_local import GITHUB_ACTIONS_ISSUER

# The real public bundles (see its INDEX.md); tests using them skip when it is absent.
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sigstore"

needs_fixtures = pytest.mark.skipif(
    not (FIXTURES / "INDEX.md").is_file(),
    reason=f"the public Sigstore bundles are not available ({FIXTURES} is absent)",
)

GITHUB_OAUTH = "https://github.com/login/oauth"
RFC8785 = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
NPM_SUBJECT = "pkg:npm/sigstore@1.0.0"
NPM_PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
# The npm registry's public publish key (key id SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA),
# as npm publishes it at https://registry.npmjs.org/-/npm/v1/keys and INDEX.md prints it.
NPM_REGISTRY_KEY = {
    "name": "npm-registry",
    "public_key_pem": (
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i\n"
        "6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==\n"
        "-----END PUBLIC KEY-----\n"
    ),
}


@dataclass(frozen=True)
class Signer:
    """The identity a policy requires: issuer, exact SAN and, for GitHub Actions, claims."""

    subject: str
    issuer: str
    repository: str | None = None  # GitHub OWNER/NAME, claim 1.12
    ref: str | None = None  # claim 1.14
    runner: str | None = None  # claim 1.11; sigstore-python only, attestd has no such field

    @property
    def policy(self) -> VerificationPolicy:
        """sigstore-python's policy: the identity, then every claim stated."""
        identity = Identity(identity=self.subject, issuer=self.issuer)
        claims: list[VerificationPolicy] = []
        if self.repository is not None:
            claims.append(OIDCSourceRepositoryURI(f"https://github.com/{self.repository}"))
        if self.ref is not None:
            claims.append(OIDCSourceRepositoryRef(self.ref))
        if self.runner is not None:
            claims.append(OIDCRunnerEnvironment(self.runner))
        return AllOf([identity, *claims]) if claims else identity

    def allowed_identity(self) -> dict[str, str]:
        """attestd's policy JSON; claims only under the GitHub Actions issuer, the one allowed."""
        identity = {"issuer": self.issuer, "subject": self.subject}
        if self.issuer == GITHUB_ACTIONS_ISSUER:
            if self.repository is not None:
                identity["repository"] = self.repository
            if self.ref is not None:
                identity["ref"] = self.ref
        return identity


def _rfc8785(identity: str = RFC8785, issuer: str = GITHUB_ACTIONS_ISSUER) -> Signer:
    return Signer(identity, issuer, "trailofbits/rfc8785.py", "refs/tags/v0.1.2", "github-hosted")


def _email(address: str) -> Signer:
    return Signer(address, GITHUB_OAUTH)


@dataclass(frozen=True)
class Case:
    """One row of INDEX.md: a bundle, how to check it, and the verdict."""

    folder: str
    bundle: str
    signer: Signer
    artifact: str | None = None  # a file next to the bundle, hashed
    verdict: str = "valid"  # or the reason slug
    root: str | None = None  # another folder's trusted_root.json
    subject: Subject | None = None  # a DSSE statement's one subject; digest: its prefix
    predicate_type: str | None = None
    keys: tuple[dict[str, str], ...] = ()  # the service policy's trusted keys
    allow_v01_inclusion_promise: bool = False
    key_name: str | None = None  # a keyed bundle's signer: the policy key that verifies it

    def policy_document(self) -> dict[str, object]:
        """attestd's policy JSON for the case: the signer, and the keys and opt-in it needs."""
        document: dict[str, object] = {"identities": [self.signer.allowed_identity()]}
        if self.keys:
            document["keys"] = list(self.keys)
        if self.allow_v01_inclusion_promise:
            document["allow_v01_inclusion_promise"] = True
        return document

    @property
    def trusted_keys(self) -> tuple[TrustedKey, ...]:
        return tuple(TrustedKey.model_validate(key) for key in self.keys)

    @property
    def policy(self) -> VerificationPolicy:
        return self.signer.policy

    @property
    def root_file(self) -> Path:
        return FIXTURES / (self.root or self.folder) / "trusted_root.json"

    def content(self) -> bytes:
        return (FIXTURES / self.folder / self.bundle).read_bytes()

    def artifact_digest(self) -> str | None:
        """``sha256:<hex>`` of the artifact file, if the case has one."""
        if self.artifact is None:
            return None
        content = (FIXTURES / self.folder / self.artifact).read_bytes()
        return "sha256:" + hashlib.sha256(content).hexdigest()


CASES = {
    "github-message-v0.2": Case(
        "production", "bundle_v3_github.whl.sigstore", _rfc8785(), "bundle_v3_github.whl"
    ),
    "github-message-other-san": Case(
        "production",
        "bundle_v3_github.whl.sigstore",
        _rfc8785(identity=RFC8785.replace("v0.1.2", "v0.1.3")),
        "bundle_v3_github.whl",
        "identity-mismatch",
    ),
    "github-message-other-issuer": Case(
        "production",
        "bundle_v3_github.whl.sigstore",
        _rfc8785(issuer=GITHUB_OAUTH),
        "bundle_v3_github.whl",
        "identity-mismatch",
    ),
    "github-message-other-artifact": Case(
        "production",
        "bundle_v3_github.whl.sigstore",
        _rfc8785(),
        "bundle_v3_no_signed_time.txt",
        "subject-digest-mismatch",
    ),
    "github-message-staging-root": Case(
        "production",
        "bundle_v3_github.whl.sigstore",
        _rfc8785(),
        "bundle_v3_github.whl",
        "untrusted-chain",
        root="staging",
    ),
    "no-signed-time": Case(
        "production",
        "bundle_v3_no_signed_time.txt.sigstore.json",
        _email("william@yossarian.net"),
        "bundle_v3_no_signed_time.txt",
        "no-signed-time",
    ),
    **{
        f"npm-dsse-{name}": Case(
            "production",
            f"npm-bundle{name}-dsse{suffix}.sigstore.json",
            _email("brian@dehamer.com"),
            subject=Subject(NPM_SUBJECT, "sha512:"),
            predicate_type=NPM_PUBLISH,
        )
        for name, suffix in (("V01", "-with-proof"), ("V02", ""), ("V03", ""))
    },
    "npm-dsse-v0.1-no-proof": Case(
        "production",
        "npm-bundleV01-dsse-no-proof.sigstore.json",
        _email("brian@dehamer.com"),
        verdict="no-inclusion-proof",
    ),
    "npm-dsse-v0.1-no-proof-opted-in": Case(
        "production",
        "npm-bundleV01-dsse-no-proof.sigstore.json",
        _email("brian@dehamer.com"),
        subject=Subject(NPM_SUBJECT, "sha512:"),
        predicate_type=NPM_PUBLISH,
        allow_v01_inclusion_promise=True,
    ),
    "npm-intoto-entry": Case(
        "production",
        "npm-bundleV03-intoto.sigstore.json",
        _email("brian@dehamer.com"),
        subject=Subject(NPM_SUBJECT, "sha512:"),
        predicate_type=NPM_PUBLISH,
    ),
    "npm-keyed": Case(
        "production",
        "npm-publish-keyed.sigstore.json",
        _email("brian@dehamer.com"),
        verdict="unknown-key",
        allow_v01_inclusion_promise=True,
    ),
    "npm-keyed-trusted": Case(
        "production",
        "npm-publish-keyed.sigstore.json",
        _email("brian@dehamer.com"),
        subject=Subject("pkg:npm/sigstore@1.3.0", "sha512:76176ffa"),
        predicate_type=NPM_PUBLISH,
        keys=(NPM_REGISTRY_KEY,),
        allow_v01_inclusion_promise=True,
        key_name="npm-registry",
    ),
    "npm-keyed-trusted-no-opt-in": Case(
        "production",
        "npm-publish-keyed.sigstore.json",
        _email("brian@dehamer.com"),
        verdict="no-inclusion-proof",
        keys=(NPM_REGISTRY_KEY,),
    ),
    "staging-message-v0.3": Case(
        "staging", "bundle_v3.txt.sigstore", _email("william@yossarian.net"), "bundle_v3.txt"
    ),
    "staging-message-v0.1": Case(
        "staging", "bundle.txt.sigstore", _email("a@tny.town"), "bundle.txt"
    ),
    "staging-rekor-v2-dsse": Case(
        "staging",
        "a.dsse.staging-rekor-v2.txt.sigstore.json",
        Signer(BEACON, GITHUB_ACTIONS_ISSUER),
        subject=Subject(
            "a.txt", "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
        ),
        predicate_type="https://slsa.dev/provenance/v1",
    ),
    "cve-2022-36056": Case(
        "staging",
        "bundle_cve_2022_36056.txt.sigstore",
        _email("william@yossarian.net"),
        "bundle_cve_2022_36056.txt",
        "tlog-entry-mismatch",
    ),
    "no-log-entry": Case(
        "staging",
        "bundle_no_log_entry.txt.sigstore",
        _email("alex.cameron@trailofbits.com"),
        "bundle_no_log_entry.txt",
        "no-tlog-entry",
    ),
}
