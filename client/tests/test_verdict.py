"""``verdict`` against a scripted server: decisions, failures, ``--key`` with real signatures,
``--json`` on every outcome, and each reason printed once."""

from __future__ import annotations

import io
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from builders import (
    DIGEST,
    SERVER,
    TOKEN,
    Script,
    answer,
    envelope,
    key_id,
    problem,
    public_pem,
    statement,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client import verdict
from attestd_client.keys import PublicKey
from attestd_client.transport import RetryPolicy
from attestd_client.vsa import GATE_FIELD

REASONS = [
    "slsa-build-level: the provenance comes from a builder trusted for Build L2 only",
    "exceptions: the exception 12 was approved by its requester",
]


@dataclass
class Ran:
    code: int
    out: str
    err: str
    script: Script
    sleeps: list[float]

    @property
    def json(self) -> dict[str, Any]:
        """The one JSON object of standard output."""
        (line,) = self.out.splitlines()
        document: dict[str, Any] = json.loads(line)
        return document


Ask = Callable[..., Ran]


@pytest.fixture
def ask(tmp_path: Path) -> Ask:
    """``ask(*steps, json=, key=, vsa_out=, ...)``: one run of ``verdict`` against ``steps``."""

    def run(*steps: Any, environ: dict[str, str] | None = None, **options: Any) -> Ran:
        script = Script(*steps)
        values: dict[str, Any] = {"server": SERVER, "digest": DIGEST}
        values.update(options)
        if not {"key", "key_url", "key_id", "verify_summary"} & options.keys():
            # Runs about other things than the summary act on answers unchecked.
            values["verify_summary"] = False
        values.setdefault("retry", RetryPolicy(retries=2, delay=1.0))
        out, err = io.StringIO(), io.StringIO()
        sleeps: list[float] = []
        code = verdict.run(
            verdict.VerdictOptions(**values),
            environ={"ATTESTD_TOKEN": TOKEN} if environ is None else environ,
            out=out,
            err=err,
            transport=script.transport,
            sleep=sleeps.append,
            name="attestd-client verdict",
        )
        assert TOKEN not in out.getvalue() + err.getvalue()
        return Ran(code, out.getvalue(), err.getvalue(), script, sleeps)

    return run


@pytest.fixture
def key_file(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Path:
    path = tmp_path / "attestd.pub"
    path.write_bytes(public_pem(signing_key))
    return path


def ok(document: Any) -> httpx.Response:
    return httpx.Response(200, json=document)


# --- decisions ----------------------------------------------------------------------------


def test_allow_exits_0(ask: Ask, signing_key: Ed25519PrivateKey) -> None:
    ran = ask(ok(answer(signing_key, decision="allow")))
    assert ran.code == 0
    assert ran.out == f"allow {DIGEST} production level 4 (Improve)\n"
    (request,) = ran.script.requests
    assert str(request.url) == f"{SERVER}/v1/verdicts"
    assert json.loads(request.content) == {"digest": DIGEST}


def test_deny_exits_1_and_says_each_reason_once(ask: Ask, signing_key: Ed25519PrivateKey) -> None:
    ran = ask(ok(answer(signing_key, decision="deny", reasons=[*REASONS, REASONS[0]])))
    assert ran.code == 1
    assert ran.out.splitlines() == [
        f"deny {DIGEST} production level 2 (Operate)",
        f"  - {REASONS[0]}",
        f"  - {REASONS[1]}",
    ]


def test_an_unknown_digest_is_a_deny_without_a_vsa(ask: Ask, tmp_path: Path) -> None:
    unknown = problem(
        404,
        "No such artifact",
        f"artifact-unknown: {DIGEST}",
        reasons=[f"artifact-unknown: {DIGEST}"],
        slug="artifact-not-found",
    )
    ran = ask(unknown, vsa_out=tmp_path / "vsa.json")
    assert ran.code == 1
    assert ran.out.splitlines() == [
        f"deny {DIGEST} production: unknown to attestd (no evidence recorded)",
        f"  - artifact-unknown: {DIGEST}",
    ]
    assert "nothing was written to" in ran.err
    assert not (tmp_path / "vsa.json").exists()


def test_a_problems_detail_is_not_repeated_as_a_reason(ask: Ask, key_file: Path) -> None:
    refused = problem(
        422,
        "The service policy names no such environment",
        "unknown-environment: moon",
        reasons=["unknown-environment: moon", "known: production, staging"],
        slug="unknown-environment",
    )
    ran = ask(refused, environment="moon", key=key_file)
    assert ran.code == 3
    assert ran.err.splitlines() == [
        "attestd-client verdict: 422 The service policy names no such environment: "
        "unknown-environment: moon",
        "  - known: production, staging",
        "  hint: give --environment as one of the environments the service policy names",
    ]


def test_a_failure_after_retries_says_each_reason_once(ask: Ask, key_file: Path) -> None:
    failing = problem(500, "Internal server error", "boom", reasons=["db: gone", "db: gone"])
    ran = ask(failing, failing, failing, key=key_file)
    assert ran.code == 4
    assert ran.sleeps == [1.0, 2.0]
    assert ran.err.splitlines() == [
        "attestd-client verdict: the server answered 500 Internal Server Error (after 3 attempts)",
        "  - db: gone",
    ]


# --- --key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("decision", "code"), [("allow", 0), ("deny", 1)])
def test_a_summary_that_verifies_with_the_key_is_trusted_and_kept(
    ask: Ask,
    signing_key: Ed25519PrivateKey,
    key_file: Path,
    tmp_path: Path,
    decision: str,
    code: int,
) -> None:
    document = answer(signing_key, decision=decision, reasons=REASONS[:1])
    target = tmp_path / "vsa.json"
    ran = ask(ok(document), key=key_file, vsa_out=target)
    assert ran.code == code
    assert f"the VSA verifies with {key_file}" in ran.err
    assert json.loads(target.read_text(encoding="utf-8")) == document["vsa"]


def test_a_summary_by_another_key_is_not_trusted(
    ask: Ask, other_key: Ed25519PrivateKey, key_file: Path
) -> None:
    ran = ask(ok(answer(other_key, decision="allow")), key=key_file)
    assert ran.code == 4
    assert ran.out == ""
    assert "does not verify with" in ran.err
    assert "the signature names the key" in ran.err


def test_a_forged_summary_is_not_trusted(
    ask: Ask, signing_key: Ed25519PrivateKey, key_file: Path
) -> None:
    document = answer(signing_key, decision="allow")
    forged = envelope(signing_key, statement(passed=False))
    document["vsa"] = {
        **forged,
        "payload": envelope(signing_key, statement(passed=True))["payload"],
    }
    ran = ask(ok(document), key=key_file)
    assert ran.code == 4
    assert "the signature does not verify with the key; the answer is not trusted" in ran.err


def test_a_summary_that_disagrees_with_the_answer_is_not_trusted(
    ask: Ask, signing_key: Ed25519PrivateKey, key_file: Path
) -> None:
    document = answer(signing_key, decision="allow")
    document["vsa"] = envelope(signing_key, statement(passed=False))
    ran = ask(ok(document), key=key_file, json_output=True)
    assert ran.code == 4
    assert ran.json["error"]["kind"] == "untrusted-summary"
    assert 'its verificationResult is "FAILED", not PASSED' in ran.json["error"]["message"]


def test_a_summary_for_another_environment_is_not_trusted(
    ask: Ask, signing_key: Ed25519PrivateKey, key_file: Path
) -> None:
    """Before, a staging summary passed for production: the environment was not in it."""
    document = answer(signing_key, decision="allow")
    document["vsa"] = envelope(signing_key, statement(passed=True, environment="staging"))
    for asked in ({"environment": "production"}, {}):
        ran = ask(ok(document), key=key_file, **asked)
        assert ran.code == 4
        assert ran.out == ""
        assert 'it was issued for the environment "staging", not production' in ran.err


def test_an_expired_summary_is_not_trusted(
    ask: Ask, signing_key: Ed25519PrivateKey, key_file: Path
) -> None:
    """Before, a summary was good forever: a recorded allow could be replayed at will."""
    document = answer(signing_key, decision="allow")
    old = statement(passed=True, valid_until="2025-03-05T10:30:15Z")
    document["vsa"] = envelope(signing_key, old)
    ran = ask(ok(document), key=key_file)
    assert ran.code == 4
    assert ran.out == ""
    assert "is no longer valid: it expired at 2025-03-05T10:30:15Z" in ran.err
    assert "replayed" in ran.err


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda gate: gate.clear(), "it names no environment"),
        (lambda gate: gate.update(level=5), "it says level 5, not 4"),
        (lambda gate: gate.update(level=True), "it says level true, not 4"),
        (lambda gate: gate.update(validUntil="tomorrow"), 'its validUntil is "tomorrow"'),
        (lambda gate: gate.update(validUntil="2999-01-01T00:00:00"), "not a time with an offset"),
    ],
)
def test_a_summary_that_does_not_say_what_it_is_for_is_not_trusted(
    ask: Ask, signing_key: Ed25519PrivateKey, key_file: Path, change: Any, said: str
) -> None:
    document = answer(signing_key, decision="allow")
    changed = statement(passed=True)
    gate = changed["predicate"][GATE_FIELD]
    change(gate)
    if not gate:
        del changed["predicate"][GATE_FIELD]
    document["vsa"] = envelope(signing_key, changed)
    ran = ask(ok(document), key=key_file)
    assert ran.code == 4
    assert said in ran.err


