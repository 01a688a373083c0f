"""``verdict``: the deploy gate's question, may this digest ship?, asked of an attestd server.

It asks (``POST /v1/verdicts``), prints one line a CI log can act on with each
reason once on the lines after it, and can keep the signed verification
summary (the VSA, a DSSE envelope) as evidence, for a denial as much as for an
approval.

It trusts an answer only once its summary verifies with attestd's summary key
and says what the answer says: the digest, the decision, the level, the
environment asked about (the server's default, production, when none was),
and a ``validUntil`` still to come. The key is given as a PEM file
(``--key``), or fetched from ``GET /v1/keys`` (``--key-url``) and accepted
only when its id is ``--key-id`` and it is published for verification
summaries. Without either, the run is a usage error unless
``--no-verify-summary`` says to act on the answer unchecked.

Every run ends in one exit code (``errors.ExitCode``)::

    0  allow          the server allows the digest (for the environment asked about)
    1  deny           the server denies it. Also a digest attestd holds no evidence for
                      (404 artifact-not-found): a gate denies what it knows nothing of;
                      there is no VSA then
    2  usage          UsageError: an argument or --key is wrong, or no way to verify the
                      summary was given; nothing was sent
    3  configuration  a ConfigurationError: the token variable (nothing sent), 401, 403,
                      any other 404, 422 (an environment the policy does not name),
                      another 4xx, a redirect, an untrusted certificate; --key-url that
                      does not publish the --key-id key for summaries; or the VSA could
                      not be written
    4  server         a ServerError: 5xx, 429, no connection, a timeout, a 200 that is
                      not a verdict on this digest, after the retries; or a VSA that
                      does not verify with the key, disagrees with the answer or expired

With ``--json`` standard output holds exactly one JSON object, whatever the
outcome: the server's answer as it came for allow and deny; for a digest
attestd does not know, ``{"decision": "deny", "digest", "environment",
"reasons", "vsa": null, "problem"}``; when the run failed, ``{"decision": null,
"error": {...}}`` (``ClientError.as_json``); and when the answer came but the
VSA could not be written, the answer with that ``"error"`` added.

Asking for a verdict changes nothing on the server but its audit log, so every
transient failure (connection, timeout, 429, 5xx) is retried.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TextIO, TypeVar

import httpx

from attestd_client.arguments import (
    PLAIN_HTTP_WARNING,
    TOKEN_VARIABLE,
    ArgumentProblems,
    check_digest,
    check_key_id,
    check_server_url,
    read_token,
    resolve_server,
    sends_token_in_clear,
    tls_context,
)
from attestd_client.errors import (
    AccessDenied,
    ClientError,
    ExitCode,
    MalformedAnswer,
    NotFound,
    OutputNotWritten,
    Redirected,
    RequestRefused,
    ServerFailure,
    Unreachable,
    UntrustedCertificate,
    UntrustedKey,
    UntrustedSummary,
    UsageError,
)
from attestd_client.keys import InvalidPublicKey, PublicKey, published_key
from attestd_client.safe_text import printable, quoted, reason_lines, shown
from attestd_client.transport import (
    ACCEPT,
    DEFAULT_TIMEOUT,
    RETRY_ERRORS,
    TLS_HINT,
    Problem,
    RetryPolicy,
    http_client,
    is_certificate_failure,
    status_line,
    transport_failure,
)
from attestd_client.vsa import GATE_FIELD, VerifyingKey, VsaInvalid, open_summary

__all__ = [
    "Answer",
    "Decision",
    "ExpiredSummary",
    "MalformedVerdict",
    "UnknownArtifact",
    "Verdict",
    "VerdictOptions",
    "VerdictRequest",
    "ask",
    "check_summary",
    "describe",
    "describe_failure",
    "failure_json",
    "load_public_key",
    "parse_verdict",
    "prepare",
    "run",
    "write_vsa",
]

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
NO_VERIFY_WARNING = (
    "warning: --no-verify-summary: the answer is acted on without checking its signed "
    "summary; anyone who can answer in the server's name decides this gate"
)
_VERIFY_CHOICE = (
    "give --key FILE (attestd's public key for verification summaries, PEM), or --key-url "
    "URL with --key-id ID (the GET /v1/keys of the server and the id of its summary key), "
    "or --no-verify-summary to act on the answer without checking it"
)

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

    Also a verdict whose signed summary says something else. The run turns it
    into ``MalformedAnswer`` or ``UntrustedSummary``.
    """


