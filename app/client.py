"""The pipeline client behind ``attestd submit``: a release's SBOMs and Sigstore bundles sent
to an attestd server, with one line a CI log can act on per file.

It imports nothing of the server (no FastAPI, SQLAlchemy or sigstore), so a
release job starts it quickly, and all HTTP goes through an ``httpx.Client``
whose transport tests replace.

Every run ends in one exit code, the worst outcome of its files::

    0  ACCEPTED       every file stored: 201 created, or 200 already stored
    1  REFUSED        the server refused the evidence: 400, 409, 413, 415, 422
    2  USAGE          arguments, files or the token variable are wrong; nothing was sent
    3  CONFIGURATION  401, 403, 404, a redirect or another 4xx: token, service or --server
    4  SERVER         5xx, no connection, a timeout or an answer that is not attestd's
                      JSON, after the retries

``prepare`` checks everything before the first request and raises
``UsageError`` with every problem it found. ``Submitter`` sends one file,
retrying what a retry can mend (connection failures, timeouts, 429, 502, 503,
504: a submission is idempotent, the same bytes get the same record), and
returns an ``Outcome``. ``run`` does both and writes the results.

The argument checks, token reading, TLS set-up, problem parsing, retry policy
and the making of safe log lines (``printable``) are public: ``attestd verdict``
(``app.verdict_client``) uses them too, so both clients behave alike.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import json
import os
import re
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO, TypeVar
from urllib.parse import urlsplit

import httpx

from app.digests import is_artifact_digest
from app.services.names import is_valid_service_name

CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
CYCLONEDX_XML = "application/vnd.cyclonedx+xml"
SPDX_JSON = "application/spdx+json"
GENERIC_JSON = "application/json"
# The bundle media types the server accepts as a Content-Type (app.attestations.bundles).
BUNDLE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    }
)

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0

# Answers that mean "the evidence itself was refused".
REFUSAL_STATUSES = frozenset({400, 409, 413, 415, 422})
# Answers that say the token or the service is wrong.
CONFIGURATION_STATUSES = frozenset({401, 403, 404})
# Answers a later attempt may not get.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Transport failures a later attempt may not meet.
RETRY_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

# RFC 6750 b64token: what a bearer token may contain.
_BEARER_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN_PREFIX = "atd_"  # noqa: S105 - a prefix, not a secret
_UTF8_BOM = b"\xef\xbb\xbf"
# Longest text taken from the server into one line of output.
_MAX_TEXT = 2000

TLS_HINT = "the server's certificate is not trusted; give its CA with --ca-bundle FILE"
PLAIN_HTTP_WARNING = (
    "warning: --server is plain http to a host that is not loopback; the token "
    "crosses the network unencrypted"
)

T = TypeVar("T")


class ExitCode(enum.IntEnum):
    """What a run of ``attestd submit`` tells the job that ran it; higher is worse."""

    ACCEPTED = 0
    REFUSED = 1
    USAGE = 2
    CONFIGURATION = 3
    SERVER = 4


class UsageError(Exception):
    """The run cannot start: each message names the argument or file and what is wrong."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(self.messages))


class Kind(enum.StrEnum):
    """What a file is sent as, and where."""

    SBOM = "sbom"
    BUNDLE = "bundle"

    @property
    def endpoint(self) -> str:
        return "/v1/sboms" if self is Kind.SBOM else "/v1/attestations"


class Verdict(enum.StrEnum):
    """What became of one file."""

    CREATED = "created"
    ALREADY_STORED = "already-stored"
    REFUSED = "refused"
    CONFIGURATION_ERROR = "configuration-error"
    SERVER_ERROR = "server-error"
    NOT_SENT = "not-sent"