def test_check_summary_holds_until_valid_until(signing_key: Ed25519PrivateKey) -> None:
    document = answer(signing_key, decision="allow")
    document["vsa"] = envelope(
        signing_key, statement(passed=True, valid_until="2030-01-01T00:00:00Z")
    )
    parsed = verdict.parse_verdict(document, digest=DIGEST, environment=None)
    key = PublicKey.from_pem(public_pem(signing_key))
    before = datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert verdict.check_summary(parsed, key, environment="production", now=before)
    with pytest.raises(verdict.ExpiredSummary):
        verdict.check_summary(
            parsed, key, environment="production", now=before + timedelta(seconds=1)
        )


# --- how the summary is verified: one way exactly, or explicitly none ------------------------


def test_a_deploy_step_that_forgot_the_key_is_refused_before_asking(ask: Ask) -> None:
    """Before, a run without --key acted on whatever answer came, signed or not."""
    ran = ask(verify_summary=True, json_output=True)
    assert ran.code == 2
    assert ran.script.requests == []
    assert ran.json["error"]["kind"] == "usage"
    assert "no way to verify the signed summary: give --key FILE" in ran.err
    assert "--no-verify-summary" in ran.err
    assert "nothing was sent" in ran.err


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"key": "KEY", "key_url": f"{SERVER}/v1/keys", "key_id": "a" * 64}, "not both"),
        ({"key_url": f"{SERVER}/v1/keys"}, "--key-url and --key-id go together"),
        ({"key_id": "a" * 64}, "--key-url and --key-id go together"),
        ({"key": "KEY", "verify_summary": False}, "--no-verify-summary cannot be given with"),
        ({"key_url": "ftp://x", "key_id": "a" * 64}, '--key-url "ftp://x" is not an http'),
        ({"key_url": f"{SERVER}/v1/keys", "key_id": "a" * 63}, "is not a key id: 64 hex"),
    ],
)
def test_conflicting_or_bad_key_options_are_usage_errors(
    ask: Ask, key_file: Path, options: dict[str, Any], said: str
) -> None:
    if options.get("key") == "KEY":
        options = {**options, "key": key_file}
    ran = ask(**options)
    assert ran.code == 2
    assert said in ran.err
    assert ran.script.requests == []


