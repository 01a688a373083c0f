"""Trust domains (app/provenance/domains.py), pure: what joins builds, who is a person."""

from __future__ import annotations

import pytest

from app.policy.identities import GITHUB_ACTIONS_ISSUER
from app.provenance.domains import DomainKey, SignerDomain, is_person, shared_key, signer_domain
from tests.provenance.statements import GO_BUILDER, GOOGLE, RELEASE_WORKFLOW, github_claims

GITLAB = "https://gitlab.com"
REBUILD_ISSUER = "https://oidc.rebuild.example"
REBUILD_SIGNER = "https://rebuild.example/workers/1"


def github(repository: str, owner_id: str, workflow: str = "release.yml") -> SignerDomain:
    """The domain of a GitHub Actions workflow of ``repository``, with its Fulcio claims."""
    uri = f"https://github.com/{repository}"
    claims = github_claims(uri)
    claims["source_repository_owner_uri"] = uri.rsplit("/", 1)[0]
    claims["source_repository_owner_identifier"] = owner_id
    return domain(f"{uri}/.github/workflows/{workflow}@refs/tags/v1.4.0", claims=claims)


def domain(
    subject: str,
    issuer: str = GITHUB_ACTIONS_ISSUER,
    claims: dict[str, str] | None = None,
    declared: str | None = None,
) -> SignerDomain:
    return signer_domain(subject, issuer, claims or {}, declared)


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        # Two workflow files of one repository.
        (github("acme/payments", "1"), github("acme/payments", "1", "rebuild.yml"), "owner"),
        # Two repositories of one owner.
        (github("acme/payments", "1"), github("acme/payments-rebuild", "1"), "owner"),
        # One owner renamed: its immutable id still joins them.
        (github("acme/payments", "1"), github("acme-renamed/payments", "1"), "owner-id"),
        # GitHub names are case-insensitive.
        (github("acme/payments", "1"), github("ACME/Payments", "2"), "owner"),
    ],
    ids=["two-workflows", "two-repositories", "renamed-owner", "case"],
)
def test_builds_under_one_repository_or_owner_are_one_domain(first, second, kind) -> None:
    key = shared_key(first, second)
    assert key is not None
    assert key.kind == kind


def test_two_owners_are_two_domains() -> None:
    acme, other = github("acme/payments", "1"), github("rebuild-org/payments", "2")
    assert shared_key(acme, other) is None
    assert (acme.name, other.name) == ("https://github.com/acme", "https://github.com/rebuild-org")


def test_the_slsa_generator_signs_under_the_callers_repository() -> None:
    """Its SAN is slsa-framework's workflow; the claims name the repository that ran it."""
    generator = domain(GO_BUILDER, claims=github_claims())
    release = domain(RELEASE_WORKFLOW, claims=github_claims())
    assert shared_key(generator, release) == DomainKey("owner", "https://github.com/acme")
    assert generator.name == "https://github.com/acme"


def test_an_old_certificate_without_claims_is_read_from_its_san() -> None:
    bare = domain(RELEASE_WORKFLOW)
    assert DomainKey("repository", "https://github.com/acme/payments") in bare.keys
    assert not bare.ownerless
    assert shared_key(bare, domain(RELEASE_WORKFLOW, claims=github_claims())) is not None


def test_a_gitlab_subgroup_belongs_to_its_top_level_group() -> None:
    claims = {
        "source_repository_uri": "https://gitlab.com/acme/platform/payments",
        "source_repository_owner_uri": "https://gitlab.com/acme/platform",
    }
    other = {"source_repository_uri": "https://gitlab.com/acme/tools/rebuild"}
    key = shared_key(domain("x", GITLAB, claims), domain("y", GITLAB, other))
    assert key == DomainKey("owner", "https://gitlab.com/acme")


def test_an_issuer_that_names_no_owner_is_one_domain_with_all_its_builds() -> None:
    worker = domain(REBUILD_SIGNER, REBUILD_ISSUER, declared="rebuild-service")
    assert (worker.ownerless, worker.name) == (True, "rebuild-service")
    other_worker = domain("https://rebuild.example/workers/2", REBUILD_ISSUER, declared="other")
    assert shared_key(worker, other_worker) == DomainKey("issuer", REBUILD_ISSUER)
    owned = domain(
        "https://rebuild.example/x", REBUILD_ISSUER, {"source_repository_owner_uri": "a"}
    )
    assert shared_key(worker, owned) == DomainKey("issuer", REBUILD_ISSUER)
    # Another issuer is another domain; one named by the trust map joins whatever it names.
    acme = domain(RELEASE_WORKFLOW, claims=github_claims())
    assert shared_key(worker, acme) is None
    claimed = domain(RELEASE_WORKFLOW, claims=github_claims(), declared="rebuild-service")
    assert shared_key(worker, claimed) == DomainKey("declared", "rebuild-service")


def test_an_owner_id_is_only_an_owner_under_its_issuer() -> None:
    owner = {"source_repository_owner_identifier": "7"}
    first = domain("https://ci.a.example/x", "https://ci.a.example", owner)
    second = domain("https://ci.b.example/x", "https://ci.b.example", owner)
    assert shared_key(first, second) is None
    assert first.name == "owner 7 (https://ci.a.example)"


@pytest.mark.parametrize(
    ("subject", "issuer", "person"),
    [
        ("alice@acme.example", GOOGLE, True),
        ("alice@acme.example", "https://github.com/login/oauth", True),
        ("alice@acme.example", "https://oauth2.sigstore.dev/auth", True),
        (RELEASE_WORKFLOW, GITHUB_ACTIONS_ISSUER, False),
        ("https://accounts.google.com/alice", GOOGLE, False),
        # A corporate issuer's accounts are the policy's to judge (identity kinds).
        ("builder@acme.example", "https://accounts.acme.example", False),
    ],
)
def test_a_person_is_an_e_mail_of_a_public_oauth_issuer(subject, issuer, person) -> None:
    assert is_person(subject, issuer) is person
