"""SLSA provenance v1 and v0.2, read from a verified in-toto statement into a record. Pure.

``extract_provenance`` takes the predicate type, the predicate and the Fulcio
claims of the certificate that signed it, and returns a ``Provenance``: the
builder id, build type, external parameters, resolved dependencies, invocation
id, the event that triggered the build, start and finish times, and the source
(repository, ref, commit). ``app.provenance.binding`` compares the workflow, run,
trigger and builder it names with the certificate.

The predicate is untrusted input even after its signature verified: any field
may be missing or of another JSON type. Only two faults refuse the predicate,
with ``ProvenanceMalformed`` (422 ``provenance-malformed``, reasons "slug: text"):
a predicate that is not a JSON object, and a builder id that is missing, not a
string, empty, longer than ``BUILDER_ID_MAX`` or not a single printable word
(the builder id is what the trust map is consulted with, so it is never clipped).
Everything else degrades to ``findings``, "slug: text" strings:

=========================  ==================================================================
slug                       meaning
=========================  ==================================================================
field-type                 a field has another JSON type than the spec's; it is ignored
build-type-missing         no buildType string
build-type-unknown         a buildType attestd does not read external parameters of
time-malformed             a start or finish time that is not an RFC 3339 date-time
time-order                 the build finished before it started
dependency-malformed       resolved dependencies / materials that are partly unreadable
dependencies-truncated     more than ``MAX_DEPENDENCIES`` resolved dependencies / materials
parameters-truncated       external parameters larger than the bounds below
source-unreadable          a place names a source attestd cannot read (not a git+https URI,
                           a commit that is not hex, a ref with spaces, …)
source-disagreement        two places name a different repository, ref or commit
source-missing             no place names a source repository
findings-truncated         more than ``MAX_FINDINGS`` findings
=========================  ==================================================================

**The source** is read from up to three places, which must agree:

1. the external parameters of a known build type: ``externalParameters.workflow``
   (``repository``, ``ref``, ``path``) of the GitHub Actions workflow build types
   (v1), or ``invocation.configSource`` (``uri`` as ``git+https://…@ref``,
   ``digest.sha1``, ``entryPoint``) of the slsa-github-generator and GitHub
   Actions build types (v0.2);
2. the source entry of ``resolvedDependencies`` (v1) or ``materials`` (v0.2): the
   first entry whose ``uri`` is a ``git+`` URI, with ``digest.gitCommit`` or
   ``digest.sha1`` (the GitHub build types list the workflow's commit first);
3. the certificate's claims: Source Repository URI, Ref and Digest
   (1.3.6.1.4.1.57264.1.12-14), or the deprecated GitHub Workflow Repository, Ref
   and SHA (1.5, 1.6, 1.3) of older certificates.

Repositories are compared in the canonical form of ``canonical_repository``
(``normalize_repository``, with github.com paths lower-cased since GitHub names
are case-insensitive), refs exactly, commits in lower case. Each field on which
two places differ is a ``source-disagreement`` finding naming what each place
said, and the record's ``source`` is then None; so it is when a place names a
source that cannot be read (it might have disagreed). A place that names
nothing takes no part; a source named by the certificate alone is still a source.

**Bounds.** The record keeps at most ``MAX_DEPENDENCIES`` resolved dependencies
(``dependency_count`` says how many the predicate listed), at most
``MAX_DIGESTS`` digests each; texts are clipped to ``TEXT_MAX`` characters
(names and digest algorithms to ``NAME_MAX``). External parameters are kept as
a copy at most ``PARAMETERS_MAX_DEPTH`` levels deep (the parameters object is
level 1, as ``app.strict_json`` counts), with at most
``PARAMETERS_MAX_ITEMS`` entries per object or array and ``PARAMETERS_MAX_NODES``
values in all; what is cut is a ``parameters-truncated`` finding. At most
``MAX_FINDINGS`` findings are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from app.clock import parse_rfc3339
from app.errors import InvalidRequest
from app.policy.builders import BUILDER_ID_MAX
from app.services.names import normalize_repository

if TYPE_CHECKING:
    from app.attestations.verification import Verified

SLSA_PROVENANCE_V1: Final = "https://slsa.dev/provenance/v1"
SLSA_PROVENANCE_V02: Final = "https://slsa.dev/provenance/v0.2"
PROVENANCE_TYPES: Final = frozenset({SLSA_PROVENANCE_V1, SLSA_PROVENANCE_V02})

# v1 build types whose externalParameters.workflow is {repository, ref, path}: GitHub's
# (actions/buildtypes, written by current @actions/attest; the repository documents it as
# https://github.com/actions/buildtypes/workflow/v1 while the action writes the
# actions.github.io spelling) and the SLSA community's (slsa-framework/
# github-actions-buildtypes, written by earlier @actions/attest and slsa-github-generator).
GITHUB_WORKFLOW_BUILD_TYPES: Final = frozenset(
    {
        "https://actions.github.io/buildtypes/workflow/v1",
        "https://github.com/actions/buildtypes/workflow/v1",
        "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
    }
)
# v0.2 build types whose invocation.configSource is {uri "git+…@ref", digest.sha1,
# entryPoint}: slsa-github-generator's generic, container and Go builders (and its legacy
# spellings, as slsa-verifier lists them) and GitHub's original Actions workflow type.
CONFIG_SOURCE_BUILD_TYPES: Final = frozenset(
    {
        "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
        "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "https://github.com/slsa-framework/slsa-github-generator/go@v1",
        "https://github.com/slsa-framework/slsa-github-generator@v1",
        "https://github.com/slsa-framework/slsa-github-generator-go@v1",
        "https://github.com/Attestations/GitHubActionsWorkflow@v1",
    }
)

TEXT_MAX: Final = 2048
NAME_MAX: Final = 256
REF_MAX: Final = 512
MAX_DEPENDENCIES: Final = 256
MAX_DIGESTS: Final = 8
PARAMETERS_MAX_DEPTH: Final = 8
PARAMETERS_MAX_ITEMS: Final = 64
PARAMETERS_MAX_NODES: Final = 1024
MAX_FINDINGS: Final = 32
# Dependency problems quoted in one dependency-malformed finding.
_QUOTED_PROBLEMS = 3
_QUOTE_MAX = 120

_WORD = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.ASCII)
# A GitHub OWNER/NAME, as the GitHub build types may write workflow.repository.
_GITHUB_SHORTHAND = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
# RFC 3339 date-time (section 5.6); "T" and "Z" in either case, as the RFC allows.
_GITHUB = "https://github.com/"


class ProvenanceMalformed(InvalidRequest):
    """The predicate cannot be read as SLSA provenance at all."""

    slug = "provenance-malformed"
    title = "Provenance is not well-formed"


# --- the record -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dependency:
    """One resolved dependency (v1) or material (v0.2), clipped."""

    uri: str | None
    digest: Mapping[str, str]  # algorithm -> value, as the predicate wrote them
    name: str | None


@dataclass(frozen=True, slots=True)
class Source:
    """The source a build says it built: canonical repository URL, git ref, commit (lower hex)."""

    repository: str | None
    ref: str | None
    commit: str | None


@dataclass(frozen=True, slots=True)
class SourceClaim:
    """What one place (a field of the predicate, or the certificate) says the source is."""

    place: str
    repository: str | None
    ref: str | None
    commit: str | None


@dataclass(frozen=True, slots=True)
class Provenance:
    """The SLSA provenance of one verified statement, as attestd keeps it."""

    predicate_type: str
    builder_id: str
    build_type: str | None
    build_type_known: bool  # attestd reads the source from this build type's parameters
    external_parameters: Mapping[str, Any]  # v1 externalParameters; v0.2 parameters, configSource
    resolved_dependencies: tuple[Dependency, ...]
    dependency_count: int  # how many the predicate listed, before MAX_DEPENDENCIES
    invocation_id: str | None
    started_on: datetime | None  # in UTC
    finished_on: datetime | None  # in UTC
    entry_point: str | None  # the workflow file (path / entryPoint) when the build type says
    trigger: str | None  # the event that started the run (event_name) when the build type says
    source: Source | None  # None unless the places that name one agree
    source_claims: tuple[SourceClaim, ...]
    findings: tuple[str, ...]

    @property
    def slsa_version(self) -> str:
        return "v1" if self.predicate_type == SLSA_PROVENANCE_V1 else "v0.2"


# --- reading untrusted JSON -------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _clip(text: str, limit: int = TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return repr(_clip(text, _QUOTE_MAX))


class _Findings:
    """The findings of one predicate, at most MAX_FINDINGS of them."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._dropped = 0
        self.source_unreadable = False

    def add(self, slug: str, text: str) -> None:
        if len(self.items) < MAX_FINDINGS:
            self.items.append(f"{slug}: {text}")
        else:
            self._dropped += 1

    def result(self) -> tuple[str, ...]:
        if not self._dropped:
            return tuple(self.items)
        return (
            *self.items,
            f"findings-truncated: {self._dropped} more findings were not recorded",
        )

    def wrong_type(self, path: str, expected: str, value: object) -> None:
        self.add("field-type", f"{path} is {_json_type(value)}, not {expected}; it is ignored")

    def member(self, parent: Mapping[str, Any] | None, key: str, path: str) -> dict[str, Any]:
        """``parent[key]`` when it is an object; {} when absent (or null), with a finding if not."""
        value = None if parent is None else parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.wrong_type(path, "an object", value)
            return {}
        return value

    def text(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        """``parent[key]`` when it is a string; None when absent, with a finding if not."""
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.wrong_type(path, "a string", value)
            return None
        return value

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.wrong_type(path, "an array", value)
            return []
        return value


class _BoundedCopy:
    """A copy of a JSON value within the PARAMETERS_* bounds, noting whether anything was cut."""

    def __init__(self) -> None:
        self.nodes = PARAMETERS_MAX_NODES
        self.cut = False

    def copy(self, value: object, depth: int = 1) -> Any:
        if isinstance(value, str):
            if len(value) > TEXT_MAX:
                self.cut = True
                return _clip(value)
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict | list):
            return self._container(value, depth)
        # Not a JSON value (a caller handing in something else): not kept.
        self.cut = True
        return None

    def _container(self, value: dict[Any, Any] | list[Any], depth: int) -> Any:
        entries: Iterable[tuple[Any, Any]] = (
            value.items() if isinstance(value, dict) else enumerate(value)
        )
        copied: list[tuple[str, Any]] = []
        if depth >= PARAMETERS_MAX_DEPTH and value:
            self.cut = True
            entries = ()
        for key, item in entries:
            if len(copied) >= PARAMETERS_MAX_ITEMS or self.nodes <= 0:
                self.cut = True
                break
            self.nodes -= 1
            copied.append((_clip(str(key), NAME_MAX), self.copy(item, depth + 1)))
        if isinstance(value, dict):
            return dict(copied)
        return [item for _, item in copied]