def test_no_verify_summary_acts_on_the_answer_and_says_so(
    ask: Ask, other_key: Ed25519PrivateKey
) -> None:
    ran = ask(ok(answer(other_key, decision="allow")), verify_summary=False)
    assert ran.code == 0
    assert ran.err.startswith(f"attestd-client verdict: {verdict.NO_VERIFY_WARNING}\n")
    assert "verifies" not in ran.err


KEYS_URL = "https://keys.example/v1/keys"


def keys_answer(*entries: tuple[Ed25519PrivateKey, list[str]]) -> httpx.Response:
    return ok(
        {
            "keys": [
                {"key_id": key_id(key), "public_key_pem": public_pem(key).decode(), "purposes": p}
                for key, p in entries
            ]
        }
    )


@pytest.mark.parametrize(("signer", "code"), [("summary key", 0), ("audit key", 4)])
def test_the_key_fetched_by_its_id_verifies_the_summary(
    ask: Ask, signing_key: Ed25519PrivateKey, other_key: Ed25519PrivateKey, signer: str, code: int
) -> None:
    """/v1/keys lists an audit key and a summary key: a summary signed by the audit key fails."""
    published = keys_answer(
        (other_key, ["audit-checkpoints"]), (signing_key, ["verification-summaries"])
    )
    signed_by = signing_key if signer == "summary key" else other_key
    ran = ask(
        published,
        ok(answer(signed_by, decision="allow")),
        key_url=KEYS_URL,
        key_id=key_id(signing_key).upper(),
    )
    assert ran.code == code, ran.err
    fetched, asked = ran.script.requests
    assert (fetched.method, str(fetched.url)) == ("GET", KEYS_URL)
    assert "authorization" not in fetched.headers  # the key URL may be another host
    assert (asked.method, str(asked.url)) == ("POST", f"{SERVER}/v1/verdicts")
    if signer == "summary key":
        assert f"the VSA verifies with the key {key_id(signing_key)} of {KEYS_URL}" in ran.err
    else:
        assert "the signature names the key" in ran.err