@dataclass(frozen=True)
class Evidence:
    """One file, read and typed before anything is sent."""

    kind: Kind
    path: Path
    content: bytes = field(repr=False)
    content_type: str

    @property
    def sha256(self) -> str:
        return "sha256:" + hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before sending a file again."""

    retries: int = DEFAULT_RETRIES
    delay: float = DEFAULT_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, …).

        Doubles from ``delay``; a ``Retry-After`` in seconds is honoured up to ``max_delay``.
        """
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_delay)
        return min(self.delay * 2.0 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class SubmitOptions:
    """The arguments of ``attestd submit``, as given."""

    server: str
    token_env: str
    service: str
    artifact: str | None = None
    sboms: Sequence[Path] = ()
    bundles: Sequence[Path] = ()
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: Path | None = None
    json_lines: bool = False
    retry: RetryPolicy = RetryPolicy()


@dataclass(frozen=True)
class Plan:
    """A checked run: where to send what, with which token."""

    server: str
    service: str
    artifact: str | None
    evidence: tuple[Evidence, ...]
    token: str = field(repr=False)
    token_env: str
    verify: ssl.SSLContext | bool = field(repr=False)
    timeout: float
    retry: RetryPolicy
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem the server answered with (or what stood in for one)."""

    title: str
    detail: str
    slug: str | None = None
    reasons: tuple[str, ...] = ()

    @classmethod
    def from_response(cls, response: httpx.Response) -> Problem:
        document = _json_object(response)
        phrase = response.reason_phrase or f"HTTP {response.status_code}"
        if document is None:
            return cls(title=phrase, detail=_not_problem_detail(response))
        reasons = document.get("reasons")
        return cls(
            title=_text(document.get("title")) or phrase,
            detail=_text(document.get("detail")) or "",
            slug=_text(document.get("slug")) or None,
            reasons=tuple(_text(r) for r in reasons) if isinstance(reasons, list) else (),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "detail": self.detail,
            "slug": self.slug,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Outcome:
    """What became of one file: the verdict, the server's answer, and why."""

    evidence: Evidence
    verdict: Verdict
    exit_code: ExitCode
    status: int | None = None
    record: Mapping[str, Any] | None = None
    problem: Problem | None = None
    error: str | None = None
    hint: str | None = None
    attempts: int = 0
    stops_run: bool = False
    """Every later file would meet the same failure, so they are not sent."""


# --- checking the arguments -------------------------------------------------------------


def prepare(options: SubmitOptions, environ: Mapping[str, str]) -> Plan:
    """The run ``options`` ask for, checked in full; ``UsageError`` lists every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    server = _check(problems, lambda: check_server_url(options.server))
    if server is not None and sends_token_in_clear(server):
        warnings.append(PLAIN_HTTP_WARNING)
    token = _check(problems, lambda: read_token(options.token_env, environ))
    if not is_valid_service_name(options.service):
        problems.append(
            f"--service {_quoted(options.service)} is not a service name (lower-case letters, "
            "digits and inner hyphens, at most 63)"
        )
    artifact = None
    if (artifact_text := options.artifact) is not None:
        artifact = _check(problems, lambda: check_artifact(artifact_text))
    if not options.sboms and not options.bundles:
        problems.append("nothing to send: give at least one --sbom FILE or --bundle FILE")
    if not options.timeout > 0:
        problems.append(f"--timeout must be more than 0 seconds, not {options.timeout}")
    if options.retry.retries < 0:
        problems.append(f"--retries must be 0 or more, not {options.retry.retries}")
    if not options.retry.delay >= 0:
        problems.append(f"--retry-delay must be 0 or more seconds, not {options.retry.delay}")
    verify: ssl.SSLContext | bool = True
    if (ca_bundle := options.ca_bundle) is not None:
        verify = _check(problems, lambda: tls_context(ca_bundle)) or True
    loaders = [
        *(partial(load_sbom, path) for path in options.sboms),
        *(partial(load_bundle, path) for path in options.bundles),
    ]
    evidence = [_check(problems, load) for load in loaders]
    if problems or server is None or token is None:
        raise UsageError(problems)
    return Plan(
        server=server,
        service=options.service,
        artifact=artifact,
        evidence=tuple(item for item in evidence if item is not None),
        token=token,
        token_env=options.token_env,
        verify=verify,
        timeout=options.timeout,
        retry=options.retry,
        warnings=tuple(warnings),
    )


def _check(problems: list[str], check: Callable[[], T]) -> T | None:
    """``check()``, or None with its ``UsageError`` added to ``problems``."""
    try:
        return check()
    except UsageError as error:
        problems.extend(error.messages)
        return None


def check_server_url(url: str) -> str:
    """The base URL of the server without a trailing ``/``; only http(s), no credentials."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise UsageError([f"--server {_quoted(url)} is not an http:// or https:// URL with a host"])
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UsageError([f"--server {_quoted(url)} must not contain spaces or control characters"])
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        raise UsageError([f"--server {_quoted(url)} is not a valid URL"]) from None
    if parts.username is not None or parts.password is not None:
        # Said without the URL, which holds a secret.
        raise UsageError(["--server must not hold credentials: the token comes from --token-env"])
    if parts.query or parts.fragment:
        raise UsageError([f"--server {_quoted(url)} must not have a query or a fragment"])
    return url.rstrip("/")


def sends_token_in_clear(server: str) -> bool:
    """Whether a bearer token sent to ``server`` crosses a network unencrypted.

    Plain http to anything but loopback (``localhost``, 127.0.0.0/8, ``::1``).
    """
    parts = urlsplit(server)
    host = parts.hostname or ""
    if parts.scheme != "http" or host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def read_token(variable: str, environ: Mapping[str, str]) -> str:
    """The bearer token in the environment variable ``variable``; never echoed."""
    if variable.startswith(_TOKEN_PREFIX) or not _VARIABLE_NAME.fullmatch(variable):
        # Not repeated: a token given here by mistake must not reach the log.
        raise UsageError(
            [
                "--token-env takes the NAME of an environment variable that holds the token "
                "(e.g. ATTESTD_TOKEN), not the token itself"
            ]
        )
    value = environ.get(variable)
    if value is None:
        raise UsageError(
            [f"the environment variable {variable} is not set; it must hold the attestd token"]
        )
    token = value.strip()
    if not token:
        raise UsageError(
            [f"the environment variable {variable} is empty; it must hold the attestd token"]
        )
    if not _BEARER_TOKEN.fullmatch(token):
        raise UsageError(
            [
                f"the environment variable {variable} does not hold a bearer token: it has "
                "characters a token cannot have"
            ]
        )
    return token


def check_artifact(text: str) -> str:
    """``--artifact`` in its stored spelling: ``sha256:<64 hex>`` or ``sha512:<128 hex>``."""
    if not is_artifact_digest(text):
        raise UsageError(
            [f"--artifact {_quoted(text)} is not sha256:<64 hex digits> or sha512:<128 hex digits>"]
        )
    return text.lower()


def tls_context(ca_bundle: Path) -> ssl.SSLContext:
    """A verifying TLS context that trusts the certificates in ``ca_bundle`` (PEM)."""
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_bundle))
    except FileNotFoundError:
        raise UsageError([f"--ca-bundle {ca_bundle}: no such file"]) from None
    except OSError as error:
        # ssl.SSLError is an OSError; its strerror is None, its str says what failed.
        why = error.strerror or str(error)
        raise UsageError(
            [f"--ca-bundle {ca_bundle}: not a PEM certificate bundle ({why})"]
        ) from None


