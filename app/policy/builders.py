"""The builder rules of a policy: the trust map of builders and the levels they vouch for. Pure.

A builder id is what a provenance says about itself: anyone who can sign can
write any builder id (slsa-verifier issue #395). So the trust map names each
trusted builder by its builder id (exact, or a prefix) **and** by the identity
that must have signed its provenance, and says the highest SLSA Build level
that pair may vouch for. ``app.provenance.levels`` grades a provenance with it.

Default trust map (``DEFAULT_TRUST_MAP``)
-----------------------------------------

**GitHub Actions hosted runners → Build L2.** ``actions/attest-build-provenance``
(through ``@actions/attest``) signs the provenance in the workflow's own job with
the workflow's GitHub Actions identity. Its earlier releases wrote the builder
id ``https://github.com/actions/runner/github-hosted`` (``…/self-hosted`` on a
self-hosted runner); current ones write the workflow that ran,
``https://github.com/OWNER/REPO/.github/workflows/FILE@REF``. The entry trusts
builder id ``https://github.com/actions/runner/github-hosted`` (exact) when
signed by issuer ``https://token.actions.githubusercontent.com``, any workflow
subject ``https://github.com/OWNER/REPO/.github/workflows/FILE@REF``, and the
certificate's Runner Environment is ``github-hosted``; a provenance that claims
a hosted runner while the certificate says ``self-hosted`` is held to L1. The
workflow-named builder ids of current releases reach L2 by the hosted-platform
rule above. Neither is L3: the provenance is written in the job being built,
whose own steps could forge its contents.

**SLSA GitHub generator → Build L3.** The reusable workflows of
``slsa-framework/slsa-github-generator`` build or attest in jobs the calling
workflow cannot tamper with and sign as themselves: Fulcio puts the reusable
workflow in the certificate's SAN, and the builder id is that same workflow at
its release tag
(``https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0``).
The entry trusts builder ids under the prefix
``https://github.com/slsa-framework/slsa-github-generator/.github/workflows/``
when the builder id **equals** the certificate's SAN, that SAN is one of the
generator's builder workflows slsa-verifier knows (``generator_generic_slsa3.yml``,
``generator_container_slsa3.yml``, ``builder_go_slsa3.yml``,
``builder_docker-based_slsa3.yml``, ``builder_container-based_slsa3.yml``) at a
release tag ``refs/tags/vX.Y.Z`` (the only refs slsa-verifier accepts), the
issuer is GitHub Actions, and the certificate's Runner Environment is
``github-hosted`` (the generator's job ran on GitHub's own runners). The BYOB
delegator workflows are not in the default: their builder id is the calling
builder, not the signer.

A service's policy opts into the generator (``builders``: its signature is
refused otherwise, ``app.policy.document``) and may name reusable workflows of
other repositories (``ReusableWorkflow``): each adds an L3 entry for provenance
whose builder id is that workflow, signed by itself on a GitHub-hosted runner,
which is what ``actions/attest-build-provenance`` writes inside a reusable
workflow. No entry whose builder must be its signer vouches for a workflow that
ran for its own repository (Source Repository URI, 1.12): any job that can push
there could have rewritten it.

Trust domains
-------------

Reproducibility counts the distinct **trust domains** (who operates a builder:
an organisation, a rebuild service) whose builds agree on a release's digest
(``app.provenance.reproducibility``). Only builds vouched for by an entry marked
``rebuilder`` or at Build L2 or above count, and a policy's entry that counts
must name its ``trust_domain`` (``app.policy.schemas``). The defaults name none:
every GitHub repository can use them, so each of their builds is in its signer's
own domain, the issuer and repository owner (``app.provenance.domains``).
Whatever an entry names, builds signed under one repository or one owner are
one domain.

Services add their own entries (a private builder, a GitLab or Buildkite
identity) in their policy. Every entry is validated like an identity policy:
issuer an ``https://`` URL, exactly one of ``subject`` and ``subject_regex``
(matched in full; catch-all patterns refused), GitHub claims only with the
GitHub Actions issuer, a prefix that ends at a ``/`` or ``@`` boundary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

import rfc8785
from pydantic import ConfigDict, Field, StringConstraints, model_validator

from app.digests import content_digest
from app.policy.identities import (
    GITHUB_ACTIONS_ISSUER,
    CommitDigest,
    Issuer,
    KindField,
    Repository,
    RunnerEnvironment,
    Subject,
    SubjectRegex,
    Workflow,
    require_listed_once,
    runner_refusal,
)
from app.wire import PRINTABLE_PATTERN, InputModel

BUILDER_ID_MAX: Final = 2048
MAX_BUILDERS: Final = 100
MAX_REUSABLE_WORKFLOWS: Final = 20  # a trust map holds MAX_BUILDERS entries and these
DESCRIPTION_MAX: Final = 500
TRUST_DOMAIN_MAX: Final = 64
HOSTED_RUNNER: Final = "github-hosted"
SELF_HOSTED_RUNNER: Final = "self-hosted"
# Untrusted texts (a signer's SAN, a builder id) are quoted at most this long in reasons.
_QUOTE_MAX = 200


def quoted(text: str) -> str:
    """``text`` in quotes, cut to a length a reason can show."""
    return repr(text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1] + "…")


BuilderId = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=BUILDER_ID_MAX, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$"
    ),
    Field(
        description="The provenance's builder id, or its prefix (see match).",
        examples=["https://github.com/actions/runner/github-hosted"],
    ),
]
Level = Annotated[int, Field(ge=1, le=3, strict=True)]
Description = Annotated[
    str, StringConstraints(max_length=DESCRIPTION_MAX, pattern=PRINTABLE_PATTERN)
]
TrustDomain = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=TRUST_DOMAIN_MAX, pattern=r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$"
    ),
    Field(
        description=(
            "Who operates the builder (an organisation, a rebuild service): a short lower-case "
            "name. Reproducibility counts distinct trust domains."
        ),
        examples=["rebuild.example.org"],
    ),
]
# Absent and false are one value, left out of the stored form, so stored digests do not change.
Rebuilder = Annotated[
    bool,
    Field(
        strict=True,
        exclude_if=lambda rebuilder: not rebuilder,
        description=(
            "Its builds count towards a release's reproducibility whatever Build level it "
            "vouches for (an independent rebuilder); needs trust_domain."
        ),
    ),
]


class BuilderSigner(InputModel):
    """The identity that must have signed a trusted builder's provenance."""

    model_config = ConfigDict(frozen=True)

    issuer: Issuer
    subject: Subject | None = None
    subject_regex: SubjectRegex | None = None
    runner_environment: RunnerEnvironment | None = Field(
        default=None,
        description="Runner Environment claim (1.11) required of the signer: github-hosted "
        "(GitHub Actions only), gitlab-hosted or self-hosted.",
    )
    kind: KindField = Field(
        default=None,
        description="workload or person for the workload-identity check; default workload: "
        "a trusted builder's signer is a build service.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> BuilderSigner:
        if (self.subject is None) == (self.subject_regex is None):
            raise ValueError("give exactly one of subject and subject_regex")
        if (refused := runner_refusal(self.runner_environment, self.issuer)) is not None:
            raise ValueError(refused)
        return self

    def describe(self) -> str:
        who = self.subject if self.subject is not None else f"a SAN matching {self.subject_regex}"
        runner = (
            "" if self.runner_environment is None else f", on a {self.runner_environment} runner"
        )
        return f"{who} (issuer {self.issuer}{runner})"

    def refusal(self, subject: str, issuer: str, claims: Mapping[str, str]) -> str | None:
        """Why the signer ``subject`` of ``issuer`` is not this one; None when it is."""
        if issuer != self.issuer:
            return f"the signer's issuer is {quoted(issuer)}"
        if self.subject is not None and subject != self.subject:
            return f"the signer is {quoted(subject)}"
        if self.subject_regex is not None and not re.fullmatch(self.subject_regex, subject):
            return f"the signer is {quoted(subject)}"
        runner = claims.get("runner_environment")
        if self.runner_environment is not None and runner != self.runner_environment:
            stated = "not stated" if runner is None else quoted(runner)
            return f"the certificate's runner environment is {stated}"
        return None


class TrustedBuilder(InputModel):
    """A builder (by builder id) and its signer, and the highest Build level they vouch for."""

    model_config = ConfigDict(frozen=True)

    builder_id: BuilderId
    match: Literal["exact", "prefix"] = Field(
        default="exact",
        description="exact: the builder id equals builder_id; prefix: it starts with it.",
    )
    signer: BuilderSigner
    builder_is_signer: bool = Field(
        default=False,
        strict=True,
        description=(
            "The builder id must equal the signer's SAN: builders that are reusable "
            "workflows sign as themselves."
        ),
    )
    max_level: Level = Field(description="Highest SLSA Build level this builder vouches for.")
    description: Description | None = None
    rebuilder: Rebuilder = False
    trust_domain: TrustDomain | None = None  # None: the signer's own (app.provenance.domains)

    @model_validator(mode="after")
    def _bounded_prefix(self) -> TrustedBuilder:
        if self.match == "prefix":
            _check_prefix(self.builder_id)
        return self

    def matches_builder(self, builder_id: str) -> bool:
        if self.match == "exact":
            return builder_id == self.builder_id
        return builder_id.startswith(self.builder_id)

    def refusal(
        self, builder_id: str, subject: str, issuer: str, claims: Mapping[str, str]
    ) -> str | None:
        """Why this entry does not vouch for ``builder_id`` signed so; None when it does."""
        refused = self.signer.refusal(subject, issuer, claims)
        if refused is None and self.builder_is_signer:
            if builder_id != subject:
                refused = f"the builder id is not the signer's identity {quoted(subject)}"
            elif _called_from_its_own_repository(subject, claims):
                refused = (
                    "the signing workflow ran for its own repository, whose jobs could change it"
                )
        return refused


def _called_from_its_own_repository(subject: str, claims: Mapping[str, str]) -> bool:
    """Whether a workflow SAN belongs to the repository the run was for (claim 1.12).

    A reusable workflow isolates the build from the caller only when the caller
    cannot change it: a workflow of the calling repository can be rewritten by
    any job that can push there.
    """
    source = claims.get("source_repository_uri")
    return source is not None and subject.lower().startswith(source.lower().rstrip("/") + "/")


def _check_prefix(prefix: str) -> None:
    """A prefix that pins a scheme, a host and a path, and ends at a boundary (``/`` or ``@``)."""
    parts = urlsplit(prefix)
    if not parts.scheme or not parts.hostname or "@" in parts.netloc:
        raise ValueError("a builder id prefix must be a URL with a host and no credentials")
    if not prefix.endswith(("/", "@")):
        raise ValueError(
            "a builder id prefix must end with '/' or '@', so that it cannot match a "
            "longer name (…/acme matching …/acme-evil)"
        )
    if not parts.path.strip("/@"):
        raise ValueError("a builder id prefix must name a path below the host")


class TrustedBuilderRule(InputModel):
    """One trusted builder as a policy names it: ``id`` (exact) or ``id_prefix``."""

    model_config = ConfigDict(frozen=True)

    id: BuilderId | None = None
    id_prefix: BuilderId | None = Field(
        default=None,
        description="Builder ids starting with this; it must end at a '/' or '@'.",
    )
    signer: BuilderSigner
    builder_is_signer: bool = Field(
        default=False,
        strict=True,
        description="The builder id must equal the signer's SAN (reusable workflows).",
    )
    max_level: Level
    description: Description | None = None
    rebuilder: Rebuilder = False
    trust_domain: TrustDomain | None = None

    @model_validator(mode="after")
    def _one_id(self) -> TrustedBuilderRule:
        if (self.id is None) == (self.id_prefix is None):
            raise ValueError("give exactly one of id and id_prefix")
        self.trusted_builder()  # the trust map's own rules (prefix boundaries)
        return self

    def trusted_builder(self) -> TrustedBuilder:
        builder_id = self.id if self.id is not None else self.id_prefix
        if builder_id is None:  # ruled out by validation
            raise ValueError("a trusted builder needs id or id_prefix")
        return TrustedBuilder(
            builder_id=builder_id,
            match="exact" if self.id is not None else "prefix",
            signer=self.signer,
            builder_is_signer=self.builder_is_signer,
            max_level=self.max_level,
            description=self.description,
            rebuilder=self.rebuilder,
            trust_domain=self.trust_domain,
        )

    @property
    def counts_towards_reproducibility(self) -> bool:
        """A rebuilder, or a builder of Build L2 or above: its builds are a trust domain's vote."""
        return self.rebuilder or self.max_level >= 2


class TrustMap(InputModel):
    """The builders trusted to vouch for a SLSA Build level; empty: none beyond L2."""

    model_config = ConfigDict(frozen=True)

    builders: tuple[TrustedBuilder, ...] = Field(
        default_factory=tuple, max_length=MAX_BUILDERS + MAX_REUSABLE_WORKFLOWS
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> TrustMap:
        require_listed_once(self.builders, "builders")
        return self


def trust_map_digest(trust_map: TrustMap) -> str:
    """``sha256:<hex>`` of the RFC 8785 canonical JSON of ``trust_map`` (as ``policy_digest``).

    Absent values (``None``) are left out; defaults that take effect are covered;
    the order of ``builders`` counts.
    """
    document = trust_map.model_dump(mode="json", exclude_none=True)
    return content_digest(rfc8785.dumps(document))


# --- builders a service calls -----------------------------------------------------------------


class ReusableWorkflow(InputModel):
    """A reusable workflow of another repository that builds and attests for the service.

    Fulcio names the called workflow in the certificate (SAN and Build Signer URI,
    1.9), and ``actions/attest-build-provenance`` run inside it writes that same
    workflow as the builder id: the caller's jobs cannot change its steps, so its
    provenance is SLSA Build L3 (``trusted_builder``). The service policy accepts
    its signature only for runs of the service's own repository
    (``app.policy.document``).
    """

    model_config = ConfigDict(frozen=True)

    repository: Annotated[
        Repository, Field(description="GitHub OWNER/NAME of the reusable workflow.")
    ]
    workflow: Annotated[
        Workflow,
        Field(description="The reusable workflow's file in that repository."),
    ]
    build_signer_digest: CommitDigest | None = Field(
        default=None,
        description="The reusable workflow's commit (Build Signer Digest, claim 1.10); absent: "
        "any commit.",
    )

    @property
    def uri(self) -> str:
        """``https://github.com/OWNER/REPO/PATH``, as the SAN names it before ``@REF``."""
        return f"https://github.com/{self.repository}/{self.workflow}"

    @property
    def signer_regex(self) -> str:
        """The SAN of a run of this workflow, at any ref."""
        return re.escape(self.uri + "@") + r"\S+"

    def trusted_builder(self) -> TrustedBuilder:
        """The trust map entry giving its provenance Build L3: signed by itself, hosted."""
        return TrustedBuilder(
            builder_id=self.uri + "@",
            match="prefix",
            signer=BuilderSigner(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=self.signer_regex,
                runner_environment=HOSTED_RUNNER,
            ),
            builder_is_signer=True,
            max_level=3,
            description=f"reusable workflow {self.repository}/{self.workflow}",
        )


# Builders attestd knows by name, which a service policy's ``builders`` opts into: the
# SAN their runs sign with. Their trust map entries are in ``DEFAULT_TRUST_MAP``.
NamedBuilder = Literal["slsa-github-generator"]


def named_builder_signer(name: NamedBuilder) -> str:
    """The SAN pattern of ``name``'s runs."""
    return {"slsa-github-generator": SLSA_GENERATOR_SIGNER}[name]


# --- the default ------------------------------------------------------------------------------

_GITHUB_OWNER = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}"
_GITHUB_NAME = r"[A-Za-z0-9._-]{1,100}"
# Any workflow of any repository, at any ref: the SAN Fulcio gives a GitHub Actions job.
ANY_GITHUB_WORKFLOW: Final = (
    rf"https://github\.com/{_GITHUB_OWNER}/{_GITHUB_NAME}/\.github/workflows/[^/@]+\.ya?ml@refs/.+"
)
SLSA_GENERATOR_WORKFLOWS: Final = (
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
)
# The generator's builder workflows slsa-verifier knows, at a release tag vX.Y.Z.
SLSA_GENERATOR_SIGNER: Final = (
    r"https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/"
    r"(?:generator_generic_slsa3|generator_container_slsa3|builder_go_slsa3"
    r"|builder_docker-based_slsa3|builder_container-based_slsa3)\.yml"
    r"@refs/tags/v\d+\.\d+\.\d+"
)

DEFAULT_TRUST_MAP: Final = TrustMap(
    builders=(
        TrustedBuilder(
            builder_id="https://github.com/actions/runner/github-hosted",
            match="exact",
            signer=BuilderSigner(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=ANY_GITHUB_WORKFLOW,
                runner_environment=HOSTED_RUNNER,
            ),
            max_level=2,
            description="GitHub Actions hosted runners (actions/attest-build-provenance)",
        ),
        TrustedBuilder(
            builder_id=SLSA_GENERATOR_WORKFLOWS,
            match="prefix",
            signer=BuilderSigner(
                issuer=GITHUB_ACTIONS_ISSUER,
                subject_regex=SLSA_GENERATOR_SIGNER,
                runner_environment=HOSTED_RUNNER,
            ),
            builder_is_signer=True,
            max_level=3,
            description="SLSA GitHub generator reusable workflows at a release tag",
        ),
    )
)