# --- times ------------------------------------------------------------------------------------


def _time(parent: Mapping[str, Any], key: str, path: str, findings: _Findings) -> datetime | None:
    """An RFC 3339 date-time as an aware datetime; None (and a finding) when it is not one."""
    text = findings.text(parent, key, path)
    if text is None:
        return None
    moment = parse_rfc3339(text)
    if moment is None:
        findings.add("time-malformed", f"{path} {_quote(text)} is not an RFC 3339 date-time")
    return moment


# --- sources ----------------------------------------------------------------------------------


def canonical_repository(text: str, *, github_shorthand: bool = False) -> str:
    """The form repositories are compared in; ValueError when ``text`` is not a repository URL.

    ``normalize_repository``'s canonical URL, with the path of a github.com URL in
    lower case (GitHub owner and repository names are case-insensitive). With
    ``github_shorthand``, ``OWNER/NAME`` means ``https://github.com/OWNER/NAME``.
    """
    if github_shorthand and _GITHUB_SHORTHAND.fullmatch(text):
        text = _GITHUB + text
    url = normalize_repository(text)
    return url.lower() if url.startswith(_GITHUB) else url


def _ref(text: str) -> str:
    if len(text) > REF_MAX or not _WORD.fullmatch(text):
        raise ValueError(f"the ref {_quote(text)} is not a git ref")
    return text


