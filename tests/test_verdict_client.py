"""``attestd verdict``, the deploy gate's client, run in-process against a scripted server.

Every request goes to an ``httpx.MockTransport``; nothing touches the network.
The VSAs in the answers are real ones, signed by a key made for the test, so
``--key`` is checked against real signatures too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from attestd_client import submit as client
from attestd_client import verdict as verdict_client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.clock import utcnow
from app.scoring import vsa
from app.signing import ServiceKey
from tests.cli_runner import CliResult, heavy_modules_after, run_attestd

SERVER = "https://attestd.example/base"
TOKEN_ENV = "ATTESTD_VERDICT_TEST_TOKEN"
TOKEN = "atd_" + "s" * 43
DIGEST = "sha256:" + hashlib.sha256(b"payments-1.4.2.tar.gz").hexdigest()
PROBLEM = {"content-type": "application/problem+json"}
DENY_REASONS = [
    "slsa-build-level: the provenance comes from a builder trusted for Build L2 only",
    "exceptions: the exception 12 was approved by its requester",
]


@pytest.fixture(scope="module")
def service_key() -> ServiceKey:
    return ServiceKey(Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def other_key() -> ServiceKey:
    return ServiceKey(Ed25519PrivateKey.generate())


def signed_vsa(
    key: ServiceKey, *, passed: bool, digest: str = DIGEST, environment: str = "production"
) -> dict[str, Any]:
    """A summary issued now, valid for a day: level 4 when it passed, 2 when it failed."""
    now = utcnow()
    summary = vsa.Summary(
        subject_name="payments-1.4.2.tar.gz",
        subject_digest=digest,
        verifier_id="https://attestd.example/base",
        verifier_version="0.1.0",
        time_verified=now,
        resource_uri=f"https://attestd.example/base/v1/artifacts/{DIGEST}",
        policy=vsa.ResourceDigest(
            "https://attestd.example/base/v1/services/payments/policy",
            "sha256:" + hashlib.sha256(b"policy").hexdigest(),
        ),
        input_attestations=(),
        passed=passed,
        verified_levels=("SLSA_BUILD_LEVEL_3", "ATTESTD_MATURITY_LEVEL_4"),
        gate=vsa.GateDecision(
            service="payments",
            environment=environment,
            required_level=3,
            level=4 if passed else 2,
            policy_version=7,
            valid_until=now + timedelta(days=1),
        ),
    )
    return vsa.sign_summary(summary, key)


@pytest.fixture(scope="module")
def server_key_file(service_key, tmp_path_factory) -> Path:
    """The public half of ``service_key``, where no test's own folder holds it."""
    path = tmp_path_factory.mktemp("server-key") / "attestd.pub"
    path.write_text(service_key.public.pem, encoding="ascii")
    return path


@pytest.fixture
def allowed(service_key) -> dict[str, Any]:
    return {
        "decision": "allow",
        "digest": DIGEST,
        "service": "payments",
        "environment": "production",
        "required_level": 3,
        "level": 4,
        "level_name": "Improve",
        "reasons": [],
        "vsa": signed_vsa(service_key, passed=True),
        "audit_index": 17,
        "verified_at": "2025-03-04T10:30:15Z",
    }


@pytest.fixture
def denied(allowed, service_key) -> dict[str, Any]:
    return {
        **allowed,
        "decision": "deny",
        "level": 2,
        "level_name": "Operate",
        "reasons": DENY_REASONS,
        "vsa": signed_vsa(service_key, passed=False),
    }


