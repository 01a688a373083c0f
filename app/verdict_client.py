"""The deploy-gate client behind ``attestd verdict``: may this digest ship?

It asks an attestd server (``POST /v1/verdicts``), prints one line a CI log can
act on, and can keep the signed verification summary (the VSA, a DSSE
envelope) as evidence, for a denial as much as for an approval. Given
``--key``, attestd's public key, it trusts an answer only once its summary
verifies with that key and says what the answer says. Like ``app.client``,
whose argument checks, token reading, TLS set-up, problem parsing, retry policy
and log-line escaping it uses, it imports nothing of the server but the pure
VSA check (``app.scoring.vsa``).

Every run ends in one exit code::

    0  allow          the server allows the digest (for the environment asked about)
    1  deny           the server denies it; the reasons follow the decision line. Also
                      a digest attestd holds no evidence for (404 artifact-not-found):
                      a gate denies what it knows nothing of; there is no VSA then
    2  usage          --digest, --server, --environment, --timeout, --ca-bundle,
                      --vsa-out or --key is wrong; nothing was sent
    3  configuration  the token variable is unset, empty or malformed (nothing sent);
                      401, 403, any other 404 (a wrong --server, a proxy), 422 (an
                      environment the policy does not name), another 4xx, a redirect
                      or an untrusted certificate; or the VSA could not be written
    4  server         5xx, 429, no connection, a timeout, or a 200 that is not a
                      verdict on this digest, after the retries; or, with --key, a
                      VSA that does not verify with the key or disagrees with the answer

Errors::

    VerdictError       the run ended without a decision: its exit code and the lines that say why
    MalformedVerdict   (a ValueError) a 200 answer that is not a verdict on this digest, or
                       whose signed summary says otherwise

Asking for a verdict changes nothing on the server but its audit log, so every
transient failure (connection, timeout, 429, 5xx) is retried with
``app.client.RetryPolicy``.
"""

from __future__ import annotations

import enum
import json
import os
import re
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO, TypeVar

import httpx
from cryptography.exceptions import UnsupportedAlgorithm

from app.client import (
    DEFAULT_TIMEOUT,
    PLAIN_HTTP_WARNING,
    RETRY_ERRORS,
    TLS_HINT,
    ExitCode,
    Problem,
    RetryPolicy,
    UsageError,
    check_server_url,
    is_certificate_failure,
    printable,
    read_token,
    sends_token_in_clear,
    status_line,
    tls_context,
    transport_failure,
)
from app.digests import is_artifact_digest
from app.scoring.vsa import VsaInvalid, open_summary
from app.signing import PublicKey, SigningKeyError

ENDPOINT = "/v1/verdicts"
# Lenient on purpose: the server owns the environment names; this only keeps
# spaces, control characters and absurd lengths out of the request.
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# The environment the server judges for when none is asked (documented in the
# API: VerdictRequest.environment); only named in lines the client writes itself.
DEFAULT_ENVIRONMENT = "production"
# The problem slug of a digest attestd holds no evidence for; any other 404 is
# a wrong URL or a proxy, not an answer about the digest.
UNKNOWN_ARTIFACT_SLUG = "artifact-not-found"
UNKNOWN_ENVIRONMENT_SLUG = "unknown-environment"
_REDACTED = "[token]"
# The VSA is signed, public evidence: readable by the later steps of the job.
_VSA_FILE_MODE = 0o644

T = TypeVar("T")


class Decision(enum.StrEnum):
    """What the server decided about the digest."""

    ALLOW = "allow"
    DENY = "deny"

    @property
    def exit_code(self) -> ExitCode:
        """0 for allow, 1 for deny."""
        return ExitCode.ACCEPTED if self is Decision.ALLOW else ExitCode.REFUSED


class MalformedVerdict(ValueError):
    """A 200 answer that is not a verdict on the digest asked about; the message says why.

    With ``--key``, also a verdict whose signed summary says something else.
    """


