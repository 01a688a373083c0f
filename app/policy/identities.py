"""The identity policy of a service: which signers attestd accepts, and its sigstore form.

A policy lists allowed identities. A signing certificate is accepted when it
meets every constraint of at least one of them. The empty list is a valid
stored policy that accepts nobody: ``to_sigstore`` raises ``EmptyPolicy`` for
it, so a caller can never end up verifying against "no constraint".

What each field of an ``AllowedIdentity`` requires of the Fulcio certificate:

* ``issuer``: the OIDC issuer, exactly, in every encoding the certificate
  carries (1.3.6.1.4.1.57264.1.8 as DER UTF8String, 1.1 as raw bytes), at
  least one of them present.
* ``subject``: a SAN (URI, e-mail or Sigstore username) equal to it.
* ``subject_regex``: a SAN that ``re.fullmatch`` accepts (anchored at both ends).
* ``repository``: Source Repository URI (1.12) ``https://github.com/<repository>``.
* ``ref`` / ``ref_regex``: Source Repository Ref (1.14), exact / ``re.fullmatch``.
* ``workflow``: Build Config URI (1.18) ``https://github.com/<repository>/<workflow>@<ref>``
  for any ref.

``repository``, ``ref``, ``ref_regex`` and ``workflow`` are GitHub Actions claims
and are allowed only with the GitHub Actions issuer. ``ref_regex`` exists because
releases come from a new tag each time (``refs/tags/v.+``): an exact ``ref`` pins
one release. ``workflow`` is the workflow file of the source repository that
started the run (``.github/workflows/release.yml``), checked against the Build
Config URI rather than the Build Signer URI (1.9): for a reusable workflow the
signer is the called workflow (which ``subject`` already pins, since Fulcio puts
it in the SAN), while the build config is still the caller in the repository.
Claims are compared case-sensitively, as GitHub spells them. A certificate that
lacks a constrained claim (an older Fulcio certificate without 1.12, say) is
refused.

Fulcio's provider-neutral claims, which GitHub Actions and GitLab CI both fill,
may be required of any identity, each exactly:

* ``build_signer_digest``: Build Signer Digest (1.10), the commit of the
  workflow that signed: pins a reusable workflow (or a GitLab CI config) to one
  reviewed commit, so that a new commit of it cannot sign for the service.
* ``build_trigger``: Build Trigger (1.20) is one of the listed events. Without
  the list, a certificate whose trigger is ``pull_request_target`` (in 1.20 or
  the deprecated 1.2) is refused: such runs have the base repository's
  credentials while building a pull request's code (a "pwn request").
* ``source_repository_id`` / ``source_repository_owner_id``: Source Repository
  Identifier (1.15) / Owner Identifier (1.17), the immutable numeric ids: a
  repository deleted and re-created under the same name (repojacking) has
  another id.
* ``runner_environment``: Runner Environment (1.11); ``github-hosted`` only with
  the GitHub Actions issuer, ``gitlab-hosted`` only with another.
* ``source_repository_visibility``: Source Repository Visibility At Signing (1.22).

``kind`` says whether the identity is a **workload** (a CI run, a build
service's account) or a **person**; the ``workload-identity`` maturity check
reads it (``app.policy.document.ServicePolicyDocument.signer_kind``). Absent, it
is ``workload`` for the CI issuers of ``WORKLOAD_ISSUERS`` when the certificate
names the signer by a URI (a pipeline run), and ``person`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Iterable, Sequence
from typing import Annotated, Final, Literal, NamedTuple
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat import asn1
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sigstore.errors import VerificationError
from sigstore.verify.policy import (
    AllOf,
    AnyOf,
    Identity,
    OIDCBuildConfigURI,
    OIDCBuildSignerDigest,
    OIDCBuildTrigger,
    OIDCIssuer,
    OIDCIssuerV2,
    OIDCRunnerEnvironment,
    OIDCSourceRepositoryIdentifier,
    OIDCSourceRepositoryOwnerIdentifier,
    OIDCSourceRepositoryRef,
    OIDCSourceRepositoryURI,
    OIDCSourceRepositoryVisibility,
    VerificationPolicy,
)

from app.policy.errors import EmptyPolicy
from app.wire import PRINTABLE_PATTERN, InputModel

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
# OIDC issuers of CI services whose tokens stand for a pipeline run, not a person.
WORKLOAD_ISSUERS: Final = frozenset(
    {
        GITHUB_ACTIONS_ISSUER,
        GITLAB_ISSUER,
        "https://agent.buildkite.com",
        "https://oidc.codefresh.io",
    }
)
WORKLOAD_ISSUER_PREFIXES: Final = ("https://oidc.circleci.com/org/",)
# Build triggers refused unless an identity's build_trigger allows them.
REFUSED_TRIGGERS: Final = frozenset({"pull_request_target"})
MAX_IDENTITIES = 50
ISSUER_MAX = 512
SUBJECT_MAX = 2048
REGEX_MAX = 512
REF_MAX = 512
WORKFLOW_MAX = 256

# The Sigstore username SAN (an OtherName), read as sigstore's Identity policy does.
SIGSTORE_USERNAME_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")

# Subjects no genuine signer presents: the empty string, a bare word, a URL and an
# e-mail address under the reserved .invalid TLD (RFC 2606), and a GitHub workflow
# of an owner GitHub does not allow (owner names cannot start with a hyphen).
SUBJECT_PROBES = (
    "",
    "x",
    "https://attestd-probe.invalid/",
    "attestd-probe@attestd-probe.invalid",
    "https://github.com/-attestd-probe-/-attestd-probe-/.github/workflows/probe.yml@refs/heads/main",
)
# Refs of every kind a workflow runs on; a ref pattern matching all of them constrains nothing.
REF_PROBES = (
    "refs/heads/main",
    "refs/heads/-attestd-probe-",
    "refs/tags/v1.0.0",
    "refs/pull/1/merge",
)

Kind = Literal["workload", "person"]
RunnerEnvironment = Literal["github-hosted", "gitlab-hosted", "self-hosted"]
MAX_TRIGGERS = 20

# The deprecated GitHub Workflow Trigger claim (raw bytes; 1.20 succeeds it).
GITHUB_WORKFLOW_TRIGGER_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.2")

_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


# --- field rules ------------------------------------------------------------------------------


def _check_issuer(value: str) -> str:
    """An ``https://`` URL with a host and nothing after the path; kept exactly as given."""
    if any(ch.isspace() for ch in value):
        raise ValueError("issuer must not contain spaces")
    parts = urlsplit(value)
    if not value.startswith("https://"):
        raise ValueError("issuer must be an https:// URL")
    if not parts.hostname or "@" in parts.netloc:
        raise ValueError("issuer needs a host name and no credentials")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("issuer must not have a query or fragment")
    return value