class Script:
    """A mock transport answering each request with the next step: a response or an error."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def ok(document: Any) -> httpx.Response:
    return httpx.Response(200, json=document)


@pytest.fixture
def verdict(
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    server_key_file: Path,
):
    """``run(script, *args, token=TOKEN)``: ``attestd verdict`` answered by ``script``.

    The waits between retries are recorded in ``run.sleeps`` instead of slept.
    Every run is checked for the one thing it must never do: print the token.
    """
    sleeps: list[float] = []

    def run(script: Script, *args: str, token: str | None = TOKEN) -> CliResult:
        if token is None:
            clean_environment.delenv(TOKEN_ENV, raising=False)
        else:
            clean_environment.setenv(TOKEN_ENV, token)
        clean_environment.setattr(
            verdict_client,
            "run",
            partial(ORIGINAL_RUN, transport=httpx.MockTransport(script), sleep=sleeps.append),
        )
        if "--digest" not in args:
            args = ("--digest", DIGEST, *args)
        if not {"--key", "--key-url", "--key-id", "--no-verify-summary"} & set(args):
            # Summaries are checked with the server's key unless a run says otherwise.
            args = (*args, "--key", str(server_key_file))
        result = run_attestd(
            capsys, ["verdict", "--server", SERVER, "--token-env", TOKEN_ENV, *args]
        )
        assert TOKEN not in result.out
        assert TOKEN not in result.err
        return result

    run.sleeps = sleeps  # type: ignore[attr-defined]
    return run


ORIGINAL_RUN = verdict_client.run


# --- decisions --------------------------------------------------------------------------


def test_allow_exits_0_with_one_line(verdict, allowed):
    script = Script(ok(allowed))
    result = verdict(script, "--environment", "production")
    assert result.code == 0
    assert result.out == f"allow {DIGEST} production level 4 (Improve)\n"
    (request,) = script.requests
    assert request.method == "POST"
    assert request.url == "https://attestd.example/base/v1/verdicts"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"digest": DIGEST, "environment": "production"}


def test_without_environment_the_request_has_none_and_the_server_names_it(verdict, allowed):
    script = Script(ok(allowed))
    result = verdict(script, "--digest", DIGEST.upper().replace("SHA256", "sha256"))
    assert result.code == 0
    assert json.loads(script.requests[0].content) == {"digest": DIGEST}
    assert result.out.startswith(f"allow {DIGEST} production ")


def test_deny_exits_1_with_the_reasons(verdict, denied):
    result = verdict(Script(ok(denied)))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"deny {DIGEST} production level 2 (Operate)",
        f"  - {DENY_REASONS[0]}",
        f"  - {DENY_REASONS[1]}",
    ]


def test_a_deny_without_reasons_still_says_so(verdict, denied):
    result = verdict(Script(ok({**denied, "reasons": []})))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"deny {DIGEST} production level 2 (Operate): the server gave no reason"
    ]


@pytest.mark.parametrize(("fixture", "code"), [("allowed", 0), ("denied", 1)])
def test_json_prints_the_servers_answer(verdict, request, fixture, code):
    document = request.getfixturevalue(fixture)
    result = verdict(Script(ok(document)), "--json")
    assert result.code == code
    (line,) = result.out.splitlines()
    assert json.loads(line) == document


def test_fields_added_later_by_the_server_are_kept_in_json(verdict, allowed):
    document = {**allowed, "exceptions": [{"id": 4}]}
    result = verdict(Script(ok(document)), "--json")
    assert json.loads(result.out) == document


# --- the VSA file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "code", "result"), [("allowed", 0, "PASSED"), ("denied", 1, "FAILED")]
)
def test_vsa_out_keeps_the_signed_summary(
    verdict, request, tmp_path, service_key, fixture, code, result
):
    document = request.getfixturevalue(fixture)
    target = tmp_path / "vsa.intoto.json"
    ran = verdict(Script(ok(document)), "--vsa-out", str(target))
    assert ran.code == code
    assert json.loads(target.read_text(encoding="utf-8")) == document["vsa"]
    statement = vsa.open_summary(json.loads(target.read_bytes()), service_key.public)
    assert statement["predicate"]["verificationResult"] == result
    assert f"wrote the VSA to {target}" in ran.err
    assert [path.name for path in tmp_path.iterdir()] == ["vsa.intoto.json"]


def test_vsa_out_replaces_an_older_file(verdict, allowed, tmp_path):
    target = tmp_path / "vsa.json"
    target.write_text("old", encoding="utf-8")
    assert verdict(Script(ok(allowed)), "--vsa-out", str(target)).code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == allowed["vsa"]


def test_no_vsa_means_no_file_and_a_server_failure(verdict, allowed, tmp_path):
    target = tmp_path / "vsa.json"
    without = {key: value for key, value in allowed.items() if key != "vsa"}
    result = verdict(Script(ok(without)), "--vsa-out", str(target))
    assert result.code == 4
    assert "vsa, the signed verification summary, is missing" in result.err
    assert f"nothing was written to {target}" in result.err
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_vsa_out_in_a_missing_directory_is_a_usage_error(verdict, tmp_path):
    script = Script()
    result = verdict(script, "--vsa-out", str(tmp_path / "missing" / "vsa.json"))
    assert result.code == 2
    assert "does not exist" in result.err
    assert script.requests == []


def test_a_vsa_that_cannot_be_written_is_a_configuration_error(
    verdict, allowed, tmp_path, monkeypatch
):
    def refuse(path: Path, envelope: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(verdict_client, "write_vsa", refuse)
    result = verdict(Script(ok(allowed)), "--vsa-out", str(tmp_path / "vsa.json"))
    assert result.code == 3
    assert result.out.startswith("allow ")
    assert "cannot write" in result.err
    assert "Permission denied" in result.err


# --- what the server refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "title", "hint"),
    [
        (401, "Unauthorized", "is unknown, revoked or malformed"),
        (403, "Forbidden", "needs the pipeline or auditor role"),
        (404, "Not Found", "is --server the attestd base URL?"),
        (422, "Unprocessable Content", "refused the request as given"),
        (400, "Bad Request", "is --server the attestd base URL?"),
    ],
)
def test_client_errors_are_configuration_errors_and_not_retried(verdict, status, title, hint):
    problem = {
        "type": f"https://attestd.dev/problems/{status}",
        "title": title,
        "status": status,
        "detail": "the server says why",
        "reasons": ["digest: not known"],
    }
    script = Script(httpx.Response(status, json=problem, headers=PROBLEM))
    result = verdict(script)
    assert result.code == 3
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == f"attestd verdict: {status} {title}: the server says why"
    assert lines[1] == "  - digest: not known"
    assert hint in lines[2]
    assert lines[2].startswith("  hint: ")
    assert len(script.requests) == 1
    assert verdict.sleeps == []


def test_the_hint_names_the_token_variable(verdict):
    problem = {"title": "Unauthorized", "status": 401, "detail": "unknown token"}
    result = verdict(Script(httpx.Response(401, json=problem, headers=PROBLEM)))
    assert f"the token in {TOKEN_ENV} is unknown" in result.err


def test_a_redirect_is_a_configuration_error(verdict):
    script = Script(httpx.Response(308, headers={"Location": "https://other.example/v1/verdicts"}))
    result = verdict(script)
    assert result.code == 3
    assert "308 Permanent Redirect to https://other.example/v1/verdicts" in result.err
    assert len(script.requests) == 1


# --- a digest attestd knows nothing of ----------------------------------------------------


def unknown_artifact(digest: str = DIGEST) -> httpx.Response:
    """What the server answers for a digest it holds no evidence for."""
    return httpx.Response(
        404,
        json={
            "type": "urn:attestd:problem:artifact-not-found",
            "title": "No such artifact",
            "status": 404,
            "slug": "artifact-not-found",
            "detail": f"No artifact has the digest {digest}: attestd holds no evidence for it.",
            "reasons": [f"artifact-unknown: {digest}"],
        },
        headers=PROBLEM,
    )


def test_an_unknown_digest_is_a_deny_without_a_vsa(verdict, tmp_path):
    target = tmp_path / "vsa.json"
    script = Script(unknown_artifact())
    result = verdict(script, "--environment", "staging", "--vsa-out", str(target))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"deny {DIGEST} staging: unknown to attestd (no evidence recorded)",
        f"  - artifact-unknown: {DIGEST}",
    ]
    assert "attestd signs no VSA for a digest it holds no evidence for" in result.err
    assert f"nothing was written to {target}" in result.err
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    assert len(script.requests) == 1
    assert verdict.sleeps == []


def test_an_unknown_digest_without_environment_is_denied_for_the_default_one(verdict):
    result = verdict(Script(unknown_artifact()))
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"deny {DIGEST} production: unknown to attestd (no evidence recorded)"
    )
    assert "nothing was written" not in result.err


def test_an_unknown_digest_in_json_is_a_deny_with_the_problem(verdict):
    result = verdict(Script(unknown_artifact()), "--json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["decision"] == "deny"
    assert document["digest"] == DIGEST
    assert document["environment"] == "production"
    assert document["vsa"] is None
    assert document["reasons"] == [f"artifact-unknown: {DIGEST}"]
    assert document["problem"]["slug"] == "artifact-not-found"


def test_an_unknown_digest_needs_no_key_to_deny(verdict, key_file):
    result = verdict(Script(unknown_artifact()), "--key", str(key_file))
    assert result.code == 1
    assert "unknown to attestd" in result.out


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(
            404,
            json={"title": "Not Found", "status": 404, "slug": "not-found", "detail": "No route."},
            headers=PROBLEM,
        ),
        httpx.Response(404, json={"title": "Not Found", "status": 404}, headers=PROBLEM),
        # A proxy's page, even one that names the slug, is not attestd's problem document.
        httpx.Response(404, text="<html>artifact-not-found</html>"),
        httpx.Response(404, json={"detail": "Not Found"}),
    ],
)
def test_any_other_404_is_a_configuration_error(verdict, tmp_path, answer):
    target = tmp_path / "vsa.json"
    script = Script(answer)
    result = verdict(script, "--vsa-out", str(target))
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith("attestd verdict: 404 ")
    assert "hint: is --server the attestd base URL?" in result.err
    assert not target.exists()
    assert len(script.requests) == 1


def test_an_environment_the_policy_does_not_name_is_a_configuration_error(verdict):
    problem = {
        "type": "urn:attestd:problem:unknown-environment",
        "title": "The service policy names no such environment",
        "status": 422,
        "slug": "unknown-environment",
        "detail": "The policy of payments names no environment 'moon'; it names production, "
        "staging.",
        "reasons": ["unknown-environment: moon"],
    }
    script = Script(httpx.Response(422, json=problem, headers=PROBLEM))
    result = verdict(script, "--environment", "moon")
    assert result.code == 3
    assert result.out == ""
    assert result.err.splitlines() == [
        "attestd verdict: 422 The service policy names no such environment: The policy of "
        "payments names no environment 'moon'; it names production, staging.",
        "  - unknown-environment: moon",
        "  hint: give --environment as one of the environments the service policy names",
    ]
    assert len(script.requests) == 1


# --- --key: a VSA that does not verify is not trusted -------------------------------------


def public_key_file(folder: Path, key: ServiceKey, name: str = "attestd.pub") -> Path:
    path = folder / name
    path.write_text(key.public.pem, encoding="ascii")
    return path


@pytest.fixture
def key_file(tmp_path, service_key) -> Path:
    """The public key of the server's signing key, as GET /v1/keys publishes it."""
    return public_key_file(tmp_path, service_key)