@pytest.mark.parametrize(
    ("published", "said"),
    [
        ("other", "no key of id"),
        ("audit", "is published for audit-checkpoints, not for verification-summaries"),
        ("404", "answered 404 Not Found, not the keys of GET /v1/keys"),
        ("html", "not JSON"),
    ],
)
def test_a_key_url_without_the_summary_key_of_that_id_asks_nothing(
    ask: Ask,
    signing_key: Ed25519PrivateKey,
    other_key: Ed25519PrivateKey,
    published: str,
    said: str,
) -> None:
    step = {
        "other": lambda: keys_answer((other_key, ["verification-summaries"])),
        "audit": lambda: keys_answer((signing_key, ["audit-checkpoints"])),
        "404": lambda: problem(404, "Not Found"),
        "html": lambda: httpx.Response(200, text="<html/>"),
    }[published]()
    ran = ask(step, key_url=KEYS_URL, key_id=key_id(signing_key), json_output=True)
    assert ran.code == 3
    assert ran.json["error"]["kind"] == "untrusted-key"
    assert said in ran.err
    assert len(ran.script.requests) == 1  # no verdict was asked for


# --- --json: one object on standard output, whatever happens -------------------------------


def _refusal(status: int, slug: str | None = None) -> httpx.Response:
    return problem(status, "Refused", "the server says why", reasons=["r"], slug=slug)


def _untrusted_certificate() -> httpx.ConnectError:
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    return error