def _compile(pattern: str, field: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        raise ValueError(f"{field} is not a valid Python regular expression: {error}") from None


def _check_subject_regex(value: str) -> str:
    """A pattern that compiles and does not accept any signer at all.

    The pattern is matched with ``re.fullmatch``, so it is anchored at both
    ends whatever it says. It is refused when it matches any of
    ``SUBJECT_PROBES``: no genuine signer presents one of those, so a pattern
    that accepts one does not pin the host, domain or owner of the signer.
    ``.*``, ``.+``, ``https://.+``, ``.+@.+`` and ``https://github\\.com/.+``
    are all refused this way; ``https://github\\.com/acme/app/\\.github/workflows/.+``
    and ``.+@acme\\.example`` are not. Patterns with catastrophic backtracking
    are not detected: the length limit and the short SANs Fulcio issues bound them.
    """
    pattern = _compile(value, "subject_regex")
    for probe in SUBJECT_PROBES:
        if pattern.fullmatch(probe):
            raise ValueError(
                f"subject_regex matches {probe!r}, a subject no genuine signer has: "
                "it must pin the signer's host, domain or repository owner"
            )
    return value


def _check_ref_regex(value: str) -> str:
    """A pattern that compiles, never matches the empty ref, and does not match every ref."""
    pattern = _compile(value, "ref_regex")
    if pattern.fullmatch(""):
        raise ValueError("ref_regex matches the empty string")
    if all(pattern.fullmatch(probe) for probe in REF_PROBES):
        raise ValueError("ref_regex matches every ref; leave it out to allow any ref")
    return value


def _check_repository(value: str) -> str:
    if not _GITHUB_REPOSITORY.fullmatch(value) or value.split("/")[1] in {".", ".."}:
        raise ValueError("repository is a GitHub OWNER/NAME, e.g. acme/payments")
    return value


def require_listed_once(values: Iterable[Hashable], name: str) -> None:
    """Raise ``ValueError`` naming the first entry of the list ``name`` that repeats one."""
    first_at: dict[Hashable, int] = {}
    for index, value in enumerate(values):
        earlier = first_at.setdefault(value, index)
        if earlier != index:
            raise ValueError(f"{name}[{index}] repeats {name}[{earlier}]")


def runner_refusal(runner: str | None, issuer: str) -> str | None:
    """Why ``runner`` cannot be required of ``issuer``'s certificates; None when it can."""
    github = issuer == GITHUB_ACTIONS_ISSUER
    if runner == "github-hosted" and not github:
        return (
            "runner_environment can only be required of GitHub Actions identities "
            f"(issuer {GITHUB_ACTIONS_ISSUER}) when it is github-hosted"
        )
    if runner == "gitlab-hosted" and github:
        return "runner_environment gitlab-hosted is never stated by GitHub Actions"
    return None


def is_workload_issuer(issuer: str) -> bool:
    """Whether ``issuer`` is the OIDC issuer of a CI service attestd knows (its runs sign)."""
    return issuer in WORKLOAD_ISSUERS or issuer.startswith(WORKLOAD_ISSUER_PREFIXES)


def default_kind(issuer: str, *, uri_subject: bool) -> Kind:
    """A signer's kind when no policy entry states one: a CI issuer's URI subject is a run."""
    return "workload" if uri_subject and is_workload_issuer(issuer) else "person"


Issuer = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ISSUER_MAX, pattern=PRINTABLE_PATTERN),
    AfterValidator(_check_issuer),
    Field(
        description="OIDC issuer URL, exactly as Fulcio records it.",
        examples=[GITHUB_ACTIONS_ISSUER],
    ),
]
Subject = Annotated[
    str,
    StringConstraints(max_length=SUBJECT_MAX, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$"),
    Field(description="The certificate's SAN (URI or e-mail), exactly."),
]
SubjectRegex = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REGEX_MAX, pattern=PRINTABLE_PATTERN),
    AfterValidator(_check_subject_regex),
    Field(
        description=(
            "Python regular expression the SAN must match in full (anchored). "
            "Must pin the host, domain or owner: catch-all patterns are refused."
        ),
        examples=[r"https://github\.com/acme/payments/\.github/workflows/.+"],
    ),
]
Repository = Annotated[
    str,
    StringConstraints(max_length=140),
    AfterValidator(_check_repository),
    Field(
        description="GitHub OWNER/NAME of the source repository (claim 1.12).",
        examples=["acme/payments"],
    ),
]
Ref = Annotated[
    str,
    StringConstraints(max_length=REF_MAX, pattern=r"^refs/[^\s\x00-\x1f\x7f-\x9f]+$"),
    Field(
        description="Git ref the run was for, exactly (claim 1.14).",
        examples=["refs/tags/v1.2.3", "refs/heads/main"],
    ),
]
RefRegex = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REGEX_MAX, pattern=PRINTABLE_PATTERN),
    AfterValidator(_check_ref_regex),
    Field(
        description="Python regular expression the git ref must match in full (claim 1.14).",
        examples=[r"refs/tags/v\d+\.\d+\.\d+"],
    ),
]
Workflow = Annotated[
    str,
    StringConstraints(
        max_length=WORKFLOW_MAX,
        pattern=r"^\.github/workflows/[^/@\s\x00-\x1f\x7f-\x9f]+\.ya?ml$",
    ),
    Field(
        description=(
            "Workflow file of the repository that started the run (claim 1.18); needs repository."
        ),
        examples=[".github/workflows/release.yml"],
    ),
]
KindField = Annotated[
    Kind | None,
    Field(
        description=(
            "workload (a CI run, a build service's account) or person; the workload-identity "
            "check counts only workloads. Default: workload for the CI issuers attestd knows "
            "(GitHub Actions, GitLab.com, Buildkite, Codefresh, CircleCI) when the "
            "certificate names a URI, person otherwise."
        ),
    ),
]
CommitDigest = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$"),
    Field(
        description="Build Signer Digest (claim 1.10): the commit of the signing workflow.",
        examples=["5b0a8e6f2d7c41398e1f6a2b9c0d3e4f5a6b7c8d"],
    ),
]
Trigger = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$"),
    Field(examples=["push", "release", "workflow_dispatch"]),
]
NumericId = Annotated[
    str,
    StringConstraints(pattern=r"^[1-9][0-9]{0,19}$"),
    Field(examples=["702145876"]),
]