def _commit(text: str) -> str:
    if not _COMMIT.fullmatch(text.lower()):
        raise ValueError(f"the commit {_quote(text)} is not a 40 or 64 hex digit git commit")
    return text.lower()


def _git_uri(uri: str) -> tuple[str, str | None]:
    """(repository, ref) of ``git+https://host/path[@ref]``; ValueError when it is not one."""
    if not uri.startswith("git+"):
        raise ValueError(f"{_quote(uri)} is not a git+ URI")
    scheme, separator, rest = uri[len("git+") :].partition("://")
    location, at, ref = rest.partition("@")
    if not separator or (at and "/" not in location):
        raise ValueError(f"{_quote(uri)} is not a git+https://HOST/PATH[@REF] URI")
    try:
        repository = canonical_repository(f"{scheme}://{location}")
    except ValueError as error:
        raise ValueError(f"{_quote(uri)}: {error}") from None
    return repository, (_ref(ref) if at else None)


def _claim(
    place: str,
    findings: _Findings,
    *,
    repository: str | None = None,
    git_uri: str | None = None,
    ref: str | None = None,
    commit: str | None = None,
    github_shorthand: bool = False,
) -> SourceClaim | None:
    """What ``place`` says; None (with a source-unreadable finding) when any of it is unreadable."""
    try:
        canonical: str | None = None
        if git_uri is not None:
            canonical, ref = _git_uri(git_uri)
        elif repository is not None:
            canonical = canonical_repository(repository, github_shorthand=github_shorthand)
        checked_ref = None if ref is None else _ref(ref)
        checked_commit = None if commit is None else _commit(commit)
    except ValueError as error:
        findings.add("source-unreadable", f"{place}: {error}")
        findings.source_unreadable = True
        return None
    if canonical is None and checked_ref is None and checked_commit is None:
        return None
    return SourceClaim(place, canonical, checked_ref, checked_commit)