@pytest.mark.parametrize(("fixture", "code"), [("allowed", 0), ("denied", 1)])
def test_a_vsa_that_verifies_with_the_key_is_trusted(
    verdict, request, tmp_path, key_file, fixture, code
):
    document = request.getfixturevalue(fixture)
    target = tmp_path / "vsa.json"
    result = verdict(Script(ok(document)), "--key", str(key_file), "--vsa-out", str(target))
    assert result.code == code
    assert result.out.startswith(f"{document['decision']} {DIGEST} production level ")
    assert f"the VSA verifies with {key_file}" in result.err
    assert json.loads(target.read_text(encoding="utf-8")) == document["vsa"]


def test_a_vsa_signed_by_another_key_is_a_server_failure(verdict, allowed, tmp_path, other_key):
    key = public_key_file(tmp_path, other_key, "other.pub")
    target = tmp_path / "vsa.json"
    script = Script(ok(allowed))
    result = verdict(script, "--key", str(key), "--vsa-out", str(target))
    assert result.code == 4
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith(
        f"attestd verdict: the verification summary does not verify with {key}: "
    )
    assert "the signature names the key" in lines[0]
    assert lines[0].endswith("; the answer is not trusted")
    assert "hint: is the key the one GET /v1/keys of this server publishes for" in result.err
    assert f"nothing was written to {target}" in result.err
    assert not target.exists()
    # A bad signature is not something a retry mends.
    assert len(script.requests) == 1
    assert verdict.sleeps == []