class VerdictError(Exception):
    """The run ended without a decision: the exit code, what went wrong, and what may help."""

    def __init__(
        self,
        exit_code: ExitCode,
        messages: Iterable[str],
        *,
        reasons: Iterable[str] = (),
        hint: str | None = None,
        status: int | None = None,
        attempts: int = 0,
    ) -> None:
        self.exit_code = exit_code
        self.messages = tuple(messages)
        self.reasons = tuple(reasons)
        self.hint = hint
        self.status = status
        self.attempts = attempts
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class VerdictOptions:
    """The arguments of ``attestd verdict``, as given."""

    server: str
    token_env: str
    digest: str
    environment: str | None = None
    vsa_out: Path | None = None
    json_output: bool = False
    ca_bundle: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    key: Path | None = None
    """attestd's Ed25519 public key (PEM): the VSA must verify with it."""


@dataclass(frozen=True)
class VerdictRequest:
    """A checked run: which digest to ask about, where, with which token."""

    server: str
    digest: str
    environment: str | None
    token: str = field(repr=False)
    token_env: str
    verify: ssl.SSLContext | bool = field(repr=False)
    timeout: float
    retry: RetryPolicy
    vsa_out: Path | None = None
    key: Path | None = None
    public_key: PublicKey | None = field(default=None, repr=False)
    """The key read from ``key``; when set, only a VSA that verifies with it is trusted."""
    warnings: tuple[str, ...] = ()

    @property
    def body(self) -> dict[str, str]:
        """The JSON body of ``POST /v1/verdicts``."""
        body = {"digest": self.digest}
        if self.environment is not None:
            body["environment"] = self.environment
        return body


@dataclass(frozen=True)
class Verdict:
    """The server's answer, checked: the decision, why, and the signed summary."""

    decision: Decision
    digest: str
    environment: str
    level: int
    level_name: str
    reasons: tuple[str, ...]
    vsa: Mapping[str, Any] = field(repr=False)
    service: str | None = None
    required_level: int | None = None
    audit_index: int | None = None
    verified_at: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The whole answer as the server sent it, fields added later included."""


@dataclass(frozen=True)
class UnknownArtifact:
    """A 404 ``artifact-not-found``: attestd holds no evidence for the digest, so the gate denies.

    There is no VSA: the server signs summaries only of artifacts it knows.
    """

    digest: str
    environment: str
    """The environment asked about, or the server's default one."""
    problem: Problem
    decision: ClassVar[Decision] = Decision.DENY

    def as_json(self) -> dict[str, Any]:
        """What ``--json`` prints: a denial shaped like a verdict, with no VSA, and the problem."""
        return {
            "decision": self.decision.value,
            "digest": self.digest,
            "environment": self.environment,
            "reasons": list(self.problem.reasons),
            "vsa": None,
            "problem": self.problem.as_json(),
        }


Answer = Verdict | UnknownArtifact


# --- checking the arguments -------------------------------------------------------------


def prepare(options: VerdictOptions, environ: Mapping[str, str]) -> VerdictRequest:
    """The request ``options`` ask for, checked in full before anything is sent.

    ``VerdictError`` with exit 2 lists every argument problem; with exit 3, the
    token variable's problem when the arguments are fine.
    """
    problems: list[str] = []
    warnings: list[str] = []
    server = _collect(problems, lambda: check_server_url(options.server))
    if server is not None and sends_token_in_clear(server):
        warnings.append(PLAIN_HTTP_WARNING)
    digest = _collect(problems, lambda: check_digest(options.digest))
    if options.environment is not None and not _ENVIRONMENT.fullmatch(options.environment):
        problems.append(
            f"--environment {_quoted(options.environment)} is not an environment name (letters, "
            "digits, '.', '_' and '-', at most 63, starting with a letter or digit)"
        )
    if not options.timeout > 0:
        problems.append(f"--timeout must be more than 0 seconds, not {options.timeout}")
    verify: ssl.SSLContext | bool = True
    if (ca_bundle := options.ca_bundle) is not None:
        verify = _collect(problems, lambda: tls_context(ca_bundle)) or True
    if options.vsa_out is not None:
        problems.extend(_vsa_out_problems(options.vsa_out))
    public_key = None
    if (key := options.key) is not None:
        public_key = _collect(problems, lambda: load_public_key(key))
    token_problems: list[str] = []
    token = _collect(token_problems, lambda: read_token(options.token_env, environ))
    if problems:
        raise VerdictError(ExitCode.USAGE, [*problems, *token_problems])
    if token_problems or token is None or server is None or digest is None:
        raise VerdictError(ExitCode.CONFIGURATION, token_problems)
    return VerdictRequest(
        server=server,
        digest=digest,
        environment=options.environment,
        token=token,
        token_env=options.token_env,
        verify=verify,
        timeout=options.timeout,
        retry=options.retry,
        vsa_out=options.vsa_out,
        key=options.key,
        public_key=public_key,
        warnings=tuple(warnings),
    )