class ExpiredSummary(ValueError):
    """A signed summary whose ``validUntil`` has passed; the run makes it ``UntrustedSummary``."""


@dataclass(frozen=True, kw_only=True)
class VerdictOptions:
    """The arguments of ``verdict``, as given; None where the environment may say."""

    server: str | None = None
    """The server's base URL; None takes ``ATTESTD_SERVER``."""
    token_env: str | None = None
    """The variable that holds the token; None means ``ATTESTD_TOKEN``."""
    digest: str
    environment: str | None = None
    vsa_out: Path | None = None
    json_output: bool = False
    ca_bundle: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    key: Path | None = None
    """attestd's Ed25519 public key for summaries (PEM): the VSA must verify with it."""
    key_url: str | None = None
    """Where ``GET /v1/keys`` answers; the key of id ``key_id`` there must sign the VSA."""
    key_id: str | None = None
    verify_summary: bool = True
    """False (``--no-verify-summary``): act on the answer without checking its VSA."""


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
    public_key: VerifyingKey | None = field(default=None, repr=False)
    """The key read from ``key``; when set, only a VSA that verifies with it is trusted."""
    key_url: str | None = None
    key_id: str | None = None
    """With ``key_url``: the key fetched from there must have this id, or nothing is asked."""
    verify_summary: bool = True
    """False: act on the answer unchecked; else ``public_key``, or ``key_url`` with ``key_id``."""
    warnings: tuple[str, ...] = ()

    @property
    def expected_environment(self) -> str:
        """The environment the summary must name: the one asked, else the server's default."""
        return self.environment or DEFAULT_ENVIRONMENT

    @property
    def key_source(self) -> str:
        """The key the summary is checked with, as messages name it."""
        if self.key is not None:
            return str(self.key)
        return f"the key {self.key_id} of {self.key_url}"

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

    def as_json(self) -> dict[str, Any]:
        """What ``--json`` prints: the server's answer as it came."""
        return dict(self.document)


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

    ``UsageError`` lists every argument problem; ``TokenMissing`` when only the
    token's variable is wrong.
    """
    problems = ArgumentProblems()
    warnings: list[str] = []
    server = problems.check(lambda: resolve_server(options.server, environ))
    if server is not None and sends_token_in_clear(server):
        warnings.append(PLAIN_HTTP_WARNING)
    digest = problems.check(lambda: check_digest(options.digest, option="--digest"))
    if options.environment is not None and not _ENVIRONMENT.fullmatch(options.environment):
        problems.add(
            f"--environment {quoted(options.environment)} is not an environment name (letters, "
            "digits, '.', '_' and '-', at most 63, starting with a letter or digit)"
        )
    if not options.timeout > 0:
        problems.add(f"--timeout must be more than 0 seconds, not {options.timeout}")
    verify: ssl.SSLContext | bool = True
    if (ca_bundle := options.ca_bundle) is not None:
        verify = problems.check(lambda: tls_context(ca_bundle)) or True
    if options.vsa_out is not None:
        for problem in _vsa_out_problems(options.vsa_out):
            problems.add(problem)
    public_key = None
    if (key := options.key) is not None:
        public_key = problems.check(lambda: load_public_key(key))
    key_url = key_id = None
    if (given_url := options.key_url) is not None:
        key_url = problems.check(lambda: check_server_url(given_url, source="--key-url"))
    if (given_id := options.key_id) is not None:
        key_id = problems.check(lambda: check_key_id(given_id))
    for problem in _verify_choice_problems(options):
        problems.add(problem)
    if not options.verify_summary:
        warnings.append(NO_VERIFY_WARNING)
    token = problems.check(lambda: read_token(options.token_env, environ))
    if problems or token is None or server is None or digest is None:
        raise problems.error()
    return VerdictRequest(
        server=server,
        digest=digest,
        environment=options.environment,
        token=token,
        token_env=options.token_env or TOKEN_VARIABLE,
        verify=verify,
        timeout=options.timeout,
        retry=options.retry,
        vsa_out=options.vsa_out,
        key=options.key,
        public_key=public_key,
        key_url=key_url,
        key_id=key_id,
        verify_summary=options.verify_summary,
        warnings=tuple(warnings),
    )


def _verify_choice_problems(options: VerdictOptions) -> list[str]:
    """What is wrong with how the summary is to be verified: one way exactly, or none at all."""
    by_url = options.key_url is not None or options.key_id is not None
    if not options.verify_summary:
        if options.key is not None or by_url:
            return ["--no-verify-summary cannot be given with --key, --key-url or --key-id"]
        return []
    if options.key is not None and by_url:
        return ["give --key FILE or --key-url URL with --key-id ID, not both"]
    if by_url and (options.key_url is None or options.key_id is None):
        return ["--key-url and --key-id go together: the key fetched must have the id expected"]
    if options.key is None and not by_url:
        return [f"no way to verify the signed summary: {_VERIFY_CHOICE}"]
    return []


def load_public_key(path: Path) -> PublicKey:
    """The Ed25519 public key in the PEM file ``path`` (``public_key_pem`` of ``GET /v1/keys``)."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise UsageError(f"--key {path}: cannot read it: {error.strerror}") from None
    try:
        return PublicKey.from_pem(pem)
    except InvalidPublicKey as error:
        raise UsageError(
            f"--key {path}: {printable(str(error))}; give attestd's Ed25519 public key in "
            "PEM, the public_key_pem of GET /v1/keys"
        ) from None


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
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Answer:
    """The server's verdict on ``request.digest``; transient failures are retried.

    ``UnknownArtifact`` when attestd holds no evidence for the digest. Unless
    the request says not to verify, the summary key is had first (read from
    ``--key``, or fetched: ``_fetch_key``), and a verdict is returned only once
    its VSA verifies with it, agrees and is valid at ``clock()``. A
    ``ClientError`` when no decision could be had: a ``ConfigurationError`` for
    what the caller must fix (token, URL, certificate, environment, key), a
    ``ServerError`` for the server, the network or a summary not to be trusted.
    """
    public_key, key_url, key_id = request.public_key, request.key_url, request.key_id
    if request.verify_summary and public_key is None and (key_url is None or key_id is None):
        raise UsageError(f"no way to verify the signed summary: {_VERIFY_CHOICE}")
    with http_client(timeout=request.timeout, verify=request.verify, transport=transport) as http:
        if public_key is None and key_url is not None and key_id is not None:
            public_key = _fetch_key(http, request, key_url, key_id, sleep)
        response, attempt = _exchange(
            request,
            lambda: http.post(
                request.server + ENDPOINT,
                json=request.body,
                headers={"Authorization": f"Bearer {request.token}", "Accept": ACCEPT},
            ),
            sleep,
        )
        answer = _judge(response, request, attempt)
        if isinstance(answer, Verdict) and public_key is not None:
            _trust(answer, public_key, request, clock(), attempt)
        return answer