def test_a_vsa_whose_signature_fails_is_a_server_failure(verdict, allowed, key_file):
    envelope = allowed["vsa"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verifiedLevels"] = ["SLSA_BUILD_LEVEL_3", "ATTESTD_MATURITY_LEVEL_5"]
    forged = {**envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
    result = verdict(Script(ok({**allowed, "vsa": forged})), "--key", str(key_file))
    assert result.code == 4
    assert result.out == ""
    assert (
        f"the verification summary does not verify with {key_file}: the signature does not "
        "verify with the key" in result.err
    )


@pytest.mark.parametrize(
    ("fixture", "summary", "said"),
    [
        ("allowed", "failed", 'its verificationResult is "FAILED", not PASSED'),
        ("denied", "passed", 'its verificationResult is "PASSED", not FAILED'),
        ("allowed", "other-digest", "its subject is"),
    ],
)
def test_a_vsa_that_says_otherwise_than_the_answer_is_a_server_failure(
    verdict, request, service_key, key_file, fixture, summary, said
):
    document = request.getfixturevalue(fixture)
    envelope = {
        "failed": lambda: signed_vsa(service_key, passed=False),
        "passed": lambda: signed_vsa(service_key, passed=True),
        "other-digest": lambda: signed_vsa(service_key, passed=True, digest="sha256:" + "0" * 64),
    }[summary]()
    result = verdict(Script(ok({**document, "vsa": envelope})), "--key", str(key_file))
    assert result.code == 4
    assert result.out == ""
    assert f"the verification summary signed with {key_file} does not agree with the answer" in (
        result.err
    )
    assert said in result.err


def test_with_no_verify_summary_the_vsa_is_not_checked(verdict, allowed, other_key):
    # Signed by another key and FAILED: only --no-verify-summary lets the client not look.
    vsa_of_another_key = signed_vsa(other_key, passed=False)
    result = verdict(Script(ok({**allowed, "vsa": vsa_of_another_key})), "--no-verify-summary")
    assert result.code == 0
    assert "verifies" not in result.err
    assert verdict_client.NO_VERIFY_WARNING in result.err


def ec_public_key_pem() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def private_key_pem(key: ServiceKey) -> bytes:
    return key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read it"),
        (lambda key: b"", "not a PEM public key"),
        (lambda key: b"not a key at all\n", "not a PEM public key"),
        (lambda key: ec_public_key_pem(), "the public key is not an Ed25519 key"),
        (private_key_pem, "not a PEM public key"),
    ],
    ids=["missing", "empty", "not-pem", "ec-key", "private-key"],
)
def test_a_key_file_that_is_not_an_ed25519_public_key_is_a_usage_error(
    verdict, tmp_path, service_key, content, said
):
    path = tmp_path / "attestd.pub"
    if content is not None:
        path.write_bytes(content(service_key))
    script = Script()
    result = verdict(script, "--key", str(path))
    assert result.code == 2
    assert f"--key {path}: " in result.err
    assert said in result.err
    assert "nothing was sent" in result.err
    assert script.requests == []


