"""A service's policy, the one document: signers, builders, release and maturity rules.

``ServicePolicyDocument`` is the identity policy (``app.policy.identities``)
with the builder rules (``app.policy.builders``), the release rules and the
maturity rules (``app.policy.maturity``). Every field beyond ``identities`` is
optional, and absent (``None``) means attestd's default, so the digest of a
policy stored before a field existed does not change:

* ``trusted_builders``: entries added to the default trust map
  (``app.policy.builders.DEFAULT_TRUST_MAP``), each a builder id (``id``) or
  builder id prefix (``id_prefix``) with the identity that must have signed its
  provenance and the highest SLSA Build level it vouches for;
* ``builders`` and ``reusable_workflows``: builders the service calls, which sign
  as themselves (the SLSA GitHub generator by name; reusable workflows of other
  repositories by repository and file, optionally pinned to a commit). Each is
  accepted under an identity that names a repository (``signers``), for a run of
  that repository at a release ref on a GitHub-hosted runner; a reusable workflow
  also adds a trust map entry giving its own provenance Build L3;
* ``release_refs``: the git refs a release is built from (default: any tag);
* ``reproducibility_quorum``: distinct trust domains whose builds must agree
  on a release's digest for it to be reproducible (default 2);
* ``environments``, ``min_sbom_quality``, ``sbom_profiles``, ``sbom_component_share``,
  ``coverage_window_days`` and ``check_weights``: the maturity rules;
* ``deny_open_severity``: by environment, the severity of an open vulnerability at
  which the gate denies (``app.policy.maturity``); it may name only environments the
  policy names;
* ``predicate_types``: in-toto predicate types accepted besides attestd's default
  allow-list (``app.attestations.verification.PREDICATE_TYPES``): absolute
  ``https://`` or ``http://`` URIs, each once, compared exactly with a statement's
  ``predicateType``.
* ``keys``: public keys whose keyed bundles the service accepts (``app.policy.keys``),
  each under a unique name; keyed evidence never meets an identity of ``identities``;
* ``allow_v01_inclusion_promise``: accept v0.1 bundles whose log entry has an
  inclusion promise (SET) and no inclusion proof (default: refused).

The stored form is ``model_dump(mode="json", exclude_none=True)``;
``canonical_policy`` is its RFC 8785 canonical JSON, the exact bytes
``policy_digest`` is the sha256 of (and ``GET …/policy/versions/N/document``
serves).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Final, NamedTuple, TypeVar, get_args
from urllib.parse import urlsplit

import rfc8785
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator
from sigstore.verify.policy import OIDCSourceRepositoryRef

from app.digests import content_digest
from app.policy.builders import (
    DEFAULT_TRUST_MAP,
    HOSTED_RUNNER,
    MAX_BUILDERS,
    MAX_REUSABLE_WORKFLOWS,
    NamedBuilder,
    ReusableWorkflow,
    TrustedBuilderRule,
    TrustMap,
    named_builder_signer,
)
from app.policy.identities import (
    ClaimMatches,
    IdentityPolicy,
    Kind,
    RefRegex,
    Signer,
    default_kind,
    identity_checks,
    require_listed_once,
)
from app.policy.keys import MAX_KEYS, TrustedKey, fingerprint, keys_named_once
from app.policy.maturity import (
    DEFAULT_ENVIRONMENTS,
    DEFAULT_SBOM_COMPONENT_SHARE,
    CheckWeights,
    CoverageWindowDays,
    DenyOpenSeverity,
    Environments,
    MaturityPolicy,
    MinSbomQuality,
    SbomComponentShare,
    SbomProfiles,
    maturity_policy,
)

# Release builds come from tags unless a service's policy says otherwise.
DEFAULT_RELEASE_REFS: Final = r"refs/tags/.+"
DEFAULT_REPRODUCIBILITY_QUORUM: Final = 2
MAX_REPRODUCIBILITY_QUORUM: Final = 10
MAX_PREDICATE_TYPES: Final = 50
PREDICATE_TYPE_MAX: Final = 512


def _check_predicate_type(value: str) -> str:
    """An absolute http(s) URI with a host, without credentials, query or fragment."""
    if not value.startswith(("https://", "http://")):
        raise ValueError("a predicate type must be an absolute https:// or http:// URI")
    parts = urlsplit(value)
    if not parts.hostname or "@" in parts.netloc:
        raise ValueError("a predicate type URI needs a host name and no credentials")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("a predicate type URI must not have a query or fragment")
    return value


def _listed_once(values: tuple[str, ...]) -> tuple[str, ...]:
    require_listed_once(values, "predicate_types")
    return values


PredicateType = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=PREDICATE_TYPE_MAX, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$"
    ),
    AfterValidator(_check_predicate_type),
    Field(
        description="An in-toto predicate type: an absolute https:// or http:// URI, "
        "compared exactly with a statement's predicateType.",
        examples=["https://example.com/attestations/deploy-approval/v1"],
    ),
]
PredicateTypes = Annotated[
    tuple[PredicateType, ...],
    Field(max_length=MAX_PREDICATE_TYPES),
    AfterValidator(_listed_once),
]


class ServicePolicyDocument(IdentityPolicy):
    """The identity policy with the provenance rules; ``None``: attestd's default."""

    trusted_builders: tuple[TrustedBuilderRule, ...] | None = Field(
        default=None,
        max_length=MAX_BUILDERS - len(DEFAULT_TRUST_MAP.builders),
        description="Builders trusted besides the defaults (GitHub-hosted runners up to "
        "Build L2, the SLSA GitHub generator up to L3).",
    )
    builders: tuple[NamedBuilder, ...] | None = Field(
        default=None,
        max_length=len(get_args(NamedBuilder)),
        description="Builders attestd knows by name that may sign for the service's "
        "repository: slsa-github-generator (its builder workflows at a release tag, on a "
        "GitHub-hosted runner, for a release ref of a repository the identities name), Build "
        "L3 by the default trust map.",
    )
    reusable_workflows: tuple[ReusableWorkflow, ...] | None = Field(
        default=None,
        max_length=MAX_REUSABLE_WORKFLOWS,
        description="Reusable workflows of other repositories that may sign for the "
        "service's repository (for a release ref of a repository the identities name, on a "
        "GitHub-hosted runner), and whose provenance they sign as themselves is Build L3.",
    )
    release_refs: RefRegex | None = Field(
        default=None,
        description=f"Git refs releases are built from; default {DEFAULT_RELEASE_REFS!r}.",
    )
    reproducibility_quorum: int | None = Field(
        default=None,
        ge=1,
        le=MAX_REPRODUCIBILITY_QUORUM,
        strict=True,
        description="Distinct trust domains (operators of builders) whose builds must "
        f"attest one digest for a release to be reproducible; default "
        f"{DEFAULT_REPRODUCIBILITY_QUORUM}.",
    )

    environments: Environments | None = Field(
        default=None,
        description="Maturity level a deploy to each environment needs; default "
        f"{DEFAULT_ENVIRONMENTS}. The gate refuses environments not listed.",
    )
    min_sbom_quality: MinSbomQuality | None = Field(
        default=None, description="SBOM quality (0-10) that level 2 asks for; default 6.0."
    )
    sbom_profiles: SbomProfiles | None = Field(
        default=None,
        description="SBOM profile required at each level (2 and 4); default ntia-2021 at "
        "level 2 and cisa-2025 at level 4.",
    )
    sbom_component_share: SbomComponentShare | None = Field(
        default=None,
        description="Share (0-1] of an SBOM's components that must carry each component "
        f"element of a profile; default {DEFAULT_SBOM_COMPONENT_SHARE}.",
    )
    coverage_window_days: CoverageWindowDays | None = Field(
        default=None,
        description="Days back that coverage, reproducibility and the score trend look; "
        "default 30.",
    )
    check_weights: CheckWeights | None = Field(
        default=None,
        description="Weight of checks in the score, by check id; others keep their "
        "default (5 for level 1 checks down to 1 for level 5).",
    )
    deny_open_severity: DenyOpenSeverity | None = Field(
        default=None,
        description="By environment, the severity at or above which an open vulnerability "
        "makes the gate deny; default critical for production, nothing elsewhere.",
    )
    predicate_types: PredicateTypes | None = Field(
        default=None,
        description="In-toto predicate types accepted besides attestd's default allow-list.",
    )

    keys: tuple[TrustedKey, ...] | None = Field(
        default=None,
        max_length=MAX_KEYS,
        description="Public keys whose keyed bundles (no certificate) the service accepts.",
    )
    allow_v01_inclusion_promise: bool | None = Field(
        default=None,
        strict=True,
        description="Accept v0.1 bundles that rest on their inclusion promise (SET) without "
        "an inclusion proof; default false.",
    )

    @model_validator(mode="after")
    def _keys_once(self) -> ServicePolicyDocument:
        keys_named_once(self.keys)
        return self

    def trusted_key(self, key_fingerprint: str | None) -> TrustedKey | None:
        """The key of this policy with ``key_fingerprint``; None when it lists no such key."""
        return next(
            (key for key in self.keys or () if fingerprint(key.public_key()) == key_fingerprint),
            None,
        )

    @model_validator(mode="after")
    def _called_builders_run_for_a_repository(self) -> ServicePolicyDocument:
        lines: tuple[tuple[str, tuple[object, ...]], ...] = (
            ("builders", self.builders or ()),
            ("reusable_workflows", self.reusable_workflows or ()),
        )
        for field, items in lines:
            repeated = [item for index, item in enumerate(items) if item in items[:index]]
            if repeated:
                raise ValueError(f"{field} lists {_named(repeated[0])} twice")
        if not (self.builders or self.reusable_workflows):
            return self
        repositories = {i.repository.lower() for i in self.identities if i.repository}
        if not repositories:
            raise ValueError(
                "builders and reusable_workflows sign for the repositories the identities "
                "name: give an identity with repository (the service's repository)"
            )
        for workflow in self.reusable_workflows or ():
            if workflow.repository.lower() in repositories:
                raise ValueError(
                    f"reusable workflow {workflow.repository}/{workflow.workflow} is in a "
                    "repository the identities name: jobs of that repository could change it, "
                    "so it is no isolated builder (a reusable workflow of another repository is)"
                )
        return self

    @model_validator(mode="after")
    def _builders_once(self) -> ServicePolicyDocument:
        self.trust_map()  # no entry repeats another, or a default one
        return self

    @model_validator(mode="after")
    def _severities_of_named_environments(self) -> ServicePolicyDocument:
        environments = self.effective_environments
        unnamed = sorted(set(self.deny_open_severity or {}) - set(environments))
        if unnamed:
            raise ValueError(
                f"deny_open_severity names {', '.join(unnamed)}, which the policy's "
                f"environments ({', '.join(sorted(environments))}) do not list"
            )
        return self

    def trust_map(self) -> TrustMap:
        """The default trust map, this policy's builders, then its reusable workflows."""
        added = tuple(rule.trusted_builder() for rule in self.trusted_builders or ())
        called = tuple(workflow.trusted_builder() for workflow in self.reusable_workflows or ())
        return TrustMap(builders=(*DEFAULT_TRUST_MAP.builders, *added, *called))

    def signers(self) -> tuple[Signer, ...]:
        """Each identity's checks, then the builders and reusable workflows it calls.

        A called builder signs as itself (its SAN is the builder's workflow), for a
        run of the identity's repository: it is accepted under that identity when
        every constraint of the identity on the run holds (repository, ids,
        calling workflow, trigger, visibility) and, besides, the builder's SAN, a
        GitHub-hosted runner, a release ref and, for a reusable workflow pinned
        so, its commit.
        """
        called: list[Signer] = []
        for index, identity in enumerate(self.identities):
            if identity.repository is None:
                continue  # a builder called by whom? only GitHub identities name a run
            for name in self.builders or ():
                called.append(self._called_by(index, name, named_builder_signer(name), None))
            for workflow in self.reusable_workflows or ():
                if workflow.repository.lower() == identity.repository.lower():
                    continue  # refused by validation; never a builder of its own caller
                called.append(
                    self._called_by(
                        index,
                        f"reusable workflow {workflow.workflow.rpartition('/')[2]}",
                        workflow.signer_regex,
                        workflow.build_signer_digest,
                    )
                )
        return (*super().signers(), *called)

    def _called_by(self, index: int, name: str, subject_regex: str, digest: str | None) -> Signer:
        identity = self.identities[index].model_copy(
            update={
                "subject": None,
                "subject_regex": subject_regex,
                "runner_environment": HOSTED_RUNNER,
                "build_signer_digest": digest,  # the identity's own pins its workflow, not this
            }
        )
        release_ref = ClaimMatches(
            OIDCSourceRepositoryRef.oid,
            "source repository ref",
            re.compile(self.effective_release_refs),
        )
        return Signer(
            index, f"identity {index + 1} through {name}", identity_checks(identity, [release_ref])
        )

    def signer_kind(
        self,
        identity: int | None,
        subject: str,
        issuer: str,
        claims: Mapping[str, str],
        *,
        uri_subject: bool,
    ) -> Kind:
        """Whether a signer that ``identities[identity]`` accepted is a workload or a person.

        The kinds stated by that identity and by every trusted builder whose signer
        it is decide: ``person`` if any says so, else ``workload`` if any says so or
        the signer is a trusted builder's; with neither, ``default_kind``.
        """
        builders = [
            entry.signer
            for entry in self.trust_map().builders
            if entry.signer.refusal(subject, issuer, claims) is None
        ]
        stated = {signer.kind for signer in builders if signer.kind is not None}
        if identity is not None and (kind := self.identities[identity].kind) is not None:
            stated.add(kind)
        if "person" in stated:
            return "person"
        if stated or builders:
            return "workload"
        return default_kind(issuer, uri_subject=uri_subject)

    @property
    def effective_release_refs(self) -> str:
        return self.release_refs if self.release_refs is not None else DEFAULT_RELEASE_REFS

    @property
    def effective_environments(self) -> dict[str, int]:
        return dict(self.environments if self.environments is not None else DEFAULT_ENVIRONMENTS)

    def maturity(self) -> MaturityPolicy:
        """The rules the maturity checks apply, defaults filled in."""
        return maturity_policy(
            min_sbom_quality=self.min_sbom_quality,
            coverage_window_days=self.coverage_window_days,
            check_weights=self.check_weights,
            quorum=self.effective_quorum,
            release_refs=self.effective_release_refs,
            sbom_profiles=self.sbom_profiles,
            sbom_component_share=self.sbom_component_share,
            deny_open_severity=self.deny_open_severity,
        )

    @property
    def effective_quorum(self) -> int:
        if self.reproducibility_quorum is None:
            return DEFAULT_REPRODUCIBILITY_QUORUM
        return self.reproducibility_quorum


