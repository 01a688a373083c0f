"""A service's whole policy: the signers it accepts, the builders it trusts, its release rules.

``ServicePolicyDocument`` extends the identity policy (``app.attestations.policy``)
with what provenance checks need; every added field is optional, and absent
(``None``) means attestd's default, so the digest of a policy stored before a
field existed does not change:

* ``trusted_builders``: entries added to the default trust map
  (``app.provenance.trust_map.DEFAULT_TRUST_MAP``), each a builder id
  (``id``) or builder id prefix (``id_prefix``) with the identity that must have
  signed its provenance and the highest SLSA Build level it vouches for;
* ``release_refs``: the git refs a release is built from (default: any tag);
* ``reproducibility_quorum``: independent builders that must agree on a
  release's digest for it to be reproducible (default 2);
* the maturity rules of ``app.scoring.policy``: ``environments``,
  ``min_sbom_quality``, ``coverage_window_days`` and ``check_weights``.
"""

from __future__ import annotations

from typing import Final

from pydantic import ConfigDict, Field, model_validator

from app.attestations.policy import IdentityPolicy, RefRegex
from app.provenance.binding import DEFAULT_RELEASE_REFS
from app.provenance.trust_map import (
    DEFAULT_TRUST_MAP,
    MAX_BUILDERS,
    BuilderId,
    BuilderSigner,
    Description,
    Level,
    TrustedBuilder,
    TrustMap,
)
from app.scoring.facts import MaturityPolicy
from app.scoring.policy import (
    DEFAULT_ENVIRONMENTS,
    CheckWeights,
    CoverageWindowDays,
    Environments,
    MinSbomQuality,
    maturity_policy,
)
from app.wire import InputModel

DEFAULT_REPRODUCIBILITY_QUORUM: Final = 2
MAX_REPRODUCIBILITY_QUORUM: Final = 10


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
        )


class ServicePolicyDocument(IdentityPolicy):
    """The identity policy with the provenance rules; ``None``: attestd's default."""

    trusted_builders: tuple[TrustedBuilderRule, ...] | None = Field(
        default=None,
        max_length=MAX_BUILDERS - len(DEFAULT_TRUST_MAP.builders),
        description="Builders trusted besides the defaults (GitHub-hosted runners up to "
        "Build L2, the SLSA GitHub generator up to L3).",
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
        description="Independent builders (different builder id and signer) that must "
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

    @model_validator(mode="after")
    def _builders_once(self) -> ServicePolicyDocument:
        self.trust_map()  # no entry repeats another, or a default one
        return self

    def trust_map(self) -> TrustMap:
        """The default trust map with this policy's builders after it."""
        added = tuple(rule.trusted_builder() for rule in self.trusted_builders or ())
        return TrustMap(builders=(*DEFAULT_TRUST_MAP.builders, *added))

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
        )

    @property
    def effective_quorum(self) -> int:
        if self.reproducibility_quorum is None:
            return DEFAULT_REPRODUCIBILITY_QUORUM
        return self.reproducibility_quorum