def load_sbom(path: Path) -> Evidence:
    """The SBOM in ``path`` with the media type its content shows."""
    content = _read(path, "--sbom")
    try:
        media_type = sbom_media_type(content)
    except ValueError as error:
        raise UsageError([f"--sbom {path}: cannot tell the SBOM format: {error}"]) from None
    return Evidence(Kind.SBOM, path, content, media_type)


def load_bundle(path: Path) -> Evidence:
    """The Sigstore bundle in ``path``, typed by its own ``mediaType``."""
    content = _read(path, "--bundle")
    return Evidence(Kind.BUNDLE, path, content, bundle_media_type(content))


def _read(path: Path, option: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise UsageError([f"{option} {path}: cannot read it: {error.strerror}"]) from None
    if not content.strip():
        raise UsageError([f"{option} {path}: the file is empty"])
    return content


def sbom_media_type(content: bytes) -> str:
    """The Content-Type for an SBOM: XML is CycloneDX XML; JSON says CycloneDX or SPDX.

    ValueError says why no type fits.
    """
    start = content.removeprefix(_UTF8_BOM).lstrip()
    if not start:
        raise ValueError("the file is empty")
    if start.startswith(b"<"):
        return CYCLONEDX_XML
    document = _parse_json(content)
    if document is None:
        raise ValueError("it is neither XML nor valid JSON")
    if isinstance(document, dict):
        if document.get("bomFormat") == "CycloneDX":
            return CYCLONEDX_JSON
        if "spdxVersion" in document:
            return SPDX_JSON
        raise ValueError('its JSON has neither "bomFormat": "CycloneDX" nor "spdxVersion"')
    raise ValueError("its JSON is not an object")


def bundle_media_type(content: bytes) -> str:
    """The bundle's own ``mediaType`` when the server accepts it as a Content-Type, else JSON."""
    document = _parse_json(content)
    media_type = document.get("mediaType") if isinstance(document, dict) else None
    return media_type if media_type in BUNDLE_MEDIA_TYPES else GENERIC_JSON


def _parse_json(content: bytes) -> object | None:
    try:
        parsed: object = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return parsed


# --- sending ----------------------------------------------------------------------------


class Submitter:
    """Sends files of one plan through ``http``, each with bounded retries."""

    def __init__(
        self,
        http: httpx.Client,
        plan: Plan,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._plan = plan
        self._sleep = sleep

    def submit(self, evidence: Evidence) -> Outcome:
        """Send ``evidence``; retry transient failures; judge the last answer."""
        retry = self._plan.retry
        attempt = 1
        while True:
            answer: httpx.Response | None = None
            try:
                answer = self._send(evidence)
            except RETRY_ERRORS as error:
                failure = transport_failure(error, self._plan.timeout)
                if is_certificate_failure(error):
                    return _configuration(evidence, None, attempt, error=failure, hint=TLS_HINT)
            except httpx.TransportError as error:
                failure = transport_failure(error, self._plan.timeout)
                return _server_failure(evidence, attempt, failure)
            else:
                if answer.status_code not in RETRY_STATUSES:
                    return _judge(evidence, answer, attempt, self._plan)
                failure = f"the server answered {status_line(answer)}"
            if attempt > retry.retries:
                return _server_failure(
                    evidence,
                    attempt,
                    _after_attempts(failure, attempt),
                    status=answer.status_code if answer is not None else None,
                    problem=Problem.from_response(answer) if answer is not None else None,
                )
            retry_after = answer.headers.get("retry-after") if answer is not None else None
            self._sleep(retry.wait(attempt, retry_after))
            attempt += 1

    def _send(self, evidence: Evidence) -> httpx.Response:
        params = {"service": self._plan.service}
        if self._plan.artifact is not None:
            params["artifact"] = self._plan.artifact
        return self._http.post(
            self._plan.server + evidence.kind.endpoint,
            params=params,
            content=evidence.content,
            headers={
                "Authorization": f"Bearer {self._plan.token}",
                "Content-Type": evidence.content_type,
                "Accept": "application/json, application/problem+json",
            },
        )


def _judge(evidence: Evidence, response: httpx.Response, attempt: int, plan: Plan) -> Outcome:
    """The outcome of a final (not retried) answer."""
    status = response.status_code
    if status in (200, 201):
        return _accepted(evidence, response, attempt)
    if 300 <= status < 400:
        location = response.headers.get("location", "(no Location)")
        return _configuration(
            evidence,
            status,
            attempt,
            error=f"the server redirected to {printable(location)}",
            hint="give --server as the URL the server redirects to",
        )
    problem = Problem.from_response(response)
    if status in REFUSAL_STATUSES:
        return Outcome(
            evidence, Verdict.REFUSED, ExitCode.REFUSED, status, problem=problem, attempts=attempt
        )
    if 400 <= status < 500:
        return _configuration(
            evidence, status, attempt, problem=problem, hint=_configuration_hint(status, plan)
        )
    if status >= 500:
        return _server_failure(
            evidence, attempt, None, status=status, problem=problem, stops_run=False
        )
    return _server_failure(
        evidence, attempt, f"unexpected answer {status_line(response)}", status=status
    )


def _accepted(evidence: Evidence, response: httpx.Response, attempt: int) -> Outcome:
    status = response.status_code
    record = _json_object(response)
    if record is None or "id" not in record:
        return _server_failure(
            evidence,
            attempt,
            f"the server answered {status_line(response)} without the JSON record of the "
            "stored file",
            status=status,
            stops_run=False,
        )
    if record.get("digest") != evidence.sha256:
        return _server_failure(
            evidence,
            attempt,
            f"the server recorded digest {printable(_text(record.get('digest')))} for a file "
            f"whose digest is {evidence.sha256}",
            status=status,
            record=record,
            stops_run=False,
        )
    verdict = Verdict.CREATED if status == 201 else Verdict.ALREADY_STORED
    return Outcome(evidence, verdict, ExitCode.ACCEPTED, status, record=record, attempts=attempt)


def _configuration(
    evidence: Evidence,
    status: int | None,
    attempt: int,
    *,
    problem: Problem | None = None,
    error: str | None = None,
    hint: str | None = None,
) -> Outcome:
    return Outcome(
        evidence,
        Verdict.CONFIGURATION_ERROR,
        ExitCode.CONFIGURATION,
        status,
        problem=problem,
        error=error,
        hint=hint,
        attempts=attempt,
        stops_run=True,
    )


def _server_failure(
    evidence: Evidence,
    attempt: int,
    error: str | None,
    *,
    status: int | None = None,
    problem: Problem | None = None,
    record: Mapping[str, Any] | None = None,
    stops_run: bool = True,
) -> Outcome:
    return Outcome(
        evidence,
        Verdict.SERVER_ERROR,
        ExitCode.SERVER,
        status,
        record=record,
        problem=problem,
        error=error,
        attempts=attempt,
        stops_run=stops_run,
    )


def _configuration_hint(status: int, plan: Plan) -> str | None:
    if status == 401:
        return f"the token in {plan.token_env} is unknown, revoked or malformed"
    if status == 403:
        return f"the token in {plan.token_env} needs the pipeline role and access to {plan.service}"
    if status == 404:
        return f"is the service {plan.service} registered, and is --server the attestd base URL?"
    return "is --server the attestd base URL?"


def transport_failure(error: httpx.TransportError, timeout: float) -> str:
    """What a failed request met, in one line: a timeout, a refused connection, or else."""
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout:g} s ({type(error).__name__})"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect: {printable(str(error)) or type(error).__name__}"
    return f"{type(error).__name__}: {printable(str(error))}"


def is_certificate_failure(error: BaseException) -> bool:
    """Whether ``error`` was caused by a certificate the TLS context does not trust."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _after_attempts(failure: str, attempts: int) -> str:
    return failure if attempts == 1 else f"{failure} (after {attempts} attempts)"


def status_line(response: httpx.Response) -> str:
    """``404 Not Found``: the status code and its reason phrase."""
    return f"{response.status_code} {response.reason_phrase}".strip()


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        return None
    document = _parse_json(response.content)
    return document if isinstance(document, dict) else None


def _not_problem_detail(response: httpx.Response) -> str:
    media_type = response.headers.get("content-type") or "no content type"
    described = f"the answer is not problem details ({printable(media_type)})"
    excerpt = response.content[:200].decode("utf-8", "replace").strip().splitlines()
    return f"{described}: {printable(excerpt[0])}" if excerpt else described


# --- running and reporting --------------------------------------------------------------


def submit_all(
    plan: Plan,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Send every file of ``plan`` in order; ``report`` sees each outcome as it happens.

    A refused file does not stop the run. A failure every later file would meet
    (token, service, unreachable server) does: the rest are ``NOT_SENT``.
    """
    outcomes: list[Outcome] = []
    with httpx.Client(
        timeout=plan.timeout, verify=plan.verify, transport=transport, follow_redirects=False
    ) as http:
        submitter = Submitter(http, plan, sleep=sleep)
        stopped_by: Outcome | None = None
        for evidence in plan.evidence:
            if stopped_by is None:
                outcome = submitter.submit(evidence)
                if outcome.stops_run:
                    stopped_by = outcome
            else:
                outcome = Outcome(
                    evidence,
                    Verdict.NOT_SENT,
                    stopped_by.exit_code,
                    error=f"the failure of {stopped_by.evidence.path} stopped the run",
                )
            outcomes.append(outcome)
            report(outcome)
    return outcomes


def exit_code(outcomes: Iterable[Outcome]) -> ExitCode:
    """The worst outcome decides."""
    return max((outcome.exit_code for outcome in outcomes), default=ExitCode.ACCEPTED)


def describe(outcome: Outcome) -> list[str]:
    """Lines for a CI log: the file's result, then each reason and a hint, indented."""
    evidence = outcome.evidence
    head = f"{evidence.kind} {evidence.path}:"
    if outcome.status is not None:
        head += f" {outcome.status}"
    record = outcome.record or {}
    if outcome.verdict in (Verdict.CREATED, Verdict.ALREADY_STORED):
        said = "created" if outcome.verdict is Verdict.CREATED else "already stored"
        fields = {"id": record.get("id"), "digest": record.get("digest")}
        fields.update(
            _sbom_fields(record) if evidence.kind is Kind.SBOM else _bundle_fields(record)
        )
        return [f"{head} {said} {_pairs(fields)}"]
    label = {
        Verdict.REFUSED: "refused",
        Verdict.CONFIGURATION_ERROR: "configuration error",
        Verdict.SERVER_ERROR: "server error",
        Verdict.NOT_SENT: "not sent",
    }[outcome.verdict]
    lines = []
    if outcome.problem is not None:
        problem = outcome.problem
        text = f"{head} {label}: {printable(problem.title)}"
        if problem.detail and problem.detail != problem.title:
            text += f": {printable(problem.detail)}"
        lines.append(text)
        lines.extend(f"  - {printable(reason)}" for reason in problem.reasons)
        if outcome.error is not None:
            lines.append(f"  {outcome.error}")
    else:
        lines.append(f"{head} {label}: {outcome.error}")
    if outcome.hint is not None:
        lines.append(f"  hint: {outcome.hint}")
    return lines


def _sbom_fields(record: Mapping[str, Any]) -> dict[str, object]:
    artifact = record.get("artifact")
    return {
        "format": record.get("format"),
        "spec": record.get("spec_version"),
        "components": record.get("component_count"),
        "artifact": artifact.get("digest") if isinstance(artifact, dict) else None,
    }


def _bundle_fields(record: Mapping[str, Any]) -> dict[str, object]:
    receipt = record.get("receipt")
    receipt = receipt if isinstance(receipt, dict) else {}
    signer = receipt.get("signer")
    signer = signer if isinstance(signer, dict) else {}
    tlog = receipt.get("tlog")
    tlog = tlog if isinstance(tlog, dict) else {}
    return {
        "kind": record.get("kind"),
        "predicate": record.get("predicate_type"),
        "signer": signer.get("subject"),
        "issuer": signer.get("issuer"),
        "tlog": tlog.get("log_index"),
    }


def _pairs(fields: Mapping[str, object]) -> str:
    """``key=value`` for each field the server gave; values with spaces are quoted."""
    pairs = []
    for key, value in fields.items():
        if value is None:
            continue
        text = printable(str(value))
        if not text or any(c.isspace() or c == '"' for c in text):
            text = json.dumps(text)
        pairs.append(f"{key}={text}")
    return " ".join(pairs)


def as_json(outcome: Outcome) -> dict[str, Any]:
    """One machine-readable object per file."""
    record = outcome.record
    return {
        "file": str(outcome.evidence.path),
        "kind": outcome.evidence.kind.value,
        "content_type": outcome.evidence.content_type,
        "sha256": outcome.evidence.sha256,
        "outcome": outcome.verdict.value,
        "exit_code": int(outcome.exit_code),
        "status": outcome.status,
        "attempts": outcome.attempts,
        "id": record.get("id") if record is not None else None,
        "digest": record.get("digest") if record is not None else None,
        "record": dict(record) if record is not None else None,
        "problem": outcome.problem.as_json() if outcome.problem is not None else None,
        "error": outcome.error,
        "hint": outcome.hint,
    }


def summary(outcomes: Sequence[Outcome]) -> str:
    """One line: how many files ended how, and the exit code."""
    counts = Counter(outcome.verdict for outcome in outcomes)
    accepted = counts[Verdict.CREATED] + counts[Verdict.ALREADY_STORED]
    parts = [
        f"{accepted} accepted ({counts[Verdict.CREATED]} created, "
        f"{counts[Verdict.ALREADY_STORED]} already stored)"
    ]
    for verdict, label in (
        (Verdict.REFUSED, "refused"),
        (Verdict.CONFIGURATION_ERROR, "configuration error"),
        (Verdict.SERVER_ERROR, "server error"),
        (Verdict.NOT_SENT, "not sent"),
    ):
        if counts[verdict]:
            parts.append(f"{counts[verdict]} {label}")
    noun = "file" if len(outcomes) == 1 else "files"
    return f"{len(outcomes)} {noun}: {', '.join(parts)}; exit {int(exit_code(outcomes))}"


def run(
    options: SubmitOptions,
    *,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """``attestd submit``: check, send, write a result per file to ``out``; the exit code."""
    try:
        plan = prepare(options, environ)
    except UsageError as error:
        for message in error.messages:
            err.write(f"attestd submit: {message}\n")
        err.write("attestd submit: nothing was sent\n")
        return ExitCode.USAGE
    for warning in plan.warnings:
        err.write(f"attestd submit: {warning}\n")

    def report(outcome: Outcome) -> None:
        if options.json_lines:
            out.write(json.dumps(as_json(outcome), sort_keys=True) + "\n")
        else:
            out.writelines(line + "\n" for line in describe(outcome))
        out.flush()

    outcomes = submit_all(plan, transport=transport, sleep=sleep, report=report)
    err.write(f"attestd submit: {summary(outcomes)}\n")
    return exit_code(outcomes)


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def printable(text: str) -> str:
    """``text`` on one line, control characters escaped, at most ``_MAX_TEXT`` characters.

    Server text can carry what a signer put in a certificate; escaping line breaks
    keeps it from starting a line a CI runner would read as a command.
    """
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + "…"
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _quoted(text: str) -> str:
    return json.dumps(printable(text[:200]))