def test_check_summary_returns_the_statement(allowed, service_key):
    document = verdict_client.parse_verdict(allowed, digest=DIGEST, environment=None)
    statement = verdict_client.check_summary(
        document, service_key.public, environment="production", now=utcnow()
    )
    assert statement["subject"][0]["digest"] == {"sha256": DIGEST.removeprefix("sha256:")}
    assert statement["predicate"]["verificationResult"] == "PASSED"


def test_check_summary_refuses_another_key(allowed, other_key):
    document = verdict_client.parse_verdict(allowed, digest=DIGEST, environment=None)
    with pytest.raises(vsa.VsaInvalid):
        verdict_client.check_summary(
            document, other_key.public, environment="production", now=utcnow()
        )


# --- plain http ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "warned"),
    [
        ("http://attestd.internal:8000", True),
        ("http://10.0.0.7", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://[::1]:8000", False),
        ("https://attestd.internal", False),
    ],
)
def test_plain_http_to_another_host_warns_about_the_token(verdict, allowed, server, warned):
    script = Script(ok(allowed))
    result = verdict(script, "--server", server)
    assert result.code == 0
    assert (client.PLAIN_HTTP_WARNING in result.err) is warned
    if warned:
        assert result.err.startswith(f"attestd verdict: {client.PLAIN_HTTP_WARNING}\n")
    assert str(script.requests[0].url).startswith(server)