def _fetch_key(
    http: httpx.Client,
    request: VerdictRequest,
    url: str,
    key_id: str,
    sleep: Callable[[float], None],
) -> PublicKey:
    """The summary key of id ``key_id`` that ``GET url`` (attestd's ``/v1/keys``) publishes.

    Fetched without the token (the URL may be another host), with the TLS
    settings and retries of the run; ``UntrustedKey`` unless the answer lists a
    key whose id, recomputed from its PEM, is ``key_id`` and whose purposes
    include verification summaries.
    """
    response, attempt = _exchange(
        request, lambda: http.get(url, headers={"Accept": "application/json"}), sleep
    )
    hint = "give --key-url as GET /v1/keys of the attestd server and --key-id as its summary key"
    if response.status_code != 200:
        raise UntrustedKey(
            f"--key-url {url} answered {status_line(response)}, not the keys of GET /v1/keys",
            hint=hint + " (redirects are not followed)",
            status=response.status_code,
            attempts=attempt,
        )
    try:
        return published_key(_json_body(response), key_id)
    except (InvalidPublicKey, MalformedVerdict) as error:
        raise UntrustedKey(
            f"--key-url {url}: {printable(str(error))}; nothing was asked",
            hint=hint,
            status=200,
            attempts=attempt,
        ) from None


