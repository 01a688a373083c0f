"""Whose builds are one trust domain, read from their signers. Pure.

A trust domain is who operates a builder: an organisation, a rebuild service.
A trust-map entry may name its domain (``app.policy.builders``), but an entry
cannot make one operator look like two: whatever the entries say, two builds
are one domain when their signing certificates share any of these keys:

* a **repository**: the Source Repository URI claim (1.12), the deprecated
  GitHub Workflow Repository claim (1.5), the repository of a GitHub workflow
  SAN, or the repository id claim (1.15) under the same issuer;
* a **repository owner**: the Source Repository Owner URI claim (1.16), the
  first path segment of any repository above (a GitHub owner, a GitLab
  top-level group), or the owner id claim (1.17) under the same issuer;
* an **OIDC issuer** whose certificate names no owner at all: every build of
  that issuer is then one domain with it, since nothing tells its operators apart.

URIs are compared lower-cased (GitHub and GitLab names are case-insensitive),
so spelling cannot split an owner in two. Every key only ever joins builds:
reading more of them can lower a count, never raise it.

A person's identity never counts (``is_person``): here, an e-mail SAN
certified by a public OAuth issuer, which anyone can sign in to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from app.policy.builders import quoted
from app.policy.identities import GITHUB_ACTIONS_ISSUER

# Issuers of Sigstore's public instance that certify people's accounts.
PUBLIC_OAUTH_ISSUERS: Final = frozenset(
    {
        "https://accounts.google.com",
        "https://github.com/login/oauth",
        "https://login.microsoftonline.com",
        "https://oauth2.sigstore.dev/auth",
        "https://oauth2.sigstage.dev/auth",
    }
)

KeyKind = Literal["declared", "repository", "owner", "repository-id", "owner-id", "issuer"]


def is_person(subject: str, issuer: str) -> bool:
    """Whether the signer is a person: an e-mail SAN from a public OAuth issuer."""
    return issuer in PUBLIC_OAUTH_ISSUERS and "@" in subject and "://" not in subject


@dataclass(frozen=True, slots=True)
class DomainKey:
    """Something two builds of one trust domain share."""

    kind: KeyKind
    value: str

    def describe(self) -> str:
        return {
            "declared": "trust domain {} named by the trust map",
            "repository": "repository {}",
            "owner": "repository owner {}",
            "repository-id": "repository id {}",
            "owner-id": "repository owner id {}",
            "issuer": "OIDC issuer {}, whose certificate names no repository owner",
        }[self.kind].format(quoted(self.value))


@dataclass(frozen=True, slots=True)
class SignerDomain:
    """The keys a signer's certificate gives its build, and the name of its own domain."""

    name: str  # the declared domain, else the owner, else the issuer
    keys: frozenset[DomainKey]
    issuer: str

    @property
    def ownerless(self) -> bool:
        return not any(key.kind in ("owner", "owner-id") for key in self.keys)


_IDENTIFIERS: Final[tuple[tuple[str, KeyKind], ...]] = (
    ("source_repository_identifier", "repository-id"),
    ("source_repository_owner_identifier", "owner-id"),
)


def signer_domain(
    subject: str, issuer: str, claims: Mapping[str, str], declared: str | None = None
) -> SignerDomain:
    """The trust-domain keys of a build signed by ``subject`` of ``issuer`` with ``claims``.

    ``declared`` is the domain the trust-map entry that vouched for the build names.
    """
    # The source repository first: the domain is named after its owner.
    repositories = [
        uri.lower()
        for uri in (
            claims.get("source_repository_uri"),
            _github_repository(claims.get("github_workflow_repository"), issuer),
            _github_workflow_repository(subject, issuer),
        )
        if uri
    ]
    owners = [claims.get("source_repository_owner_uri", "").lower()]
    owners += [_owner_of(uri) for uri in repositories]
    keys = {DomainKey("repository", uri) for uri in repositories}
    keys |= {DomainKey("owner", owner) for owner in owners if owner}
    keys |= {
        DomainKey(kind, f"{identifier} ({issuer})")
        for claim, kind in _IDENTIFIERS
        if (identifier := claims.get(claim))
    }
    if declared is not None:
        keys.add(DomainKey("declared", declared))
    named = next((owner for owner in owners if owner), None)
    owner_id = next((key.value for key in keys if key.kind == "owner-id"), None)
    name = declared or named or (f"owner {owner_id}" if owner_id else issuer)
    return SignerDomain(name=name, keys=frozenset(keys), issuer=issuer)


def shared_key(first: SignerDomain, second: SignerDomain) -> DomainKey | None:
    """What makes two signers one domain; None when nothing does."""
    common = first.keys & second.keys
    if common:
        return min(common, key=lambda key: (key.kind, key.value))
    if (first.ownerless or second.ownerless) and first.issuer == second.issuer:
        return DomainKey("issuer", first.issuer)
    return None


def _owner_of(repository_uri: str) -> str:
    """``scheme://host/first-segment`` of a repository URI: its owner or top-level group."""
    parts = urlsplit(repository_uri)
    segment = parts.path.strip("/").split("/", 1)[0]
    if not parts.scheme or not parts.netloc or not segment:
        return ""
    return f"{parts.scheme}://{parts.netloc}/{segment}"


def _github_repository(owner_and_name: str | None, issuer: str) -> str | None:
    """The deprecated GitHub Workflow Repository claim (``owner/name``) as a URI."""
    if owner_and_name is None or issuer != GITHUB_ACTIONS_ISSUER:
        return None
    return f"https://github.com/{owner_and_name}"


def _github_workflow_repository(subject: str, issuer: str) -> str | None:
    """The repository of a GitHub Actions workflow SAN (``https://github.com/O/R/.github/…``)."""
    if issuer != GITHUB_ACTIONS_ISSUER or not subject.startswith("https://github.com/"):
        return None
    owner, _, rest = subject.removeprefix("https://github.com/").partition("/")
    name = rest.split("/", 1)[0]
    return f"https://github.com/{owner}/{name}" if owner and name else None