def _certificate_claim(claims: Mapping[str, str], findings: _Findings) -> SourceClaim | None:
    """The source the certificate's claims name (the 1.12-1.14 claims, else 1.5, 1.6, 1.3)."""
    repository = claims.get("source_repository_uri")
    github_shorthand = False
    if repository is None and "github_workflow_repository" in claims:
        repository, github_shorthand = claims["github_workflow_repository"], True
    return _claim(
        "certificate",
        findings,
        repository=repository,
        ref=claims.get("source_repository_ref", claims.get("github_workflow_ref")),
        commit=claims.get("source_repository_digest", claims.get("github_workflow_sha")),
        github_shorthand=github_shorthand,
    )


def _digest_commit(digest: object) -> str | None:
    if not isinstance(digest, dict):
        return None
    for algorithm in ("gitCommit", "sha1"):
        value = digest.get(algorithm)
        if isinstance(value, str):
            return value
    return None


def _dependency_claim(items: Sequence[Any], path: str, findings: _Findings) -> SourceClaim | None:
    """The source named by the first dependency whose uri is a git+ URI."""
    for index, item in enumerate(items):
        uri = item.get("uri") if isinstance(item, dict) else None
        if isinstance(uri, str) and uri.startswith("git+"):
            return _claim(
                f"{path}[{index}]", findings, git_uri=uri, commit=_digest_commit(item.get("digest"))
            )
    return None