FAILURES: dict[str, tuple[list[Any], str, int]] = {
    "401": ([_refusal(401)], "access-denied", 3),
    "403": ([_refusal(403)], "access-denied", 3),
    "404": ([_refusal(404, "not-found")], "not-found", 3),
    "422": ([_refusal(422, "unknown-environment")], "request-refused", 3),
    "redirect": ([httpx.Response(302, headers={"location": "https://x/"})], "redirected", 3),
    "certificate": ([_untrusted_certificate()], "untrusted-certificate", 3),
    "unreachable": ([httpx.ConnectError("refused")] * 3, "unreachable", 4),
    "500": ([_refusal(500)] * 3, "server-failure", 4),
    "429": ([httpx.Response(429)] * 3, "server-failure", 4),
    "not-json": ([httpx.Response(200, text="<html/>")], "malformed-answer", 4),
    "204": ([httpx.Response(204)], "malformed-answer", 4),
    "other-digest": (
        [ok({"decision": "allow", "digest": "sha256:" + "0" * 64})],
        "malformed-answer",
        4,
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_json_on_every_failure_is_one_object_with_the_error(ask: Ask, case: str) -> None:
    steps, kind, code = FAILURES[case]
    ran = ask(*steps, json_output=True)
    assert ran.code == code
    document = ran.json
    assert document["decision"] is None
    assert document["error"]["kind"] == kind
    assert document["error"]["exit_code"] == code
    assert document["error"]["message"]
    assert set(document["error"]) == {
        "kind", "exit_code", "message", "reasons", "hint", "status", "slug", "attempts"
    }  # fmt: skip
    assert ran.err  # the text goes to standard error as well


@pytest.mark.parametrize(
    ("options", "environ", "kind", "code"),
    [
        ({"digest": "sha256:abc"}, None, "usage", 2),
        ({"timeout": 0.0}, None, "usage", 2),
        ({"token_env": "atd_" + "x" * 43}, None, "usage", 2),
        ({}, {}, "token", 3),
        ({}, {"ATTESTD_TOKEN": ""}, "token", 3),
        ({}, {"ATTESTD_TOKEN": "atd_ spaces"}, "token", 3),
        ({"server": None}, {"ATTESTD_TOKEN": TOKEN}, "usage", 2),
    ],
)
def test_json_when_nothing_was_sent_is_one_object_with_the_error(
    ask: Ask, options: dict[str, Any], environ: dict[str, str] | None, kind: str, code: int
) -> None:
    ran = ask(json_output=True, environ=environ, **options)
    assert ran.code == code
    assert ran.json["decision"] is None
    assert ran.json["error"]["kind"] == kind
    assert ran.json["error"]["exit_code"] == code
    assert ran.script.requests == []
    assert "nothing was sent" in ran.err


@pytest.mark.parametrize(("decision", "code"), [("allow", 0), ("deny", 1)])
def test_json_for_a_decision_is_the_servers_answer_as_it_came(
    ask: Ask, signing_key: Ed25519PrivateKey, decision: str, code: int
) -> None:
    document = {**answer(signing_key, decision=decision), "added_later": [1]}
    ran = ask(ok(document), json_output=True)
    assert ran.code == code
    assert ran.json == document


def test_json_when_the_vsa_cannot_be_written_is_the_answer_with_the_error(
    ask: Ask, signing_key: Ed25519PrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, document: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(verdict, "write_vsa", refuse)
    document = answer(signing_key, decision="allow")
    ran = ask(ok(document), json_output=True, vsa_out=tmp_path / "vsa.json")
    assert ran.code == 3
    assert ran.json["decision"] == "allow"
    assert ran.json["vsa"] == document["vsa"]
    assert ran.json["error"]["kind"] == "output-not-written"
    assert "Permission denied" in ran.json["error"]["message"]


def test_json_for_an_unknown_digest_is_a_deny_with_the_problem(ask: Ask) -> None:
    unknown = problem(404, "No such artifact", "x", reasons=["r"], slug="artifact-not-found")
    ran = ask(unknown, json_output=True)
    assert ran.code == 1
    assert ran.json["decision"] == "deny"
    assert ran.json["vsa"] is None
    assert ran.json["problem"]["slug"] == "artifact-not-found"


def test_a_server_that_repeats_the_token_does_not_get_it_printed(ask: Ask) -> None:
    echoed = problem(401, "Unauthorized", f"token {TOKEN} is revoked")
    ran = ask(echoed, json_output=True)
    assert "[token]" in ran.json["error"]["message"]