def test_the_warning_is_the_one_submit_gives():
    options = verdict_client.VerdictOptions(
        server="http://attestd.internal",
        token_env=TOKEN_ENV,
        digest=DIGEST,
        key_url="http://attestd.internal/v1/keys",
        key_id="a" * 64,
    )
    prepared = verdict_client.prepare(options, {TOKEN_ENV: TOKEN})
    assert prepared.warnings == (client.PLAIN_HTTP_WARNING,)
    assert client.sends_token_in_clear(prepared.server)


# --- retries and server failures ----------------------------------------------------------


def test_a_500_then_a_verdict_is_retried_and_allowed(verdict, allowed):
    script = Script(httpx.Response(500, json={"title": "Internal Server Error"}), ok(allowed))
    result = verdict(script)
    assert result.code == 0
    assert len(script.requests) == 2
    assert verdict.sleeps == [1.0]
    assert result.out == f"allow {DIGEST} production level 4 (Improve)\n"


def test_a_500_that_lasts_is_a_server_failure_after_bounded_retries(verdict, tmp_path):
    problem = {"title": "Internal Server Error", "status": 500, "detail": "boom", "reasons": ["x"]}
    script = Script(*[httpx.Response(500, json=problem, headers=PROBLEM)] * 4)
    target = tmp_path / "vsa.json"
    result = verdict(script, "--vsa-out", str(target))
    assert result.code == 4
    assert len(script.requests) == 4
    assert verdict.sleeps == [1.0, 2.0, 4.0]
    lines = result.err.splitlines()
    assert lines[0] == (
        "attestd verdict: the server answered 500 Internal Server Error (after 4 attempts)"
    )
    assert lines[1] == "  - x"
    assert not target.exists()


def test_429_honours_retry_after(verdict, allowed):
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}), ok(allowed))
    assert verdict(script).code == 0
    assert verdict.sleeps == [3.0]


def test_transport_failures_are_retried(verdict, allowed):
    script = Script(
        httpx.ConnectError("connection refused"), httpx.ReadTimeout("slow"), ok(allowed)
    )
    assert verdict(script).code == 0
    assert len(script.requests) == 3


def test_a_server_that_cannot_be_reached_is_a_server_failure(verdict):
    script = Script(*[httpx.ConnectError("connection refused")] * 4)
    result = verdict(script, "--timeout", "5")
    assert result.code == 4
    assert len(script.requests) == 4
    assert "cannot connect: connection refused (after 4 attempts)" in result.err


def test_an_untrusted_certificate_is_configuration_and_not_retried(verdict):
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    script = Script(error)
    result = verdict(script)
    assert result.code == 3
    assert "--ca-bundle" in result.err
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (httpx.Response(200, text="<html>ok</html>"), "not JSON"),
        (httpx.Response(200, content=b"{", headers={"content-type": "application/json"}), "JSON"),
        (ok([1, 2]), "not a JSON object"),
        ("decision=maybe", 'decision is "maybe", not allow or deny'),
        ("decision=None", "decision is null"),
        ("vsa=envelope", "vsa, the signed verification summary"),
        ("vsa=None", "vsa, the signed verification summary"),
        ("digest=other", "it is about the digest"),
        ("environment=staging", "it is about the environment"),
        ("level=4-as-text", "level is"),
        ("level=True", "level is true"),
        ("reasons=text", "reasons is not a list of strings"),
        ("audit_index=text", "audit_index is"),
        (httpx.Response(204), "unexpected answer 204"),
    ],
)
def test_an_answer_that_is_not_a_verdict_is_a_server_failure(verdict, allowed, answer, why):
    if isinstance(answer, str):
        name, value = answer.split("=", 1)
        replacement: Any = {
            "maybe": "maybe",
            "None": None,
            "envelope": "eyJwYXlsb2FkIjogIngifQ==",
            "other": "sha256:" + "0" * 64,
            "staging": "staging",
            "4-as-text": "4",
            "True": True,
            "text": "text",
        }[value]
        answer = ok({**allowed, name: replacement})
    script = Script(answer)
    result = verdict(script, "--environment", "production")
    assert result.code == 4
    assert why in result.err
    assert result.out == ""
    assert len(script.requests) == 1