def _exchange(
    request: VerdictRequest, send: Callable[[], httpx.Response], sleep: Callable[[float], None]
) -> tuple[httpx.Response, int]:
    """The first answer to ``send()`` that is no transient failure, and its attempt number.

    Connection failures, timeouts, 429 and 5xx are retried as ``request.retry``
    says; once the retries are spent they end the run (``Unreachable``,
    ``ServerFailure``), as an untrusted certificate does at once.
    """
    attempt = 1
    while True:
        response: httpx.Response | None = None
        try:
            response = send()
        except RETRY_ERRORS as error:
            if is_certificate_failure(error):
                raise UntrustedCertificate(
                    transport_failure(error, request.timeout), hint=TLS_HINT, attempts=attempt
                ) from None
            failure = transport_failure(error, request.timeout)
        except httpx.TransportError as error:
            raise Unreachable(transport_failure(error, request.timeout), attempts=attempt) from None
        else:
            if not _is_transient(response.status_code):
                return response, attempt
            failure = f"the server answered {status_line(response)}"
        if attempt > request.retry.retries:
            if attempt > 1:
                failure += f" (after {attempt} attempts)"
            if response is None:
                raise Unreachable(failure, attempts=attempt)
            raise ServerFailure(
                failure,
                problem=Problem.from_response(response),
                status=response.status_code,
                attempts=attempt,
            )
        retry_after = response.headers.get("retry-after") if response is not None else None
        sleep(request.retry.wait(attempt, retry_after))
        attempt += 1


def _is_transient(status: int) -> bool:
    return status == 429 or 500 <= status < 600