def check_digest(text: str) -> str:
    """``--digest`` in its stored spelling: ``sha256:<64 hex>`` or ``sha512:<128 hex>``."""
    if not is_artifact_digest(text):
        raise UsageError(
            [f"--digest {_quoted(text)} is not sha256:<64 hex digits> or sha512:<128 hex digits>"]
        )
    return text.lower()


def load_public_key(path: Path) -> PublicKey:
    """The Ed25519 public key in the PEM file ``path`` (``public_key_pem`` of ``GET /v1/keys``)."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise UsageError([f"--key {path}: cannot read it: {error.strerror}"]) from None
    try:
        return PublicKey.from_pem(pem)
    except (SigningKeyError, UnsupportedAlgorithm) as error:
        raise UsageError(
            [
                f"--key {path}: {printable(str(error))}; give attestd's Ed25519 public key in "
                "PEM, the public_key_pem of GET /v1/keys"
            ]
        ) from None


def _collect(problems: list[str], check: Callable[[], T]) -> T | None:
    """``check()``, or None with its ``UsageError`` messages added to ``problems``."""
    try:
        return check()
    except UsageError as error:
        problems.extend(error.messages)
        return None


def _vsa_out_problems(path: Path) -> list[str]:
    if path.is_dir():
        return [f"--vsa-out {path}: is a directory; give a file name"]
    if not path.parent.is_dir():
        return [f"--vsa-out {path}: the directory {path.parent} does not exist"]
    return []


# --- asking -----------------------------------------------------------------------------


def ask(
    request: VerdictRequest,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """The server's verdict on ``request.digest``; transient failures are retried.

    ``UnknownArtifact`` when attestd holds no evidence for the digest. With
    ``request.public_key``, a verdict is returned only once its VSA verifies.
    ``VerdictError`` when no decision could be had: exit 3 for what the caller
    must fix (token, URL, certificate, environment), exit 4 for the server, the
    network or a summary that does not verify.
    """
    with httpx.Client(
        timeout=request.timeout,
        verify=request.verify,
        transport=transport,
        follow_redirects=False,
    ) as http:
        attempt = 1
        while True:
            response: httpx.Response | None = None
            try:
                response = http.post(
                    request.server + ENDPOINT,
                    json=request.body,
                    headers={
                        "Authorization": f"Bearer {request.token}",
                        "Accept": "application/json, application/problem+json",
                    },
                )
            except RETRY_ERRORS as error:
                if is_certificate_failure(error):
                    raise VerdictError(
                        ExitCode.CONFIGURATION,
                        [transport_failure(error, request.timeout)],
                        hint=TLS_HINT,
                        attempts=attempt,
                    ) from None
                failure = transport_failure(error, request.timeout)
            except httpx.TransportError as error:
                raise VerdictError(
                    ExitCode.SERVER, [transport_failure(error, request.timeout)], attempts=attempt
                ) from None
            else:
                if not _is_transient(response.status_code):
                    return _judge(response, request, attempt)
                failure = f"the server answered {status_line(response)}"
            if attempt > request.retry.retries:
                if attempt > 1:
                    failure += f" (after {attempt} attempts)"
                problem = Problem.from_response(response) if response is not None else None
                raise VerdictError(
                    ExitCode.SERVER,
                    [failure],
                    reasons=_problem_lines(problem),
                    status=response.status_code if response is not None else None,
                    attempts=attempt,
                )
            retry_after = response.headers.get("retry-after") if response is not None else None
            sleep(request.retry.wait(attempt, retry_after))
            attempt += 1


def _is_transient(status: int) -> bool:
    return status == 429 or 500 <= status < 600


def _judge(response: httpx.Response, request: VerdictRequest, attempt: int) -> Answer:
    """The answer in a final (not retried) response, or the ``VerdictError`` it amounts to."""
    status = response.status_code
    if status == 200:
        try:
            verdict = parse_verdict(
                _json_body(response), digest=request.digest, environment=request.environment
            )
        except MalformedVerdict as error:
            raise VerdictError(
                ExitCode.SERVER,
                [f"the server answered {status_line(response)} without a verdict: {error}"],
                status=status,
                attempts=attempt,
            ) from None
        if request.public_key is not None:
            _trust(verdict, request.public_key, request.key, attempt)
        return verdict
    if 300 <= status < 400:
        location = response.headers.get("location", "(no Location)")
        raise VerdictError(
            ExitCode.CONFIGURATION,
            [f"the server answered {status_line(response)} to {printable(location)}"],
            hint="give --server as the URL the server redirects to",
            status=status,
            attempts=attempt,
        )
    if 400 <= status < 500:
        problem = Problem.from_response(response)
        if status == 404 and problem.slug == UNKNOWN_ARTIFACT_SLUG:
            return UnknownArtifact(
                digest=request.digest,
                environment=request.environment or DEFAULT_ENVIRONMENT,
                problem=problem,
            )
        raise VerdictError(
            ExitCode.CONFIGURATION,
            [f"{status} {_problem_head(problem)}"],
            reasons=_problem_lines(problem),
            hint=_configuration_hint(status, problem, request),
            status=status,
            attempts=attempt,
        )
    raise VerdictError(
        ExitCode.SERVER,
        [f"unexpected answer {status_line(response)}"],
        status=status,
        attempts=attempt,
    )


def _json_body(response: httpx.Response) -> object:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise MalformedVerdict(f"the answer is {printable(media_type or 'untyped')}, not JSON")
    try:
        document: object = json.loads(response.content)
    except (ValueError, RecursionError):
        raise MalformedVerdict("the answer is not valid JSON") from None
    return document


def parse_verdict(document: object, *, digest: str, environment: str | None) -> Verdict:
    """The verdict in a 200 answer about ``digest`` (and ``environment`` when one was asked).

    ``MalformedVerdict`` says what is missing or wrong; a verdict on another digest or
    environment is wrong too, whatever it decides.
    """
    if not isinstance(document, dict):
        raise MalformedVerdict("the answer is not a JSON object")
    decision = document.get("decision")
    if decision not in {item.value for item in Decision}:
        raise MalformedVerdict(f"decision is {_shown(decision)}, not allow or deny")
    answered_digest = _field(document, "digest", str)
    if answered_digest.lower() != digest:
        raise MalformedVerdict(f"it is about the digest {_shown(answered_digest)}, not {digest}")
    answered_environment = _field(document, "environment", str)
    if environment is not None and answered_environment != environment:
        raise MalformedVerdict(
            f"it is about the environment {_shown(answered_environment)}, not {environment}"
        )
    reasons = document.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(item, str) for item in reasons):
        raise MalformedVerdict("reasons is not a list of strings")
    vsa = document.get("vsa")
    if not isinstance(vsa, dict):
        raise MalformedVerdict("vsa, the signed verification summary, is missing or not an object")
    return Verdict(
        decision=Decision(decision),
        digest=answered_digest.lower(),
        environment=answered_environment,
        level=_field(document, "level", int),
        level_name=_field(document, "level_name", str),
        reasons=tuple(reasons),
        vsa=vsa,
        service=_optional_field(document, "service", str),
        required_level=_optional_field(document, "required_level", int),
        audit_index=_optional_field(document, "audit_index", int),
        verified_at=_optional_field(document, "verified_at", str),
        document=document,
    )


def _field(document: Mapping[str, Any], name: str, kind: type[T]) -> T:
    value = document.get(name)
    # bool is an int to Python, never a level to the server.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedVerdict(f"{name} is {_shown(value)}, not a {kind.__name__}")
    return value


def _optional_field(document: Mapping[str, Any], name: str, kind: type[T]) -> T | None:
    return None if document.get(name) is None else _field(document, name, kind)


def check_summary(verdict: Verdict, public_key: PublicKey) -> dict[str, Any]:
    """The statement of ``verdict.vsa`` once it verifies with ``public_key`` and agrees.

    ``VsaInvalid`` when the envelope is not a VSA signed by that key;
    ``MalformedVerdict`` when none of its subjects is the verdict's digest, or
    its ``verificationResult`` is not PASSED for allow and FAILED for deny.
    """
    statement = open_summary(verdict.vsa, public_key)
    algorithm, _, value = verdict.digest.partition(":")
    subjects = statement.get("subject")
    named = [
        subject.get("digest")
        for subject in (subjects if isinstance(subjects, list) else [])
        if isinstance(subject, dict)
    ]
    if not any(isinstance(digest, dict) and digest.get(algorithm) == value for digest in named):
        shown = ", ".join(_shown(digest) for digest in named) or "no digest"
        raise MalformedVerdict(f"its subject is {shown}, not {verdict.digest}")
    predicate = statement.get("predicate")
    result = predicate.get("verificationResult") if isinstance(predicate, dict) else None
    expected = "PASSED" if verdict.decision is Decision.ALLOW else "FAILED"
    if result != expected:
        raise MalformedVerdict(
            f"its verificationResult is {_shown(result)}, not {expected} as a decision of "
            f"{verdict.decision.value} needs"
        )
    return statement


def _trust(verdict: Verdict, public_key: PublicKey, key: Path | None, attempt: int) -> None:
    """Nothing when ``verdict``'s VSA verifies with ``public_key`` (from ``key``) and agrees.

    Else ``VerdictError``: a gate must not act on an answer whose signature
    fails, so that is a server failure (exit 4), not a decision.
    """
    named = key if key is not None else "the given key"
    try:
        check_summary(verdict, public_key)
    except VsaInvalid as error:
        raise VerdictError(
            ExitCode.SERVER,
            [
                f"the verification summary does not verify with {named}: "
                f"{printable(str(error))}; the answer is not trusted"
            ],
            hint="is --key the public key GET /v1/keys of this server publishes?",
            status=200,
            attempts=attempt,
        ) from None
    except MalformedVerdict as error:
        raise VerdictError(
            ExitCode.SERVER,
            [
                f"the verification summary signed with {named} does not agree with the "
                f"answer: {error}; the answer is not trusted"
            ],
            status=200,
            attempts=attempt,
        ) from None


def _configuration_hint(status: int, problem: Problem, request: VerdictRequest) -> str:
    if status == 401:
        return f"the token in {request.token_env} is unknown, revoked or malformed"
    if status == 403:
        return (
            f"the token in {request.token_env} needs the pipeline or auditor role, with access "
            "to the service of this digest"
        )
    if status == 404:
        # An unknown digest is a denial (artifact-not-found); this 404 is about the URL.
        return "is --server the attestd base URL? This 404 is not attestd's answer about a digest"
    if status == 422 and problem.slug == UNKNOWN_ENVIRONMENT_SLUG:
        return "give --environment as one of the environments the service policy names"
    if status == 422:
        return "the server refused the request as given; see the reasons"
    return "is --server the attestd base URL?"


def _problem_head(problem: Problem) -> str:
    head = printable(problem.title)
    if problem.detail and problem.detail != problem.title:
        head += f": {printable(problem.detail)}"
    return head


def _problem_lines(problem: Problem | None) -> tuple[str, ...]:
    return () if problem is None else problem.reasons


# --- reporting --------------------------------------------------------------------------


def describe(answer: Answer) -> list[str]:
    """Lines for a CI log: the decision first, then each reason, indented.

    ``allow sha256:… production level 4 (Improve)``, or for a denial the same
    with ``: reason; reason`` so that the first line alone says why. A digest
    attestd knows nothing of is ``deny sha256:… production: unknown to attestd
    (no evidence recorded)``.
    """
    if isinstance(answer, UnknownArtifact):
        head = (
            f"{answer.decision.value} {answer.digest} {printable(answer.environment)}: "
            "unknown to attestd (no evidence recorded)"
        )
        return [head, *(f"  - {printable(reason)}" for reason in answer.problem.reasons)]
    head = (
        f"{answer.decision.value} {answer.digest} {printable(answer.environment)} "
        f"level {answer.level} ({printable(answer.level_name)})"
    )
    if answer.decision is Decision.DENY:
        said = "; ".join(printable(reason) for reason in answer.reasons)
        head += f": {said or 'the server gave no reason'}"
    return [head, *(f"  - {printable(reason)}" for reason in answer.reasons)]


def describe_failure(error: VerdictError) -> list[str]:
    """Lines for the error stream: what failed, the server's reasons, and a hint."""
    lines = [f"attestd verdict: {message}" for message in error.messages]
    lines.extend(f"  - {printable(reason)}" for reason in error.reasons)
    if error.hint is not None:
        lines.append(f"  hint: {error.hint}")
    return lines