def _agreed(claims: Sequence[SourceClaim], findings: _Findings) -> Source | None:
    """The source every claim agrees on; None (with findings) when they differ or name none."""
    agreed: dict[str, str | None] = {}
    disagreement = False
    for field in ("repository", "ref", "commit"):
        said = [(claim.place, value) for claim in claims if (value := getattr(claim, field))]
        values = {value for _, value in said}
        if len(values) > 1:
            disagreement = True
            findings.add(
                "source-disagreement",
                f"the source {field} differs: "
                + ", ".join(f"{place} says {_quote(value)}" for place, value in said),
            )
        agreed[field] = values.pop() if len(values) == 1 else None
    if disagreement or findings.source_unreadable:
        # A place that cannot be read might have disagreed: no source is agreed then.
        return None
    if agreed["repository"] is None:
        findings.add(
            "source-missing",
            "no source repository is named by the external parameters, the resolved "
            "dependencies or the certificate",
        )
        return None
    return Source(agreed["repository"], agreed["ref"], agreed["commit"])


# --- dependencies -----------------------------------------------------------------------------


def _dependency(item: object, problems: list[str], index: int) -> Dependency | None:
    if not isinstance(item, dict):
        problems.append(f"{index} is {_json_type(item)}, not an object")
        return None
    uri, name, digest = item.get("uri"), item.get("name"), item.get("digest")
    if uri is not None and not isinstance(uri, str):
        problems.append(f"{index}: uri is {_json_type(uri)}")
        uri = None
    if name is not None and not isinstance(name, str):
        problems.append(f"{index}: name is {_json_type(name)}")
        name = None
    digests: dict[str, str] = {}
    if isinstance(digest, dict):
        for algorithm, value in digest.items():
            if not isinstance(value, str):
                problems.append(f"{index}: digest {_quote(algorithm)} is {_json_type(value)}")
            elif len(digests) < MAX_DIGESTS:
                digests[_clip(algorithm, NAME_MAX)] = _clip(value)
    elif digest is not None:
        problems.append(f"{index}: digest is {_json_type(digest)}")
    if uri is None and name is None and not digests:
        problems.append(f"{index} names no uri, name or digest")
        return None
    return Dependency(
        uri=None if uri is None else _clip(uri),
        digest=digests,
        name=None if name is None else _clip(name, NAME_MAX),
    )


def _dependencies(items: Sequence[Any], path: str, findings: _Findings) -> tuple[Dependency, ...]:
    problems: list[str] = []
    kept = tuple(
        dependency
        for index, item in enumerate(items[:MAX_DEPENDENCIES])
        if (dependency := _dependency(item, problems, index)) is not None
    )
    if problems:
        findings.add(
            "dependency-malformed",
            f"{len(problems)} problems in {path}: "
            + "; ".join(problems[:_QUOTED_PROBLEMS])
            + ("; …" if len(problems) > _QUOTED_PROBLEMS else ""),
        )
    if len(items) > MAX_DEPENDENCIES:
        findings.add(
            "dependencies-truncated",
            f"{path} lists {len(items)} entries; the first {MAX_DEPENDENCIES} are kept",
        )
    return kept


# --- the two predicate versions ---------------------------------------------------------------


@dataclass(slots=True)
class _Read:
    """What the version-specific readers fill in."""

    build_type: str | None = None
    parameters: Any = None
    dependency_items: Sequence[Any] = ()
    dependency_path: str = ""
    invocation_id: str | None = None
    started_on: datetime | None = None
    finished_on: datetime | None = None
    entry_point: str | None = None
    trigger: str | None = None
    known: bool = False
    claims: tuple[SourceClaim, ...] = ()


def _builder_id(parent: Mapping[str, Any], path: str) -> str:
    """``parent["builder"]["id"]``, exactly; ``ProvenanceMalformed`` when there is no usable one."""
    builder = parent.get("builder")
    value = builder.get("id") if isinstance(builder, dict) else None
    if isinstance(value, str) and len(value) <= BUILDER_ID_MAX and _WORD.fullmatch(value):
        return value
    if builder is not None and not isinstance(builder, dict):
        reason = f"builder-type: {path}builder is {_json_type(builder)}, not an object"
    elif value is None:
        reason = f"builder-id-missing: the predicate has no {path}builder.id"
    elif not isinstance(value, str):
        reason = f"builder-id-type: {path}builder.id is {_json_type(value)}, not a string"
    elif len(value) > BUILDER_ID_MAX:
        reason = f"builder-id-too-long: {path}builder.id is longer than {BUILDER_ID_MAX} characters"
    else:
        reason = (
            f"builder-id-invalid: {path}builder.id is empty or holds spaces or control characters"
        )
    raise ProvenanceMalformed("The provenance names no usable builder id.", reasons=[reason])


