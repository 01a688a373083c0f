"""The one exception tree: each failure a class with its exit code, drawn as the code has it."""

from __future__ import annotations

import re

import pytest

from attestd_client import errors
from attestd_client.errors import ClientError, ExitCode
from attestd_client.transport import Problem

EXPECTED: dict[type[ClientError], tuple[int, str]] = {
    errors.UsageError: (2, "usage"),
    errors.TokenMissing: (3, "token"),
    errors.AccessDenied: (3, "access-denied"),
    errors.NotFound: (3, "not-found"),
    errors.Redirected: (3, "redirected"),
    errors.UntrustedCertificate: (3, "untrusted-certificate"),
    errors.RequestRefused: (3, "request-refused"),
    errors.OutputNotWritten: (3, "output-not-written"),
    errors.UntrustedKey: (3, "untrusted-key"),
    errors.EvidenceRefused: (1, "evidence-refused"),
    errors.Unreachable: (4, "unreachable"),
    errors.ServerFailure: (4, "server-failure"),
    errors.MalformedAnswer: (4, "malformed-answer"),
    errors.UntrustedSummary: (4, "untrusted-summary"),
}
GROUPS: dict[type[ClientError], int] = {errors.ConfigurationError: 3, errors.ServerError: 4}


def leaves(cls: type[ClientError]) -> set[type[ClientError]]:
    below = cls.__subclasses__()
    return {cls} if not below else set().union(*(leaves(sub) for sub in below))


def test_every_failure_is_one_leaf_with_its_exit_code_and_kind() -> None:
    assert leaves(ClientError) == set(EXPECTED)
    for cls, (code, kind) in EXPECTED.items():
        assert cls.exit_code == code
        assert cls.kind == kind
    for group, code in GROUPS.items():
        assert all(leaf.exit_code == code for leaf in leaves(group))


def test_kinds_are_unique() -> None:
    kinds = [cls.kind for cls in EXPECTED]
    assert len(kinds) == len(set(kinds))


def test_the_docstring_draws_the_tree_as_it_is() -> None:
    """Each drawn line names a class, its parent by indentation, its exit code and kind."""
    doc = errors.__doc__ or ""
    drawn = re.findall(r"^    [│ ]*(?:[├└]── )?(\w+) +(\d)(?: ([a-z-]+)(?=  ))?", doc, re.M)
    named = {name: (code, kind) for name, code, kind in drawn if hasattr(errors, name)}
    for cls, (code, kind) in EXPECTED.items():
        assert named[cls.__name__] == (str(code), kind), cls.__name__
    for group, code in GROUPS.items():
        assert named[group.__name__] == (str(code), "")
    parents = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^    ((?:[│ ]   )*)(?:[├└]── )?(\w+)", line)
        if match is None or not hasattr(errors, match[2]):
            continue
        depth = len(match[1]) // 4 + (0 if match[2] == "ClientError" else 1)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[match[2]] = stack[-1][1]
        stack.append((depth, match[2]))
    for cls in [*EXPECTED, *GROUPS]:
        assert parents[cls.__name__] == cls.__mro__[1].__name__, cls.__name__


def test_the_exit_code_table_is_the_enum() -> None:
    doc = errors.__doc__ or ""
    table = dict(re.findall(r"^    (\d)  ([A-Z]+)\s", doc, re.M))
    assert table == {str(int(code)): code.name for code in ExitCode}


def test_the_json_of_an_error_has_every_field() -> None:
    problem = Problem("Forbidden", "no", slug="forbidden", reasons=("a", "b", "a"))
    error = errors.AccessDenied("403 Forbidden: no", problem=problem, hint="h", status=403)
    assert error.as_json() == {
        "kind": "access-denied",
        "exit_code": 3,
        "message": "403 Forbidden: no",
        "reasons": ["a", "b"],
        "hint": "h",
        "status": 403,
        "slug": "forbidden",
        "attempts": 0,
    }


def test_a_failure_without_messages_says_the_problem() -> None:
    refused = errors.EvidenceRefused(problem=Problem("Bundle failed verification", "see reasons"))
    assert refused.as_json()["message"] == "Bundle failed verification: see reasons"


@pytest.mark.parametrize("cls", sorted(EXPECTED, key=str))
def test_each_failure_is_a_client_error(cls: type[ClientError]) -> None:
    error = cls("what went wrong")
    assert isinstance(error, ClientError)
    assert str(error) == "what went wrong"