# --- the policy -------------------------------------------------------------------------------


class Signer(NamedTuple):
    """One way a policy accepts a signer: its checks, and the identity it belongs to."""

    identity: int  # index into the policy's identities
    label: str  # how a refusal names it
    checks: VerificationPolicy


class AllowedIdentity(InputModel):
    """One signer attestd accepts: an OIDC issuer, a subject and optional GitHub claims."""

    model_config = ConfigDict(frozen=True)

    issuer: Issuer
    subject: Subject | None = None
    subject_regex: SubjectRegex | None = None
    repository: Repository | None = None
    ref: Ref | None = None
    ref_regex: RefRegex | None = None
    workflow: Workflow | None = None
    kind: KindField = None
    build_signer_digest: CommitDigest | None = None
    build_trigger: tuple[Trigger, ...] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TRIGGERS,
        description=(
            "Build Trigger (claim 1.20) values accepted, e.g. push, release. Absent: any "
            "trigger but pull_request_target."
        ),
    )
    source_repository_id: NumericId | None = Field(
        default=None, description="Immutable Source Repository Identifier (claim 1.15)."
    )
    source_repository_owner_id: NumericId | None = Field(
        default=None, description="Immutable Source Repository Owner Identifier (claim 1.17)."
    )
    runner_environment: RunnerEnvironment | None = Field(
        default=None, description="Runner Environment (claim 1.11)."
    )
    source_repository_visibility: Literal["public", "private", "internal"] | None = Field(
        default=None, description="Source Repository Visibility At Signing (claim 1.22)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AllowedIdentity:
        if (self.subject is None) == (self.subject_regex is None):
            raise ValueError("give exactly one of subject and subject_regex")
        if self.ref is not None and self.ref_regex is not None:
            raise ValueError("give at most one of ref and ref_regex")
        if self.build_trigger and len(set(self.build_trigger)) < len(self.build_trigger):
            raise ValueError("build_trigger lists a trigger twice")
        if (refused := runner_refusal(self.runner_environment, self.issuer)) is not None:
            raise ValueError(refused)
        github = [
            name
            for name in ("repository", "ref", "ref_regex", "workflow")
            if getattr(self, name) is not None
        ]
        if github and self.issuer != GITHUB_ACTIONS_ISSUER:
            raise ValueError(
                f"{', '.join(github)} can only be required of GitHub Actions identities "
                f"(issuer {GITHUB_ACTIONS_ISSUER})"
            )
        if self.workflow is not None and self.repository is None:
            raise ValueError("workflow needs repository: it is a file of that repository")
        return self


class IdentityPolicy(InputModel):
    """The signers a service accepts; an empty list accepts none."""

    model_config = ConfigDict(frozen=True)

    identities: tuple[AllowedIdentity, ...] = Field(
        default_factory=tuple,
        max_length=MAX_IDENTITIES,
        description="A signer is accepted when it matches any one of these; none: nobody.",
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> IdentityPolicy:
        require_listed_once(self.identities, "identities")
        return self

    def signers(self) -> tuple[Signer, ...]:
        """Each identity's checks, in order (a service policy adds the builders it calls)."""
        return tuple(
            Signer(index, f"identity {index + 1}", identity_checks(identity))
            for index, identity in enumerate(self.identities)
        )


def default_policy_for(repository_url: str) -> IdentityPolicy:
    """The policy a new service starts with: its repository's GitHub workflows, or nobody.

    ``repository_url`` is in the canonical form of ``normalize_repository``.
    Repositories on any other host get the empty policy until an admin sets one.
    """
    parts = urlsplit(repository_url)
    path = parts.path.strip("/")
    if parts.scheme != "https" or parts.netloc != "github.com" or not _is_github(path):
        return IdentityPolicy()
    workflows = re.escape(f"https://github.com/{path}/.github/workflows/")
    return IdentityPolicy(
        identities=(
            AllowedIdentity(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=workflows + ".+",
                repository=path,
            ),
        )
    )


def _is_github(path: str) -> bool:
    try:
        _check_repository(path)
    except ValueError:
        return False
    return True


# --- the sigstore form ------------------------------------------------------------------------


def to_sigstore(policy: IdentityPolicy) -> VerificationPolicy:
    """The sigstore-python policy for ``policy``; ``EmptyPolicy`` when it allows nobody."""
    if not policy.identities:
        raise EmptyPolicy(
            "The identity policy lists no allowed identity, so no signature can be accepted.",
            reasons=["no-allowed-identity"],
        )
    return AnyAllowedIdentity(policy.signers())


def identity_checks(identity: AllowedIdentity, also: Sequence[VerificationPolicy] = ()) -> AllOf:
    """Every check of one allowed identity, issuer first, and the checks ``also`` after them."""
    checks: list[VerificationPolicy] = [IssuerIs(identity.issuer)]
    if identity.subject is not None:
        # The issuer is checked above, in both encodings; Identity's own check reads only 1.1.
        checks.append(Identity(identity=identity.subject))
    elif identity.subject_regex is not None:
        checks.append(SubjectMatches(re.compile(identity.subject_regex)))
    else:
        # Validation rules this out; a model built without validation must not slip through.
        raise ValueError("an allowed identity needs subject or subject_regex")
    if identity.repository is not None:
        checks.append(OIDCSourceRepositoryURI(f"https://github.com/{identity.repository}"))
    if identity.ref is not None:
        checks.append(OIDCSourceRepositoryRef(identity.ref))
    if identity.ref_regex is not None:
        checks.append(
            ClaimMatches(
                OIDCSourceRepositoryRef.oid, "source repository ref", re.compile(identity.ref_regex)
            )
        )
    if identity.workflow is not None:
        build_config = f"https://github.com/{identity.repository}/{identity.workflow}@"
        checks.append(
            ClaimMatches(
                OIDCBuildConfigURI.oid,
                "build config URI",
                re.compile(re.escape(build_config) + ".+"),
            )
        )
    checks.append(TriggerAllowed(identity.build_trigger))
    exact = (
        (OIDCBuildSignerDigest, identity.build_signer_digest),
        (OIDCSourceRepositoryIdentifier, identity.source_repository_id),
        (OIDCSourceRepositoryOwnerIdentifier, identity.source_repository_owner_id),
        (OIDCRunnerEnvironment, identity.runner_environment),
        (OIDCSourceRepositoryVisibility, identity.source_repository_visibility),
    )
    checks.extend(claim(value) for claim, value in exact if value is not None)
    checks.extend(also)
    return AllOf(checks)


def matched_identity(policy: IdentityPolicy, cert: x509.Certificate) -> int | None:
    """The index of the identity of ``policy`` whose first signer accepts ``cert``; or None."""
    signer, _ = _first_match(policy.signers(), cert)
    return None if signer is None else signer.identity


def _first_match(
    signers: Sequence[Signer], cert: x509.Certificate
) -> tuple[Signer | None, list[str]]:
    """The first of ``signers`` that accepts ``cert``, or why each refused.

    The refusals of signers whose subject matched come first: a signer that is the
    right workflow but ran for another repository, or on the wrong runner, is
    what a reader of a refusal needs to see before the signers it is not.
    """
    failures: list[tuple[bool, str]] = []
    for signer in signers:
        try:
            signer.checks.verify(cert)
        except SubjectMismatch as error:
            failures.append((True, f"{signer.label}: {error}"))
        except VerificationError as error:
            failures.append((str(error).startswith(_SANS_DIFFER), f"{signer.label}: {error}"))
        except (ValueError, x509.ExtensionNotFound) as error:
            # A missing SAN or a badly encoded claim: a refusal, not a crash.
            failures.append((False, f"{signer.label}: unreadable certificate: {error}"))
        else:
            return signer, []
    return None, [text for _, text in sorted(failures, key=lambda failure: failure[0])]


# How sigstore's ``Identity`` says that no SAN is the subject it wants.
_SANS_DIFFER = "Certificate's SANs do not match"


class SubjectMismatch(VerificationError):
    """No SAN of the certificate is the signer an identity names."""


class AnyAllowedIdentity(AnyOf):
    """sigstore's ``AnyOf``, failing closed on unreadable extensions and saying why each failed."""

    def __init__(self, signers: Sequence[Signer]) -> None:
        self._signers = tuple(signers)
        super().__init__([signer.checks for signer in self._signers])

    def verify(self, cert: x509.Certificate) -> None:
        """Return when one signer accepts ``cert``; raise ``VerificationError`` otherwise."""
        signer, failures = _first_match(self._signers, cert)
        if signer is not None:
            return
        raise VerificationError(
            "the signing certificate matches no allowed identity: " + "; ".join(failures)
        )


class IssuerIs:
    """The OIDC issuer is ``issuer`` in every encoding the certificate carries (1.8, 1.1)."""

    def __init__(self, issuer: str) -> None:
        self._checks: tuple[OIDCIssuerV2 | OIDCIssuer, ...] = (
            OIDCIssuerV2(issuer),
            OIDCIssuer(issuer),
        )

    def verify(self, cert: x509.Certificate) -> None:
        present = [check for check in self._checks if _has_extension(cert, check.oid)]
        if not present:
            raise VerificationError("certificate names no OIDC issuer (extension 1.8 or 1.1)")
        for check in present:
            check.verify(cert)


class SubjectMatches:
    """A SAN of the certificate matches ``pattern`` in full."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern

    def verify(self, cert: x509.Certificate) -> None:
        subjects = certificate_subjects(cert)
        if not any(self._pattern.fullmatch(subject) for subject in subjects):
            raise SubjectMismatch(
                f"no SAN matches {self._pattern.pattern!r}; the certificate has {subjects}"
            )


class ClaimMatches:
    """A Fulcio claim (a DER UTF8String extension) matches ``pattern`` in full."""

    def __init__(self, oid: x509.ObjectIdentifier, name: str, pattern: re.Pattern[str]) -> None:
        self._oid = oid
        self._name = name
        self._pattern = pattern

    def verify(self, cert: x509.Certificate) -> None:
        value = _claim(cert, self._oid)
        if value is None:
            raise VerificationError(
                f"certificate has no {self._name} (extension {self._oid.dotted_string})"
            )
        if not self._pattern.fullmatch(value):
            raise VerificationError(
                f"{self._name} {value!r} does not match {self._pattern.pattern!r}"
            )


class TriggerAllowed:
    """The Build Trigger is in ``allowed``; with no list, it is none of ``REFUSED_TRIGGERS``.

    The trigger is read from Build Trigger (1.20) and from the deprecated GitHub
    Workflow Trigger (1.2) when the certificate has it: every value stated must
    pass. An allow-list needs 1.20.
    """

    def __init__(self, allowed: Collection[str] | None) -> None:
        self._allowed = None if allowed is None else frozenset(allowed)

    def verify(self, cert: x509.Certificate) -> None:
        current = _claim(cert, OIDCBuildTrigger.oid)
        legacy = _claim(cert, GITHUB_WORKFLOW_TRIGGER_OID, der=False)
        stated = {value for value in (current, legacy) if value is not None}
        if self._allowed is None:
            refused = sorted(stated & REFUSED_TRIGGERS)
            if refused:
                raise VerificationError(
                    f"build trigger {refused[0]!r} is refused unless the identity lists it "
                    "in build_trigger"
                )
            return
        if current is None:
            raise VerificationError(
                f"certificate has no build trigger (extension {OIDCBuildTrigger.oid.dotted_string})"
            )
        outside = sorted(stated - self._allowed)
        if outside:
            raise VerificationError(
                f"build trigger {outside[0]!r} is not one of {sorted(self._allowed)}"
            )


def certificate_subjects(cert: x509.Certificate) -> list[str]:
    """The certificate's SAN identities: URIs, e-mail addresses and Sigstore usernames."""
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    subjects = [
        *names.get_values_for_type(x509.UniformResourceIdentifier),
        *names.get_values_for_type(x509.RFC822Name),
    ]
    for other in names.get_values_for_type(x509.OtherName):
        if other.type_id == SIGSTORE_USERNAME_OID:
            subjects.append(asn1.decode_der(str, other.value))
    return subjects


def _has_extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool:
    try:
        cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return False
    return True


def _claim(cert: x509.Certificate, oid: x509.ObjectIdentifier, *, der: bool = True) -> str | None:
    """A Fulcio claim as text (a DER UTF8String, or raw UTF-8 for the deprecated 1.2-1.6);
    ``None`` when absent, ValueError when badly encoded."""
    try:
        extension = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    if not isinstance(extension, x509.UnrecognizedExtension):
        raise VerificationError(f"extension {oid.dotted_string} is not a Fulcio claim")
    if der:
        return asn1.decode_der(str, extension.value)
    return extension.value.decode("utf-8")  # a UnicodeDecodeError is a ValueError