def _read_v1(predicate: Mapping[str, Any], findings: _Findings) -> tuple[str, _Read]:
    definition = findings.member(predicate, "buildDefinition", "buildDefinition")
    run = findings.member(predicate, "runDetails", "runDetails")
    builder_id = _builder_id(run, "runDetails.")
    metadata = findings.member(run, "metadata", "runDetails.metadata")
    read = _Read(
        build_type=findings.text(definition, "buildType", "buildDefinition.buildType"),
        dependency_items=findings.array(
            definition, "resolvedDependencies", "buildDefinition.resolvedDependencies"
        ),
        dependency_path="resolvedDependencies",
        invocation_id=findings.text(metadata, "invocationId", "runDetails.metadata.invocationId"),
        started_on=_time(metadata, "startedOn", "runDetails.metadata.startedOn", findings),
        finished_on=_time(metadata, "finishedOn", "runDetails.metadata.finishedOn", findings),
    )
    parameters = findings.member(
        definition, "externalParameters", "buildDefinition.externalParameters"
    )
    read.parameters = parameters
    if read.build_type in GITHUB_WORKFLOW_BUILD_TYPES:
        read.known = True
        path = "externalParameters.workflow"
        workflow = findings.member(parameters, "workflow", path)
        read.entry_point = findings.text(workflow, "path", f"{path}.path")
        internal = findings.member(definition, "internalParameters", "internalParameters")
        github = findings.member(internal, "github", "internalParameters.github")
        read.trigger = findings.text(github, "event_name", "internalParameters.github.event_name")
        claim = _claim(
            path,
            findings,
            repository=findings.text(workflow, "repository", f"{path}.repository"),
            ref=findings.text(workflow, "ref", f"{path}.ref"),
            github_shorthand=True,
        )
        read.claims = () if claim is None else (claim,)
    return builder_id, read


def _read_v02(predicate: Mapping[str, Any], findings: _Findings) -> tuple[str, _Read]:
    builder_id = _builder_id(predicate, "")
    invocation = findings.member(predicate, "invocation", "invocation")
    metadata = findings.member(predicate, "metadata", "metadata")
    config_source = findings.member(invocation, "configSource", "invocation.configSource")
    # The spec spells it buildInvocationId; in-toto-golang (slsa-github-generator,
    # BuildKit) writes buildInvocationID.
    invocation_key = "buildInvocationId" if "buildInvocationId" in metadata else "buildInvocationID"
    read = _Read(
        build_type=findings.text(predicate, "buildType", "buildType"),
        parameters={
            key: value
            for key, value in (
                ("configSource", config_source),
                ("parameters", findings.member(invocation, "parameters", "invocation.parameters")),
            )
            if value
        },
        dependency_items=findings.array(predicate, "materials", "materials"),
        dependency_path="materials",
        invocation_id=findings.text(metadata, invocation_key, f"metadata.{invocation_key}"),
        started_on=_time(metadata, "buildStartedOn", "metadata.buildStartedOn", findings),
        finished_on=_time(metadata, "buildFinishedOn", "metadata.buildFinishedOn", findings),
    )
    if read.build_type in CONFIG_SOURCE_BUILD_TYPES:
        read.known = True
        path = "invocation.configSource"
        read.entry_point = findings.text(config_source, "entryPoint", f"{path}.entryPoint")
        environment = findings.member(invocation, "environment", "invocation.environment")
        read.trigger = findings.text(
            environment, "github_event_name", "invocation.environment.github_event_name"
        )
        claim = _claim(
            path,
            findings,
            git_uri=findings.text(config_source, "uri", f"{path}.uri"),
            commit=_digest_commit(findings.member(config_source, "digest", f"{path}.digest")),
        )
        read.claims = () if claim is None else (claim,)
    return builder_id, read


