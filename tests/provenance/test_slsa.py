"""SLSA provenance records (app/provenance/slsa.py): the files of predicates/, sources, bounds."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InvalidRequest
from app.policy.builders import BUILDER_ID_MAX
from app.provenance.slsa import (
    MAX_DEPENDENCIES,
    PARAMETERS_MAX_DEPTH,
    PARAMETERS_MAX_ITEMS,
    PARAMETERS_MAX_NODES,
    SLSA_PROVENANCE_V02,
    SLSA_PROVENANCE_V1,
    TEXT_MAX,
    Provenance,
    ProvenanceMalformed,
    Source,
    canonical_repository,
    extract_provenance,
    is_provenance,
    provenance_from_statement,
)
from tests.provenance.statements import (
    ACME,
    COMMIT,
    GENERIC_GENERATOR,
    GO_BUILDER,
    MALLORY,
    OTHER_COMMIT,
    PREDICATES,
    RELEASE_WORKFLOW,
    TAG,
    github_claims,
    statement,
)

ACME_TAG = Source(ACME, TAG, COMMIT)
UNKNOWN_BUILD_TYPE = "https://ci.acme.example/buildtypes/custom/v1"


def slugs(findings: tuple[str, ...] | list[str]) -> list[str]:
    return [finding.split(":", 1)[0] for finding in findings]


def read(name: str, claims: dict[str, str] | None = None) -> Provenance:
    provenance = provenance_from_statement(statement(name), claims or {})
    assert provenance is not None
    return provenance


# --- the files ------------------------------------------------------------------------------

# file: (builder id, build type known, source, invocation id, entry point)
GOOD: dict[str, tuple[str, bool, Source, str | None, str | None]] = {
    "good-attest-build-provenance.json": (
        RELEASE_WORKFLOW,
        True,
        ACME_TAG,
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-attest-build-provenance-runner.json": (
        "https://github.com/actions/runner/github-hosted",
        True,
        ACME_TAG,
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-self-hosted-runner.json": (
        "https://github.com/actions/runner/self-hosted",
        True,
        ACME_TAG,
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-slsa-generator-v1.json": (
        GO_BUILDER,
        True,
        ACME_TAG,
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-slsa-generator-v0.2.json": (
        GENERIC_GENERATOR,
        True,
        Source(ACME, TAG, OTHER_COMMIT),
        "9876543210-1",
        ".github/workflows/release.yml",
    ),
    "good-unknown-builder.json": (
        "https://ci.acme.example/tekton-chains",
        False,
        Source("https://git.acme.example/platform/payments", TAG, COMMIT),
        "https://ci.acme.example/pipelineruns/release-v1-4-0-x7k2p",
        None,
    ),
    "good-rebuild-service.json": (
        "https://rebuild.attestd.test/reproducer",
        False,
        ACME_TAG,
        "https://rebuild.attestd.test/rebuilds/payments-v1.4.0-1",
        None,
    ),
    "good-fork-repository.json": (
        MALLORY + "/.github/workflows/release.yml@" + TAG,
        True,
        Source(MALLORY, TAG, COMMIT),
        MALLORY + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-branch-ref.json": (
        ACME + "/.github/workflows/release.yml@refs/heads/main",
        True,
        Source(ACME, "refs/heads/main", COMMIT),
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-spoofed-builder.json": (
        GENERIC_GENERATOR,
        True,
        Source(MALLORY, TAG, COMMIT),
        MALLORY + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
    "good-case-and-shorthand.json": (
        RELEASE_WORKFLOW,
        True,
        ACME_TAG,
        ACME + "/actions/runs/9876543210/attempts/1",
        ".github/workflows/release.yml",
    ),
}
# Findings a good file may still have: an unknown build type is not a fault of the file.
GOOD_FINDINGS = {
    "good-unknown-builder.json": ["build-type-unknown"],
    "good-rebuild-service.json": ["build-type-unknown"],
}

# file: (finding slugs in order, source)
BAD: dict[str, tuple[list[str], Source | None]] = {
    "bad-source-disagreement.json": (["source-disagreement", "source-disagreement"], None),
    "bad-source-disagreement-v0.2.json": (["source-disagreement"], None),
    "bad-source-unreadable.json": (["source-unreadable", "source-unreadable"], None),
    "bad-wrong-types.json": (
        [*["field-type"] * 5, "build-type-missing", "source-missing"],
        None,
    ),
    "bad-wrong-types-v0.2.json": ([*["field-type"] * 4, "source-missing"], None),
    "bad-times.json": (["time-malformed", "time-malformed"], ACME_TAG),
    "bad-time-order.json": (["time-order"], ACME_TAG),
    "bad-dependencies.json": (["dependency-malformed"], ACME_TAG),
}

REFUSED = {
    "refused-predicate-array.json": "predicate-not-object",
    "refused-no-predicate.json": "predicate-not-object",
    "refused-no-builder-id.json": "builder-id-missing",
    "refused-builder-id-number.json": "builder-id-type",
    "refused-builder-id-spaces.json": "builder-id-invalid",
    "refused-v0.2-builder-not-object.json": "builder-type",
}


def test_every_file_is_listed_once_in_the_readme_and_here() -> None:
    files = {path.name for path in PREDICATES.glob("*.json")}
    readme = (PREDICATES / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+\.json)` \|", readme, re.MULTILINE))
    assert listed == files
    assert set(GOOD) | set(BAD) | set(REFUSED) == files
    assert len(GOOD) + len(BAD) + len(REFUSED) == len(files)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files(name: str) -> None:
    builder_id, known, source, invocation_id, entry_point = GOOD[name]
    provenance = read(name)
    assert provenance.builder_id == builder_id
    assert provenance.build_type_known is known
    assert provenance.source == source
    assert provenance.invocation_id == invocation_id
    assert provenance.entry_point == entry_point
    assert slugs(provenance.findings) == GOOD_FINDINGS.get(name, [])
    assert provenance.resolved_dependencies
    assert provenance.dependency_count == len(provenance.resolved_dependencies)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_are_read_with_findings(name: str) -> None:
    expected, source = BAD[name]
    provenance = read(name)
    assert slugs(provenance.findings) == expected
    assert provenance.source == source
    for finding in provenance.findings:
        assert re.fullmatch(r"[a-z0-9-]+: \S.*", finding)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files(name: str) -> None:
    with pytest.raises(ProvenanceMalformed) as refused:
        provenance_from_statement(statement(name), {})
    assert slugs(refused.value.reasons) == [REFUSED[name]]
    assert isinstance(refused.value, InvalidRequest)
    assert refused.value.slug == "provenance-malformed"
    assert refused.value.status == 422


def test_disagreement_names_each_place_and_value() -> None:
    findings = read("bad-source-disagreement.json").findings
    assert findings[0] == (
        "source-disagreement: the source repository differs: externalParameters.workflow says "
        f"'{ACME}', resolvedDependencies[0] says '{MALLORY}'"
    )
    assert "'refs/tags/v1.4.0'" in findings[1]
    assert "resolvedDependencies[0] says 'refs/heads/evil'" in findings[1]


def test_a_v1_record_in_full() -> None:
    provenance = read("good-slsa-generator-v1.json")
    assert provenance.predicate_type == SLSA_PROVENANCE_V1
    assert provenance.slsa_version == "v1"
    assert provenance.build_type == (
        "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
    )
    assert provenance.external_parameters == {
        "inputs": {"go-version": "1.22", "config-file": ".slsa-goreleaser.yml"},
        "workflow": {"ref": TAG, "repository": ACME, "path": ".github/workflows/release.yml"},
    }
    assert [(d.uri, dict(d.digest), d.name) for d in provenance.resolved_dependencies] == [
        (f"git+{ACME}@{TAG}", {"gitCommit": COMMIT}, None),
        ("https://github.com/actions/runner-images/releases/tag/ubuntu22/20240514.3", {}, None),
    ]
    assert provenance.started_on == datetime(2024, 5, 20, 10, 15, 30, tzinfo=UTC)
    assert provenance.finished_on == datetime(2024, 5, 20, 10, 19, 2, 125000, tzinfo=UTC)
    assert [claim.place for claim in provenance.source_claims] == [
        "externalParameters.workflow",
        "resolvedDependencies[0]",
    ]


def test_a_v02_record_in_full() -> None:
    provenance = read("good-slsa-generator-v0.2.json")
    assert provenance.slsa_version == "v0.2"
    assert provenance.build_type == (
        "https://github.com/slsa-framework/slsa-github-generator/generic@v1"
    )
    # The generator writes "parameters": {}, which says nothing and is not kept.
    assert provenance.external_parameters == {
        "configSource": {
            "uri": f"git+{ACME}@{TAG}",
            "digest": {"sha1": OTHER_COMMIT},
            "entryPoint": ".github/workflows/release.yml",
        }
    }
    assert provenance.started_on == datetime(2024, 5, 20, 8, 15, 30, tzinfo=UTC)
    assert provenance.finished_on is None
    assert [claim.place for claim in provenance.source_claims] == [
        "invocation.configSource",
        "materials[0]",
    ]


@pytest.mark.parametrize("key", ["buildInvocationId", "buildInvocationID"])
def test_both_spellings_of_the_v02_invocation_id(key: str) -> None:
    document = statement("good-slsa-generator-v0.2.json")
    document["predicate"]["metadata"] = {key: "1234-2"}
    assert read_document(document).invocation_id == "1234-2"


def read_document(document: dict[str, Any], claims: dict[str, str] | None = None) -> Provenance:
    provenance = provenance_from_statement(document, claims or {})
    assert provenance is not None
    return provenance


# --- entry points -----------------------------------------------------------------------------


def test_only_slsa_provenance_is_read() -> None:
    assert is_provenance(SLSA_PROVENANCE_V1)
    assert is_provenance(SLSA_PROVENANCE_V02)
    assert not is_provenance("https://slsa.dev/provenance/v0.1")
    assert not is_provenance(None)
    sbom = {
        **statement("good-attest-build-provenance.json"),
        "predicateType": "https://spdx.dev/Document",
    }
    assert provenance_from_statement(sbom, {}) is None
    with pytest.raises(ProvenanceMalformed) as refused:
        extract_provenance("https://spdx.dev/Document", {}, {})
    assert slugs(refused.value.reasons) == ["not-provenance"]


def test_a_v1_predicate_with_a_v02_build_type_reads_no_parameters() -> None:
    document = statement("good-attest-build-provenance.json")
    document["predicate"]["buildDefinition"]["buildType"] = (
        "https://github.com/slsa-framework/slsa-github-generator/generic@v1"
    )
    provenance = read_document(document)
    assert not provenance.build_type_known
    assert slugs(provenance.findings) == ["build-type-unknown"]
    assert provenance.source == ACME_TAG  # from the resolved dependency alone


# --- the certificate as the third place -----------------------------------------------------


def test_the_certificate_agreeing() -> None:
    provenance = read("good-attest-build-provenance.json", github_claims())
    assert provenance.source == ACME_TAG
    assert [claim.place for claim in provenance.source_claims][-1] == "certificate"
    assert provenance.findings == ()


def test_the_certificate_of_a_fork() -> None:
    provenance = read("good-attest-build-provenance.json", github_claims(repository=MALLORY))
    assert provenance.source is None
    assert provenance.findings == (
        "source-disagreement: the source repository differs: externalParameters.workflow says "
        f"'{ACME}', resolvedDependencies[0] says '{ACME}', certificate says '{MALLORY}'",
    )


def test_the_certificate_naming_another_commit() -> None:
    provenance = read("good-slsa-generator-v0.2.json", github_claims(commit=COMMIT))
    assert provenance.source is None
    assert slugs(provenance.findings) == ["source-disagreement"]
    assert "the source commit differs" in provenance.findings[0]
    assert f"certificate says '{COMMIT}'" in provenance.findings[0]


def test_deprecated_certificate_claims_are_read() -> None:
    claims = {
        "github_workflow_repository": "Acme/Payments",
        "github_workflow_ref": TAG,
        "github_workflow_sha": COMMIT.upper(),
    }
    provenance = read("good-attest-build-provenance.json", claims)
    assert provenance.source == ACME_TAG
    assert provenance.source_claims[-1].repository == ACME


def test_a_source_named_by_the_certificate_alone() -> None:
    document = statement("good-unknown-builder.json")
    document["predicate"]["buildDefinition"]["resolvedDependencies"] = []
    provenance = read_document(document, github_claims())
    assert provenance.source == ACME_TAG
    assert read_document(document).source is None


def test_a_certificate_naming_only_a_ref_leaves_no_repository() -> None:
    document = statement("good-unknown-builder.json")
    document["predicate"]["buildDefinition"]["resolvedDependencies"] = []
    provenance = read_document(document, {"source_repository_ref": TAG})
    assert provenance.source is None
    assert slugs(provenance.findings) == ["build-type-unknown", "source-missing"]


# Repositories as written (same canonical form within a group), refs and commits.
REPOSITORIES = [
    (ACME, "https://github.com/Acme/Payments", "https://github.com/acme/payments.git"),
    (MALLORY,),
]
REFS = [TAG, "refs/heads/main"]
COMMITS = [(COMMIT, COMMIT.upper()), (OTHER_COMMIT,)]


def place(
    draw: st.DrawFn, *, repository_required: bool
) -> tuple[int, int | None, int | None] | None:
    """(repository group, ref index, commit group) one place says, or None when it says nothing."""
    if draw(st.booleans()):
        return None
    repository = draw(
        st.sampled_from([0, 1]) if repository_required else st.sampled_from([0, 1, -1])
    )
    ref = draw(st.sampled_from([0, 1, None]))
    commit = draw(st.sampled_from([0, 1, None]))
    return repository, ref, commit


@st.composite
def three_places(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    return (
        place(draw, repository_required=True),
        place(draw, repository_required=True),
        place(draw, repository_required=False),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(three_places(), st.data())
def test_the_source_is_what_every_place_agrees_on(
    places: tuple[Any, Any, Any], data: st.DataObject
) -> None:
    """configSource, materials[0] and the certificate, in every combination: agree or no source."""
    config, material, certificate = places

    def spelled(group: int, choices: list[tuple[str, ...]]) -> str:
        return data.draw(st.sampled_from(choices[group]))

    def git_uri(said: tuple[int, int | None, int | None]) -> dict[str, Any]:
        repository, ref, commit = said
        uri = "git+" + spelled(repository, REPOSITORIES) + ("" if ref is None else "@" + REFS[ref])
        entry: dict[str, Any] = {"uri": uri}
        if commit is not None:
            entry["digest"] = {"sha1": spelled(commit, COMMITS)}
        return entry

    predicate: dict[str, Any] = {
        "builder": {"id": GENERIC_GENERATOR},
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
        "invocation": {} if config is None else {"configSource": git_uri(config)},
        "materials": [] if material is None else [git_uri(material)],
    }
    claims: dict[str, str] = {}
    if certificate is not None:
        repository, ref, commit = certificate
        if repository >= 0:
            claims["source_repository_uri"] = spelled(repository, REPOSITORIES)
        if ref is not None:
            claims["source_repository_ref"] = REFS[ref]
        if commit is not None:
            claims["source_repository_digest"] = spelled(commit, COMMITS)

    provenance = extract_provenance(SLSA_PROVENANCE_V02, predicate, claims)

    said = [p for p in (config, material, certificate) if p is not None]
    expected: dict[str, set[str]] = {
        "repository": {REPOSITORIES[p[0]][0] for p in said if p[0] >= 0},
        "ref": {REFS[p[1]] for p in said if p[1] is not None},
        "commit": {COMMITS[p[2]][0] for p in said if p[2] is not None},
    }
    differing = [field for field, values in expected.items() if len(values) > 1]
    assert slugs(provenance.findings).count("source-disagreement") == len(differing)
    disagreements = [f for f in provenance.findings if f.startswith("source-disagreement")]
    for field, finding in zip(differing, disagreements, strict=True):
        assert finding.startswith(f"source-disagreement: the source {field} differs: ")
    if differing or not expected["repository"]:
        assert provenance.source is None
    else:
        assert provenance.source == Source(
            *(next(iter(values), None) for values in expected.values())
        )
    if not differing and not expected["repository"]:
        assert slugs(provenance.findings) == ["source-missing"]


# --- repositories and git URIs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shorthand", "canonical"),
    [
        ("https://github.com/Acme/Payments", False, ACME),
        ("https://GitHub.com/acme/payments.git/", False, ACME),
        ("https://github.com:443/acme/payments", False, ACME),
        ("acme/payments", True, ACME),
        ("Acme/Payments", True, ACME),
        (
            "https://gitlab.com/Acme/Platform/Payments",
            False,
            "https://gitlab.com/Acme/Platform/Payments",
        ),
        ("acme/payments", False, None),
        ("http://github.com/acme/payments", False, None),
        ("https://github.com/acme", False, None),
        ("https://user@github.com/acme/payments", False, None),
        ("-acme/payments", True, None),
    ],
)
def test_canonical_repository(text: str, shorthand: bool, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(ValueError):
            canonical_repository(text, github_shorthand=shorthand)
    else:
        assert canonical_repository(text, github_shorthand=shorthand) == canonical


def with_dependency(uri: str, digest: dict[str, str] | None = None) -> Provenance:
    """A v1 predicate of an unknown build type whose only dependency is ``uri``."""
    entry: dict[str, Any] = {"uri": uri, "digest": digest or {"gitCommit": COMMIT}}
    predicate = {
        "buildDefinition": {"buildType": UNKNOWN_BUILD_TYPE, "resolvedDependencies": [entry]},
        "runDetails": {"builder": {"id": "https://ci.acme.example/builder"}},
    }
    return extract_provenance(SLSA_PROVENANCE_V1, predicate, {})


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        (f"git+{ACME}@{TAG}", ACME_TAG),
        (f"git+https://github.com/Acme/Payments.git@{TAG}", ACME_TAG),
        (f"git+{ACME}", Source(ACME, None, COMMIT)),
        (f"git+{ACME}@refs/tags/v1@rc", Source(ACME, "refs/tags/v1@rc", COMMIT)),
        (
            "git+https://git.acme.example:8443/a/b/c@main",
            Source("https://git.acme.example:8443/a/b/c", "main", COMMIT),
        ),
    ],
)
def test_git_uris(uri: str, source: Source) -> None:
    provenance = with_dependency(uri)
    assert provenance.source == source
    assert slugs(provenance.findings) == ["build-type-unknown"]


@pytest.mark.parametrize(
    "uri",
    [
        f"git+https://user@github.com/acme/payments@{TAG}",
        "git+ssh://github.com/acme/payments@main",
        "git+http://github.com/acme/payments@main",
        f"git+https://github.com/acme@{TAG}",
        "git+https://github.com/acme/payments@",
        "git+https://github.com/acme/payments@refs/tags/v 1",
        "git+github.com/acme/payments",
        "git+",
    ],
)
def test_unreadable_git_uris(uri: str) -> None:
    provenance = with_dependency(uri)
    assert provenance.source is None
    assert slugs(provenance.findings) == ["build-type-unknown", "source-unreadable"]


def test_an_unreadable_place_leaves_no_source_even_when_the_others_agree() -> None:
    document = statement("good-attest-build-provenance.json")
    document["predicate"]["buildDefinition"]["externalParameters"]["workflow"]["repository"] = (
        "ssh://git@github.com/acme/payments"
    )
    provenance = read_document(document, github_claims())
    assert provenance.source is None
    assert slugs(provenance.findings) == ["source-unreadable"]


def test_a_dependency_that_is_not_git_is_no_source() -> None:
    provenance = with_dependency(f"{ACME}@{TAG}")
    assert provenance.source is None
    assert slugs(provenance.findings) == ["build-type-unknown", "source-missing"]


@pytest.mark.parametrize(
    ("digest", "commit"),
    [
        ({"gitCommit": COMMIT, "sha1": OTHER_COMMIT}, COMMIT),
        ({"sha1": OTHER_COMMIT.upper()}, OTHER_COMMIT),
        ({"sha256": "ab" * 32}, None),
        ({"gitCommit": "ab" * 32}, "ab" * 32),
    ],
)
def test_the_commit_of_a_dependency(digest: dict[str, str], commit: str | None) -> None:
    assert with_dependency(f"git+{ACME}@{TAG}", digest).source == Source(ACME, TAG, commit)


# --- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2024-05-20T10:15:30Z", datetime(2024, 5, 20, 10, 15, 30, tzinfo=UTC)),
        ("2024-05-20t10:15:30z", datetime(2024, 5, 20, 10, 15, 30, tzinfo=UTC)),
        ("2024-05-20T10:15:30.5-01:30", datetime(2024, 5, 20, 11, 45, 30, 500000, tzinfo=UTC)),
        ("2022-12-16T08:26:28.651359794Z", datetime(2022, 12, 16, 8, 26, 28, 651359, tzinfo=UTC)),
        ("2024-05-20T10:15:30", None),
        ("2024-05-20 10:15:30Z", None),
        ("2024-02-30T00:00:00Z", None),
        ("2016-12-31T23:59:60Z", None),
        ("20240520T101530Z", None),
        ("2024-05-20T10:15:30+0200", None),
        ("\u0662\u0660\u0662\u0664-05-20T10:15:30Z", None),
        ("", None),
        ("9999-12-31T23:59:59-01:00", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("2024-05-20T10:15:30+24:00", None),
    ],
)
def test_times(text: str, moment: datetime | None) -> None:
    document = statement("good-attest-build-provenance.json")
    document["predicate"]["runDetails"]["metadata"]["startedOn"] = text
    provenance = read_document(document)
    assert provenance.started_on == moment
    if moment is None:
        assert slugs(provenance.findings) == ["time-malformed"]
    else:
        assert provenance.started_on is not None
        assert provenance.started_on.tzinfo is UTC
        assert provenance.findings == ()


# --- bounds -----------------------------------------------------------------------------------


def test_at_most_max_dependencies_are_kept() -> None:
    document = statement("good-attest-build-provenance.json")
    dependencies = document["predicate"]["buildDefinition"]["resolvedDependencies"]
    dependencies.extend(
        {"uri": f"pkg:npm/dep-{index}@1.0.0", "digest": {"sha512": "ab" * 64}}
        for index in range(MAX_DEPENDENCIES + 10)
    )
    provenance = read_document(document)
    assert len(provenance.resolved_dependencies) == MAX_DEPENDENCIES
    assert provenance.dependency_count == MAX_DEPENDENCIES + 11
    assert slugs(provenance.findings) == ["dependencies-truncated"]
    assert provenance.source == ACME_TAG


def test_long_texts_are_clipped() -> None:
    document = statement("good-attest-build-provenance.json")
    metadata = document["predicate"]["runDetails"]["metadata"]
    metadata["invocationId"] = "x" * (TEXT_MAX * 3)
    document["predicate"]["buildDefinition"]["resolvedDependencies"].append(
        {"uri": "u" * (TEXT_MAX + 1), "name": "n" * 10_000, "digest": {"a" * 1000: "f" * 10_000}}
    )
    provenance = read_document(document)
    assert provenance.invocation_id is not None
    assert len(provenance.invocation_id) == TEXT_MAX
    clipped = provenance.resolved_dependencies[-1]
    assert clipped.uri is not None
    assert len(clipped.uri) == TEXT_MAX
    assert clipped.name is not None
    assert len(clipped.name) <= 256
    assert all(len(k) <= 256 and len(v) <= TEXT_MAX for k, v in clipped.digest.items())


def nesting(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": True}
    for level in range(depth):
        value = {f"level{level}": value}
    return value


def depth_of(value: Any) -> int:
    """Levels of nesting as app.strict_json counts them: {"a": [1]} has 3."""
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    return 1


def count_values(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_values(item) for item in value.values())
    if isinstance(value, list):
        return sum(1 + count_values(item) for item in value)
    return 0


@pytest.mark.parametrize(
    "parameters",
    [
        {"deep": nesting(40)},
        {f"key{index}": index for index in range(PARAMETERS_MAX_ITEMS * 3)},
        {"list": [list(range(PARAMETERS_MAX_ITEMS)) for _ in range(PARAMETERS_MAX_ITEMS)]},
        {"long": "z" * (TEXT_MAX + 1)},
    ],
    ids=["deep", "wide", "many-values", "long-string"],
)
def test_external_parameters_are_bounded(parameters: dict[str, Any]) -> None:
    document = statement("good-unknown-builder.json")
    document["predicate"]["buildDefinition"]["externalParameters"] = parameters
    provenance = read_document(document)
    kept = provenance.external_parameters
    assert depth_of(kept) <= PARAMETERS_MAX_DEPTH
    assert count_values(kept) <= PARAMETERS_MAX_NODES
    assert len(json.dumps(kept)) < 200_000
    assert "parameters-truncated" in slugs(provenance.findings)


def test_parameters_within_the_bounds_are_kept_whole() -> None:
    parameters = {
        "inputs": {"a": [1, 2.5, None, True, "x"], "b": nesting(PARAMETERS_MAX_DEPTH - 4)},
        "vars": {f"v{index}": "y" * 100 for index in range(PARAMETERS_MAX_ITEMS)},
    }
    document = statement("good-unknown-builder.json")
    document["predicate"]["buildDefinition"]["externalParameters"] = copy.deepcopy(parameters)
    provenance = read_document(document)
    assert depth_of(parameters) == PARAMETERS_MAX_DEPTH
    assert provenance.external_parameters == parameters
    assert "parameters-truncated" not in slugs(provenance.findings)


@pytest.mark.parametrize(
    ("builder_id", "refused"),
    [
        ("b" * BUILDER_ID_MAX, None),
        ("b" * (BUILDER_ID_MAX + 1), "builder-id-too-long"),
        ("", "builder-id-invalid"),
        ("https://ci.acme.example/\tbuilder", "builder-id-invalid"),
        ("https://ci.acme.example/builder\u0085", "builder-id-invalid"),
    ],
)
def test_builder_ids_are_never_clipped(builder_id: str, refused: str | None) -> None:
    document = statement("good-unknown-builder.json")
    document["predicate"]["runDetails"]["builder"]["id"] = builder_id
    if refused is None:
        assert read_document(document).builder_id == builder_id
    else:
        with pytest.raises(ProvenanceMalformed) as error:
            read_document(document)
        assert slugs(error.value.reasons) == [refused]


# --- untrusted input never crashes ---------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found.append((*prefix, key))
        found.extend(paths(item, (*prefix, key)))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(document)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copied


GOOD_PREDICATES = [statement(name)["predicate"] for name in sorted(GOOD)]
GOOD_TYPES = [statement(name)["predicateType"] for name in sorted(GOOD)]


def extracted_or_refused(predicate_type: str, predicate: Any, claims: dict[str, str]) -> None:
    """Extraction gives a sound record, or refuses with reasons; it raises nothing else."""
    refused: ProvenanceMalformed | None = None
    try:
        provenance = extract_provenance(predicate_type, predicate, claims)
    except ProvenanceMalformed as error:
        refused = error
    if refused is not None:
        assert refused.reasons
        assert all(re.fullmatch(r"[a-z0-9-]+: \S.*", reason) for reason in refused.reasons)
        return
    assert provenance.builder_id
    assert len(provenance.resolved_dependencies) <= MAX_DEPENDENCIES
    assert all(
        re.fullmatch(r"[a-z0-9-]+: \S.*", finding, re.DOTALL) for finding in provenance.findings
    )
    for moment in (provenance.started_on, provenance.finished_on):
        assert moment is None or moment.tzinfo is UTC
    if provenance.source is not None:
        assert provenance.source.repository is not None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(GOOD_PREDICATES) - 1),
    st.integers(min_value=0),
    JSON_VALUES,
)
def test_any_field_of_any_type(which: int, where: int, value: Any) -> None:
    """Any value at any place of a good predicate: a record with findings, or a clear refusal."""
    predicate = GOOD_PREDICATES[which]
    every = paths(predicate)
    path = every[where % len(every)]
    extracted_or_refused(GOOD_TYPES[which], replaced(predicate, path, value), github_claims())


@settings(max_examples=200)
@given(
    st.sampled_from([SLSA_PROVENANCE_V1, SLSA_PROVENANCE_V02]),
    JSON_VALUES,
    st.dictionaries(
        st.sampled_from(
            [
                "source_repository_uri",
                "source_repository_ref",
                "source_repository_digest",
                "github_workflow_repository",
                "github_workflow_ref",
                "github_workflow_sha",
            ]
        ),
        st.text(max_size=40),
    ),
)
def test_any_predicate_and_any_claims(
    predicate_type: str, predicate: Any, claims: dict[str, str]
) -> None:
    extracted_or_refused(predicate_type, predicate, claims)