def write_vsa(path: Path, envelope: Mapping[str, Any]) -> None:
    """Write ``envelope`` as JSON to ``path`` atomically: a reader sees all of it or nothing.

    The text goes to a temporary file in the same directory, which is then
    renamed over ``path``. OSError when it cannot be written.
    """
    text = json.dumps(envelope, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        temporary.chmod(_VSA_FILE_MODE)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def _quoted(text: str) -> str:
    return json.dumps(printable(text[:200]))


def _shown(value: object) -> str:
    return _quoted(value) if isinstance(value, str) else printable(json.dumps(value)[:200])


# --- running ----------------------------------------------------------------------------


def run(
    options: VerdictOptions,
    *,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """``attestd verdict``: check, ask, report, keep the VSA; the exit code."""
    try:
        request = prepare(options, environ)
    except VerdictError as error:
        _write(err, [*describe_failure(error), "attestd verdict: nothing was sent"])
        return error.exit_code

    def write(stream: TextIO, lines: Iterable[str]) -> None:
        # A server that repeats the Authorization header must not put the token in the log.
        _write(stream, (line.replace(request.token, _REDACTED) for line in lines))

    write(err, (f"attestd verdict: {warning}" for warning in request.warnings))
    try:
        answer = ask(request, transport=transport, sleep=sleep)
    except VerdictError as error:
        lines = describe_failure(error)
        if request.vsa_out is not None:
            lines.append(f"attestd verdict: nothing was written to {request.vsa_out}")
        write(err, lines)
        return error.exit_code
    if options.json_output:
        document = answer.as_json() if isinstance(answer, UnknownArtifact) else answer.document
        write(out, [json.dumps(document, sort_keys=True)])
    else:
        write(out, describe(answer))
    if isinstance(answer, UnknownArtifact):
        if request.vsa_out is not None:
            write(
                err,
                [
                    f"attestd verdict: attestd signs no VSA for a digest it holds no evidence "
                    f"for; nothing was written to {request.vsa_out}"
                ],
            )
        return answer.decision.exit_code
    verdict = answer
    if request.key is not None:
        write(err, [f"attestd verdict: the VSA verifies with {request.key}"])
    if request.vsa_out is not None:
        try:
            write_vsa(request.vsa_out, verdict.vsa)
        except OSError as error:
            write(err, [f"attestd verdict: cannot write {request.vsa_out}: {error.strerror}"])
            return ExitCode.CONFIGURATION
        write(err, [f"attestd verdict: wrote the VSA to {request.vsa_out}"])
    return verdict.decision.exit_code


def _write(stream: TextIO, lines: Iterable[str]) -> None:
    stream.writelines(line + "\n" for line in lines)
    stream.flush()