# --- entry points -----------------------------------------------------------------------------


def is_provenance(predicate_type: str | None) -> bool:
    """Whether ``predicate_type`` is SLSA provenance attestd reads (v1 or v0.2)."""
    return predicate_type in PROVENANCE_TYPES


def extract_provenance(
    predicate_type: str, predicate: object, claims: Mapping[str, str]
) -> Provenance:
    """The provenance record of ``predicate``, signed by a certificate with ``claims``.

    Raises ``ProvenanceMalformed`` only for a predicate type that is not SLSA
    provenance, a predicate that is not an object, or no usable builder id.
    """
    if not is_provenance(predicate_type):
        raise ProvenanceMalformed(
            "The statement is not SLSA provenance.",
            reasons=[
                f"not-provenance: predicate type {_quote(predicate_type)} is not SLSA v1 "
                "or v0.2 provenance"
            ],
        )
    if not isinstance(predicate, dict):
        raise ProvenanceMalformed(
            "The provenance predicate is not a JSON object.",
            reasons=[f"predicate-not-object: the predicate is {_json_type(predicate)}"],
        )
    findings = _Findings()
    reader = _read_v1 if predicate_type == SLSA_PROVENANCE_V1 else _read_v02
    builder_id, read = reader(predicate, findings)

    if read.build_type is None:
        findings.add("build-type-missing", "the predicate has no buildType")
    elif not read.known:
        findings.add(
            "build-type-unknown",
            f"build type {_quote(read.build_type)} is not one attestd reads external "
            "parameters of; the source comes from the dependencies and the certificate",
        )
    if (
        read.started_on is not None
        and read.finished_on is not None
        and read.finished_on < read.started_on
    ):
        findings.add("time-order", "the build finished before it started")

    bounded = _BoundedCopy()
    parameters = bounded.copy(read.parameters) if isinstance(read.parameters, dict) else {}
    if bounded.cut:
        findings.add(
            "parameters-truncated",
            f"the external parameters exceed {PARAMETERS_MAX_DEPTH} levels, "
            f"{PARAMETERS_MAX_ITEMS} entries per object or array, {PARAMETERS_MAX_NODES} "
            f"values or {TEXT_MAX} characters per string; the excess is not kept",
        )

    dependencies = _dependencies(read.dependency_items, read.dependency_path, findings)
    source_claims = [
        *read.claims,
        *filter(None, [_dependency_claim(read.dependency_items, read.dependency_path, findings)]),
        *filter(None, [_certificate_claim(claims, findings)]),
    ]
    source = _agreed(source_claims, findings)

    return Provenance(
        predicate_type=predicate_type,
        builder_id=builder_id,
        build_type=None if read.build_type is None else _clip(read.build_type),
        build_type_known=read.known,
        external_parameters=parameters,
        resolved_dependencies=dependencies,
        dependency_count=len(read.dependency_items),
        invocation_id=None if read.invocation_id is None else _clip(read.invocation_id),
        started_on=read.started_on,
        finished_on=read.finished_on,
        entry_point=None if read.entry_point is None else _clip(read.entry_point),
        trigger=None if read.trigger is None else _clip(read.trigger, NAME_MAX),
        source=source,
        source_claims=tuple(source_claims),
        findings=findings.result(),
    )


def provenance_from_statement(
    statement: Mapping[str, Any], claims: Mapping[str, str]
) -> Provenance | None:
    """The provenance record of a parsed in-toto statement; None when it is not provenance."""
    predicate_type = statement.get("predicateType")
    if not isinstance(predicate_type, str) or not is_provenance(predicate_type):
        return None
    return extract_provenance(predicate_type, statement.get("predicate"), claims)


def provenance_from_verified(verified: Verified) -> Provenance | None:
    """The provenance record of a verified DSSE bundle; None when it holds no provenance."""
    if verified.statement is None:
        return None
    return provenance_from_statement(verified.statement, verified.receipt.claims)