class PolicyVersion(NamedTuple):
    """A service's policy as stored: the document, its version and digest (0: the default)."""

    policy: ServicePolicyDocument
    version: int
    digest: str


PolicyT = TypeVar("PolicyT", bound=BaseModel)


def apply_update(current: PolicyT, update: BaseModel) -> PolicyT:
    """``current`` with the fields that were given in ``update``; the others keep their value.

    ``update`` is validated only as part of the result: a rule spanning fields (such as
    ``deny_open_severity`` naming only the policy's environments) holds for what is
    stored, not for the fields sent alone.
    """
    given = update.model_dump(include=update.model_fields_set)
    # Validated again as a whole, so rules that span fields hold for the result.
    return type(current).model_validate({**current.model_dump(), **given})


def _named(item: object) -> str:
    if isinstance(item, ReusableWorkflow):
        return f"reusable workflow {item.repository}/{item.workflow}"
    return repr(item)


def canonical_policy(policy: IdentityPolicy) -> bytes:
    """The RFC 8785 canonical JSON of ``policy``, absent constraints (``None``) left out."""
    return rfc8785.dumps(policy.model_dump(mode="json", exclude_none=True))


def policy_digest(policy: IdentityPolicy) -> str:
    """``sha256:<hex>`` of ``canonical_policy(policy)``.

    Absent constraints (``None``) are left out, so the digest does not depend
    on whether a client spelled them ``null`` or omitted them, nor change when
    a new optional constraint is added to the schema; every value that takes
    effect, defaults included, is covered. The order of ``identities`` counts.
    """
    return content_digest(canonical_policy(policy))