# --- nothing sent -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:abc",
        DIGEST[len("sha256:") :],
        "md5:" + "0" * 32,
        "sha512:" + "0" * 64,
        DIGEST + "\n::set-output name=x::y",
    ],
)
def test_a_bad_digest_is_a_usage_error_and_nothing_is_sent(verdict, digest):
    script = Script()
    result = verdict(script, "--digest", digest)
    assert result.code == 2
    assert "--digest" in result.err
    assert "nothing was sent" in result.err
    assert not any(line.lstrip().startswith("::") for line in result.err.splitlines())
    assert script.requests == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--server", "ftp://attestd.example"), "--server"),
        (("--environment", "prod uction"), "--environment"),
        (("--timeout", "0"), "--timeout"),
    ],
)
def test_bad_arguments_are_usage_errors_and_nothing_is_sent(verdict, args, said):
    script = Script()
    result = verdict(script, *args)
    assert result.code == 2
    assert said in result.err
    assert script.requests == []


@pytest.mark.parametrize(
    ("token", "said"),
    [(None, "is not set"), ("", "is empty"), ("atd_two words", "does not hold a bearer token")],
)
def test_a_token_variable_unset_or_malformed_is_configuration_and_nothing_is_sent(
    verdict, token, said
):
    script = Script()
    result = verdict(script, token=token)
    assert result.code == 3
    assert f"the environment variable {TOKEN_ENV} {said}" in result.err
    assert "nothing was sent" in result.err
    assert script.requests == []


def test_a_missing_required_option_is_an_argparse_usage_error(clean_environment, capsys):
    with pytest.raises(SystemExit) as exited:
        run_attestd(capsys, ["verdict", "--server", SERVER, "--token-env", TOKEN_ENV])
    assert exited.value.code == 2
    assert "--digest" in capsys.readouterr().err


# --- what reaches the log -----------------------------------------------------------------


def test_server_text_cannot_start_a_line_of_the_log(verdict, denied):
    hostile = {
        **denied,
        "environment": "production",
        "level_name": "Operate\n::set-output name=decision::allow",
        "reasons": [
            "signer: 'x\r\n::add-mask::y'",
            "::set-output name=decision::allow",
            "policy: \u2028::error::forged",
        ],
    }
    result = verdict(Script(ok(hostile)))
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 4
    assert not any(line.lstrip().startswith("::") for line in lines)
    assert "Operate\\n::set-output name=decision::allow" in lines[0]
    assert lines[1] == "  - signer: 'x\\r\\n::add-mask::y'"
    assert lines[2] == "  - ::set-output name=decision::allow"
    assert lines[3] == "  - policy: \\u2028::error::forged"


def test_problem_text_cannot_start_a_line_of_the_log(verdict):
    problem = {
        "title": "Forbidden\n::set-output name=decision::allow",
        "status": 403,
        "detail": "no\r::error::x",
        "reasons": ["a\n::warning::b"],
    }
    result = verdict(Script(httpx.Response(403, json=problem, headers=PROBLEM)))
    assert result.code == 3
    assert not any(line.lstrip().startswith("::") for line in result.err.splitlines())
    assert "Forbidden\\n::set-output name=decision::allow: no\\r::error::x" in result.err
    assert "  - a\\n::warning::b" in result.err


def test_a_server_that_repeats_the_token_does_not_get_it_printed(verdict, denied):
    problem = {"title": "Unauthorized", "status": 401, "detail": f"token {TOKEN} is revoked"}
    result = verdict(Script(httpx.Response(401, json=problem, headers=PROBLEM)))
    assert result.code == 3
    assert "token [token] is revoked" in result.err
    echoed = {**denied, "reasons": [f"the token {TOKEN} is not allowed"]}
    for args in ((), ("--json",)):
        result = verdict(Script(ok(echoed)), *args)
        assert result.code == 1
        assert "[token]" in result.out


def test_verdict_loads_no_server_code():
    """``attestd verdict`` starts without sigstore, FastAPI, uvicorn or the app's routes."""
    argv = ["verdict", "--server", "http://127.0.0.1:9", "--token-env", "ATTESTD_VERDICT_UNSET"]
    argv += ["--digest", DIGEST, "--no-verify-summary"]
    assert heavy_modules_after(argv, "ATTESTD_VERDICT_UNSET") == "3 [] False"