def _judge(response: httpx.Response, request: VerdictRequest, attempt: int) -> Answer:
    """The answer in a final (not retried) response, or the ``ClientError`` it amounts to."""
    status = response.status_code
    if status == 200:
        try:
            verdict = parse_verdict(
                _json_body(response), digest=request.digest, environment=request.environment
            )
        except MalformedVerdict as error:
            raise MalformedAnswer(
                f"the server answered {status_line(response)} without a verdict: {error}",
                status=status,
                attempts=attempt,
            ) from None
        return verdict
    if 300 <= status < 400:
        location = response.headers.get("location", "(no Location)")
        raise Redirected(
            f"the server answered {status_line(response)} to {printable(location)}",
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
        refused = {401: AccessDenied, 403: AccessDenied, 404: NotFound}.get(status, RequestRefused)
        raise refused(
            f"{status} {problem.head}",
            problem=problem,
            hint=_configuration_hint(status, problem, request),
            status=status,
            attempts=attempt,
        )
    raise MalformedAnswer(
        f"unexpected answer {status_line(response)}", status=status, attempts=attempt
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
        raise MalformedVerdict(f"decision is {shown(decision)}, not allow or deny")
    answered_digest = _field(document, "digest", str)
    if answered_digest.lower() != digest:
        raise MalformedVerdict(f"it is about the digest {shown(answered_digest)}, not {digest}")
    answered_environment = _field(document, "environment", str)
    if environment is not None and answered_environment != environment:
        raise MalformedVerdict(
            f"it is about the environment {shown(answered_environment)}, not {environment}"
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
        raise MalformedVerdict(f"{name} is {shown(value)}, not a {kind.__name__}")
    return value


def _optional_field(document: Mapping[str, Any], name: str, kind: type[T]) -> T | None:
    return None if document.get(name) is None else _field(document, name, kind)


def check_summary(
    verdict: Verdict, public_key: VerifyingKey, *, environment: str, now: datetime
) -> dict[str, Any]:
    """The statement of ``verdict.vsa`` once it verifies with ``public_key``, agrees and holds.

    ``VsaInvalid`` when the envelope is not a VSA signed by that key;
    ``MalformedVerdict`` when none of its subjects is the verdict's digest, its
    ``verificationResult`` is not PASSED for allow and FAILED for deny, or its
    ``GATE_FIELD`` does not name ``environment`` and the verdict's level;
    ``ExpiredSummary`` when its ``validUntil`` is not after ``now``.
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
        said = ", ".join(shown(digest) for digest in named) or "no digest"
        raise MalformedVerdict(f"its subject is {said}, not {verdict.digest}")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        raise MalformedVerdict("its predicate is not an object")
    result = predicate.get("verificationResult")
    expected = "PASSED" if verdict.decision is Decision.ALLOW else "FAILED"
    if result != expected:
        raise MalformedVerdict(
            f"its verificationResult is {shown(result)}, not {expected} as a decision of "
            f"{verdict.decision.value} needs"
        )
    gate = predicate.get(GATE_FIELD)
    if not isinstance(gate, dict):
        raise MalformedVerdict(f"it names no environment: it has no {GATE_FIELD} object")
    if gate.get("environment") != environment:
        raise MalformedVerdict(
            f"it was issued for the environment {shown(gate.get('environment'))}, not {environment}"
        )
    level = gate.get("level")
    if not isinstance(level, int) or isinstance(level, bool) or level != verdict.level:
        raise MalformedVerdict(f"it says level {shown(level)}, not {verdict.level}")
    valid_until = _timestamp(gate.get("validUntil"))
    if now >= valid_until:
        raise ExpiredSummary(f"it expired at {_utc(valid_until)} (it is now {_utc(now)})")
    return statement


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp(value: object) -> datetime:
    """An RFC 3339 time with its offset; ``MalformedVerdict`` for anything else."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise MalformedVerdict(f"its validUntil is {shown(value)}, not a time with an offset")
    return moment


def _trust(
    verdict: Verdict, public_key: VerifyingKey, request: VerdictRequest, now: datetime, attempt: int
) -> None:
    """Nothing when ``verdict``'s VSA verifies with ``public_key``, agrees and holds at ``now``.

    Else ``UntrustedSummary``: a gate must not act on an answer whose signature
    fails, so that is a server failure (exit 4), not a decision.
    """
    named = request.key_source
    try:
        check_summary(verdict, public_key, environment=request.expected_environment, now=now)
    except VsaInvalid as error:
        raise UntrustedSummary(
            f"the verification summary does not verify with {named}: "
            f"{printable(str(error))}; the answer is not trusted",
            hint="is the key the one GET /v1/keys of this server publishes for "
            "verification-summaries?",
            status=200,
            attempts=attempt,
        ) from None
    except MalformedVerdict as error:
        raise UntrustedSummary(
            f"the verification summary signed with {named} does not agree with the "
            f"answer: {error}; the answer is not trusted",
            status=200,
            attempts=attempt,
        ) from None
    except ExpiredSummary as error:
        raise UntrustedSummary(
            f"the verification summary signed with {named} is no longer valid: {error}; "
            "the answer is not trusted",
            hint="a summary holds until its validUntil; is this an old answer replayed, or is "
            "a clock wrong?",
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


# --- reporting --------------------------------------------------------------------------


def describe(answer: Answer) -> list[str]:
    """Lines for a CI log: the decision first, then each reason once, indented.

    ``allow sha256:… production level 4 (Improve)``, or ``deny sha256:…
    production level 2 (Operate)`` followed by ``  - reason`` lines. A digest
    attestd knows nothing of is ``deny sha256:… production: unknown to attestd
    (no evidence recorded)``.
    """
    if isinstance(answer, UnknownArtifact):
        head = (
            f"{answer.decision.value} {answer.digest} {printable(answer.environment)}: "
            "unknown to attestd (no evidence recorded)"
        )
        return [head, *reason_lines(answer.problem.reasons)]
    head = (
        f"{answer.decision.value} {answer.digest} {printable(answer.environment)} "
        f"level {answer.level} ({printable(answer.level_name)})"
    )
    if answer.decision is Decision.DENY and not answer.reasons:
        head += ": the server gave no reason"
    return [head, *reason_lines(answer.reasons)]


def describe_failure(error: ClientError, *, name: str = "attestd verdict") -> list[str]:
    """Lines for the error stream: what failed, the server's reasons once, and a hint."""
    lines = [f"{name}: {message}" for message in error.messages]
    said = (error.problem.title, error.problem.detail) if error.problem is not None else ()
    lines.extend(reason_lines(error.reasons, already_said=said))
    if error.hint is not None:
        lines.append(f"  hint: {error.hint}")
    return lines


def failure_json(error: ClientError) -> dict[str, Any]:
    """What ``--json`` prints when no decision could be had."""
    return {"decision": None, "error": error.as_json()}


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


# --- running ----------------------------------------------------------------------------


def run(
    options: VerdictOptions,
    *,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    name: str = "attestd verdict",
) -> int:
    """Check, ask, report, keep the VSA; the exit code.

    ``name`` starts each line written to ``err``: the command as the job ran it.
    """
    try:
        request = prepare(options, environ)
    except ClientError as error:
        if options.json_output:
            _write(out, [json.dumps(failure_json(error), sort_keys=True)])
        _write(err, [*describe_failure(error, name=name), f"{name}: nothing was sent"])
        return error.exit_code

    def write(stream: TextIO, lines: Iterable[str]) -> None:
        # A server that repeats the Authorization header must not put the token in the log.
        _write(stream, (line.replace(request.token, _REDACTED) for line in lines))

    write(err, (f"{name}: {warning}" for warning in request.warnings))
    try:
        answer = ask(request, transport=transport, sleep=sleep, clock=clock)
    except ClientError as error:
        if options.json_output:
            write(out, [json.dumps(failure_json(error), sort_keys=True)])
        lines = describe_failure(error, name=name)
        if request.vsa_out is not None:
            lines.append(f"{name}: nothing was written to {request.vsa_out}")
        write(err, lines)
        return error.exit_code
    kept, notes = _keep_vsa(answer, request, name)
    if options.json_output:
        document = answer.as_json()
        if kept is not None:
            document["error"] = kept.as_json()
        write(out, [json.dumps(document, sort_keys=True)])
    else:
        write(out, describe(answer))
    write(err, notes)
    return kept.exit_code if kept is not None else answer.decision.exit_code


def _keep_vsa(
    answer: Answer, request: VerdictRequest, name: str
) -> tuple[ClientError | None, list[str]]:
    """Write the VSA where ``--vsa-out`` asks; the failure, if any, and the lines for ``err``."""
    if isinstance(answer, UnknownArtifact):
        if request.vsa_out is None:
            return None, []
        return None, [
            f"{name}: attestd signs no VSA for a digest it holds no evidence for; nothing "
            f"was written to {request.vsa_out}"
        ]
    notes = (
        [f"{name}: the VSA verifies with {request.key_source}"] if request.verify_summary else []
    )
    if request.vsa_out is None:
        return None, notes
    try:
        write_vsa(request.vsa_out, answer.vsa)
    except OSError as error:
        failure = OutputNotWritten(f"cannot write {request.vsa_out}: {error.strerror}")
        return failure, [*notes, *describe_failure(failure, name=name)]
    return None, [*notes, f"{name}: wrote the VSA to {request.vsa_out}"]


def _write(stream: TextIO, lines: Iterable[str]) -> None:
    stream.writelines(line + "\n" for line in lines)
    stream.flush()
