"""``submit``: a release's SBOMs and Sigstore bundles sent to an attestd server, with one line
a CI log can act on per file.

``prepare`` checks everything before the first request and raises
``UsageError`` with every problem it found (``TokenMissing`` when only the
token's variable is wrong). A ``--bundle`` file may hold several bundles (JSON
Lines, or a PEP 740 provenance file converted to bundles:
``attestd_client.bundle_files``); each is sent and reported on its own.
``Submitter`` sends one file, retrying what a retry can mend (connection
failures, timeouts, 429, 502, 503, 504: a submission is idempotent, the same
bytes get the same record), and returns an ``Outcome`` that holds the file's
``ClientError`` if it failed. ``run`` does both and
writes the results.

Every run ends in the exit code of its worst file (``errors.ExitCode``)::

    0  every file stored: 201 created, or 200 already stored
    1  EvidenceRefused: the server refused the evidence (400, 409, 413, 415, 422)
    2  UsageError: arguments or files are wrong; nothing was sent
    3  a ConfigurationError: the token variable, 401, 403, 404, a redirect, another 4xx,
       an untrusted certificate
    4  a ServerError: 5xx, no connection, a timeout, an answer that is not attestd's JSON,
       after the retries

A refused file does not stop the run; a failure every later file would meet
too (token, service, unreachable server) does, and the rest are not sent.
"""

from __future__ import annotations

import enum
import hashlib
import json
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import httpx

from attestd_client.arguments import (
    PLAIN_HTTP_WARNING,
    TOKEN_VARIABLE,
    ArgumentProblems,
    check_digest,
    is_service_name,
    read_token,
    resolve_server,
    sends_token_in_clear,
    tls_context,
)
from attestd_client.bundle_files import split_bundles
from attestd_client.errors import (
    AccessDenied,
    ClientError,
    ConfigurationError,
    EvidenceRefused,
    ExitCode,
    MalformedAnswer,
    NotFound,
    Redirected,
    RequestRefused,
    ServerFailure,
    Unreachable,
    UntrustedCertificate,
    UsageError,
)
from attestd_client.safe_text import printable, quoted, reason_lines
from attestd_client.transport import (
    ACCEPT,
    DEFAULT_TIMEOUT,
    RETRY_ERRORS,
    TLS_HINT,
    Problem,
    RetryPolicy,
    http_client,
    is_certificate_failure,
    json_object,
    parse_json,
    status_line,
    transport_failure,
)

__all__ = [
    "BUNDLE_MEDIA_TYPES",
    "CYCLONEDX_JSON",
    "CYCLONEDX_XML",
    "GENERIC_JSON",
    "PLAIN_HTTP_WARNING",
    "SPDX_JSON",
    "Evidence",
    "ExitCode",
    "Kind",
    "Outcome",
    "Plan",
    "Problem",
    "RetryPolicy",
    "SubmitOptions",
    "Submitter",
    "UsageError",
    "Verdict",
    "as_json",
    "bundle_media_type",
    "describe",
    "exit_code",
    "load_bundles",
    "load_sbom",
    "prepare",
    "read_token",
    "run",
    "sbom_media_type",
    "sends_token_in_clear",
    "submit_all",
    "summary",
]

CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
CYCLONEDX_XML = "application/vnd.cyclonedx+xml"
SPDX_JSON = "application/spdx+json"
SPDX_TAG_VALUE = "text/spdx"
GENERIC_JSON = "application/json"
# The bundle media types the server accepts as a Content-Type.
BUNDLE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    }
)

# Answers that mean "the evidence itself was refused".
REFUSAL_STATUSES = frozenset({400, 409, 413, 415, 422})
# Answers a later attempt may not get.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

_UTF8_BOM = b"\xef\xbb\xbf"


class Kind(enum.StrEnum):
    """What a file is sent as, and where."""

    SBOM = "sbom"
    BUNDLE = "bundle"

    @property
    def endpoint(self) -> str:
        return "/v1/sboms" if self is Kind.SBOM else "/v1/attestations"


class Verdict(enum.StrEnum):
    """What became of one file (the ``outcome`` of ``--json``)."""

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
    part: str | None = None
    """Which bundle of a file that holds several (``line 3``, a PEP 740 attestation)."""
    line: int | None = None
    """The line of a JSON Lines file it was on."""

    @property
    def sha256(self) -> str:
        return "sha256:" + hashlib.sha256(self.content).hexdigest()

    @property
    def source(self) -> str:
        """The file, then the part of it when it holds several bundles."""
        return str(self.path) if self.part is None else f"{self.path} {self.part}"


@dataclass(frozen=True, kw_only=True)
class SubmitOptions:
    """The arguments of ``submit``, as given; None where the environment may say."""

    server: str | None = None
    """The server's base URL; None takes ``ATTESTD_SERVER``."""
    token_env: str | None = None
    """The variable that holds the token; None means ``ATTESTD_TOKEN``."""
    service: str
    artifact: str | None = None
    sboms: Sequence[Path] = ()
    bundles: Sequence[Path] = ()
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: Path | None = None
    json_lines: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)


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
    notes: tuple[str, ...] = ()
    """What was made of files that hold several bundles (JSON Lines, PEP 740)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one file: the server's answer, or the failure it met, and why."""

    evidence: Evidence
    status: int | None = None
    record: Mapping[str, Any] | None = None
    failure: ClientError | None = None
    """None when the file was stored."""
    attempts: int = 0
    stops_run: bool = False
    """Every later file would meet the same failure, so they are not sent."""
    stopped_by: str | None = None
    """The earlier file (its ``source``) whose ``failure`` stopped the run before this one
    was sent."""

    @property
    def verdict(self) -> Verdict:
        if self.stopped_by is not None:
            return Verdict.NOT_SENT
        if self.failure is None:
            return Verdict.CREATED if self.status == 201 else Verdict.ALREADY_STORED
        if isinstance(self.failure, EvidenceRefused):
            return Verdict.REFUSED
        if isinstance(self.failure, ConfigurationError):
            return Verdict.CONFIGURATION_ERROR
        return Verdict.SERVER_ERROR

    @property
    def exit_code(self) -> ExitCode:
        return self.failure.exit_code if self.failure is not None else ExitCode.ACCEPTED

    @property
    def problem(self) -> Problem | None:
        """The problem the server answered this file with."""
        if self.failure is None or self.stopped_by is not None:
            return None
        return self.failure.problem

    @property
    def error(self) -> str | None:
        """What went wrong, beyond what the server's problem says."""
        if self.stopped_by is not None:
            return f"the failure of {self.stopped_by} stopped the run"
        if self.failure is None or not self.failure.messages:
            return None
        return "; ".join(self.failure.messages)

    @property
    def hint(self) -> str | None:
        if self.failure is None or self.stopped_by is not None:
            return None
        return self.failure.hint


# --- checking the arguments -------------------------------------------------------------


def prepare(options: SubmitOptions, environ: Mapping[str, str]) -> Plan:
    """The run ``options`` ask for, checked in full.

    ``UsageError`` lists every problem; ``TokenMissing`` when only the token's
    variable is wrong.
    """
    problems = ArgumentProblems()
    warnings: list[str] = []
    server = problems.check(lambda: resolve_server(options.server, environ))
    if server is not None and sends_token_in_clear(server):
        warnings.append(PLAIN_HTTP_WARNING)
    token = problems.check(lambda: read_token(options.token_env, environ))
    if not is_service_name(options.service):
        problems.add(
            f"--service {quoted(options.service)} is not a service name (lower-case letters, "
            "digits and inner hyphens, at most 63)"
        )
    artifact = None
    if (artifact_text := options.artifact) is not None:
        artifact = problems.check(lambda: check_digest(artifact_text, option="--artifact"))
    if not options.sboms and not options.bundles:
        problems.add("nothing to send: give at least one --sbom FILE or --bundle FILE")
    if not options.timeout > 0:
        problems.add(f"--timeout must be more than 0 seconds, not {options.timeout}")
    if options.retry.retries < 0:
        problems.add(f"--retries must be 0 or more, not {options.retry.retries}")
    if not options.retry.delay >= 0:
        problems.add(f"--retry-delay must be 0 or more seconds, not {options.retry.delay}")
    verify: ssl.SSLContext | bool = True
    if (ca_bundle := options.ca_bundle) is not None:
        verify = problems.check(lambda: tls_context(ca_bundle)) or True
    evidence: list[Evidence] = []
    notes: list[str] = []
    for sbom in options.sboms:
        evidence.extend(problems.check(partial(_as_list, load_sbom, sbom)) or ())
    for path in options.bundles:
        loaded = problems.check(partial(load_bundles, path))
        if loaded is not None:
            evidence.extend(loaded[0])
            notes.extend(loaded[1])
    if problems or server is None or token is None:
        raise problems.error()
    return Plan(
        server=server,
        service=options.service,
        artifact=artifact,
        evidence=tuple(evidence),
        token=token,
        token_env=options.token_env or TOKEN_VARIABLE,
        verify=verify,
        timeout=options.timeout,
        retry=options.retry,
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _as_list(load: Callable[[Path], Evidence], path: Path) -> list[Evidence]:
    return [load(path)]


def load_sbom(path: Path) -> Evidence:
    """The SBOM in ``path`` with the media type its content shows."""
    content = _read(path, "--sbom")
    try:
        media_type = sbom_media_type(content)
    except ValueError as error:
        raise UsageError(f"--sbom {path}: cannot tell the SBOM format: {error}") from None
    return Evidence(Kind.SBOM, path, content, media_type)


def load_bundles(path: Path) -> tuple[list[Evidence], list[str]]:
    """The Sigstore bundles in ``path``, each typed by its own ``mediaType``; and a note
    on what was made of the file when it holds several (or PEP 740 attestations)."""
    found = split_bundles(path, _read(path, "--bundle"))
    evidence = [
        Evidence(
            Kind.BUNDLE,
            path,
            part.content,
            bundle_media_type(part.content),
            part=part.part,
            line=part.line,
        )
        for part in found.parts
    ]
    return evidence, [] if found.note is None else [found.note]


def _read(path: Path, option: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{option} {path}: cannot read it: {error.strerror}") from None
    if not content.strip():
        raise UsageError(f"{option} {path}: the file is empty")
    return content


def sbom_media_type(content: bytes) -> str:
    """The Content-Type for an SBOM: XML is CycloneDX XML; a first tag ``SPDXVersion:``
    is SPDX tag-value; JSON says CycloneDX or SPDX (2, or 3 by its ``@context``).

    ValueError says why no type fits.
    """
    start = content.removeprefix(_UTF8_BOM).lstrip()
    if not start:
        raise ValueError("the file is empty")
    if start.startswith(b"<"):
        return CYCLONEDX_XML
    if _first_tag(start) == b"SPDXVersion":
        return SPDX_TAG_VALUE
    document = parse_json(content)
    if document is None:
        raise ValueError("it is neither XML nor valid JSON")
    if isinstance(document, dict):
        if document.get("bomFormat") == "CycloneDX":
            return CYCLONEDX_JSON
        context = document.get("@context")
        spdx3 = isinstance(context, str) and context.startswith("https://spdx.org/rdf/3.")
        if "spdxVersion" in document or spdx3:
            return SPDX_JSON
        raise ValueError(
            'its JSON has neither "bomFormat": "CycloneDX", "spdxVersion" nor an SPDX 3 "@context"'
        )
    raise ValueError("its JSON is not an object")


def _first_tag(start: bytes) -> bytes:
    """The tag of the first line that is not a comment, as tag-value writes it."""
    for line in start.splitlines():
        if line.strip() and not line.lstrip().startswith(b"#"):
            return line.split(b":", 1)[0].strip()
    return b""


def bundle_media_type(content: bytes) -> str:
    """The bundle's own ``mediaType`` when the server accepts it as a Content-Type, else JSON."""
    document = parse_json(content)
    media_type = document.get("mediaType") if isinstance(document, dict) else None
    return media_type if media_type in BUNDLE_MEDIA_TYPES else GENERIC_JSON


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
                    untrusted = UntrustedCertificate(failure, hint=TLS_HINT, attempts=attempt)
                    return _failed(evidence, untrusted, stops_run=True)
            except httpx.TransportError as error:
                failure = transport_failure(error, self._plan.timeout)
                return _failed(evidence, Unreachable(failure, attempts=attempt), stops_run=True)
            else:
                if answer.status_code not in RETRY_STATUSES:
                    return _judge(evidence, answer, attempt, self._plan)
                failure = f"the server answered {status_line(answer)}"
            if attempt > retry.retries:
                said = failure if attempt == 1 else f"{failure} (after {attempt} attempts)"
                last: ClientError = (
                    Unreachable(said, attempts=attempt)
                    if answer is None
                    else ServerFailure(
                        said,
                        problem=Problem.from_response(answer),
                        status=answer.status_code,
                        attempts=attempt,
                    )
                )
                return _failed(evidence, last, stops_run=True)
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
                "Accept": ACCEPT,
            },
        )


def _judge(evidence: Evidence, response: httpx.Response, attempt: int, plan: Plan) -> Outcome:
    """The outcome of a final (not retried) answer."""
    status = response.status_code
    if status in (200, 201):
        return _accepted(evidence, response, attempt)
    if 300 <= status < 400:
        location = response.headers.get("location", "(no Location)")
        redirected = Redirected(
            f"the server redirected to {printable(location)}",
            hint="give --server as the URL the server redirects to",
            status=status,
            attempts=attempt,
        )
        return _failed(evidence, redirected, stops_run=True)
    if status >= 400:
        problem = Problem.from_response(response)
        failure = _problem_failure(status)(
            problem=problem, status=status, attempts=attempt, hint=_hint(status, plan)
        )
        # A refused file or a server error of one file does not stop the run.
        stops_run = not isinstance(failure, EvidenceRefused | ServerFailure)
        return _failed(evidence, failure, stops_run=stops_run)
    unexpected = MalformedAnswer(
        f"unexpected answer {status_line(response)}", status=status, attempts=attempt
    )
    return _failed(evidence, unexpected, stops_run=True)


def _problem_failure(status: int) -> type[ClientError]:
    """The failure a 4xx or 5xx answer to a submission amounts to."""
    if status in REFUSAL_STATUSES:
        return EvidenceRefused
    if status in (401, 403):
        return AccessDenied
    if status == 404:
        return NotFound
    if status < 500:
        return RequestRefused
    return ServerFailure


def _hint(status: int, plan: Plan) -> str | None:
    if status in REFUSAL_STATUSES or status >= 500:
        return None
    if status == 401:
        return f"the token in {plan.token_env} is unknown, revoked or malformed"
    if status == 403:
        return f"the token in {plan.token_env} needs the pipeline role and access to {plan.service}"
    if status == 404:
        return f"is the service {plan.service} registered, and is --server the attestd base URL?"
    return "is --server the attestd base URL?"


def _accepted(evidence: Evidence, response: httpx.Response, attempt: int) -> Outcome:
    status = response.status_code
    record = json_object(response)
    if record is None or "id" not in record:
        missing = MalformedAnswer(
            f"the server answered {status_line(response)} without the JSON record of the "
            "stored file",
            status=status,
            attempts=attempt,
        )
        return _failed(evidence, missing)
    if record.get("digest") != evidence.sha256:
        recorded = record.get("digest")
        shown = recorded if isinstance(recorded, str) else json.dumps(recorded)
        mismatch = MalformedAnswer(
            f"the server recorded digest {printable(shown)} for a file whose digest is "
            f"{evidence.sha256}",
            status=status,
            attempts=attempt,
        )
        return _failed(evidence, mismatch, record=record)
    return Outcome(evidence, status, record=record, attempts=attempt)


def _failed(
    evidence: Evidence,
    failure: ClientError,
    *,
    stops_run: bool = False,
    record: Mapping[str, Any] | None = None,
) -> Outcome:
    return Outcome(
        evidence,
        failure.status,
        record=record,
        failure=failure,
        attempts=failure.attempts,
        stops_run=stops_run,
    )


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
    with http_client(timeout=plan.timeout, verify=plan.verify, transport=transport) as http:
        submitter = Submitter(http, plan, sleep=sleep)
        stopped_by: Outcome | None = None
        for evidence in plan.evidence:
            if stopped_by is None:
                outcome = submitter.submit(evidence)
                if outcome.stops_run:
                    stopped_by = outcome
            else:
                outcome = Outcome(
                    evidence, failure=stopped_by.failure, stopped_by=stopped_by.evidence.source
                )
            outcomes.append(outcome)
            report(outcome)
    return outcomes


def exit_code(outcomes: Iterable[Outcome]) -> ExitCode:
    """The worst outcome decides."""
    return max((outcome.exit_code for outcome in outcomes), default=ExitCode.ACCEPTED)


_LABELS = {
    Verdict.REFUSED: "refused",
    Verdict.CONFIGURATION_ERROR: "configuration error",
    Verdict.SERVER_ERROR: "server error",
    Verdict.NOT_SENT: "not sent",
}


def describe(outcome: Outcome) -> list[str]:
    """Lines for a CI log: the file's result, then each reason once and a hint, indented."""
    evidence = outcome.evidence
    head = f"{evidence.kind} {evidence.source}:"
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
    label = _LABELS[outcome.verdict]
    lines = []
    if (problem := outcome.problem) is not None:
        lines.append(f"{head} {label}: {problem.head}")
        lines.extend(reason_lines(problem.reasons, already_said=(problem.title, problem.detail)))
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
        "part": outcome.evidence.part,
        "line": outcome.evidence.line,
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
    parts.extend(
        f"{counts[verdict]} {label}" for verdict, label in _LABELS.items() if counts[verdict]
    )
    whole_files = all(outcome.evidence.part is None for outcome in outcomes)
    noun = ("file" if whole_files else "submission") + ("" if len(outcomes) == 1 else "s")
    return f"{len(outcomes)} {noun}: {', '.join(parts)}; exit {int(exit_code(outcomes))}"


def run(
    options: SubmitOptions,
    *,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    name: str = "attestd submit",
) -> int:
    """Check, send, write a result per file to ``out``; the exit code.

    ``name`` starts each line written to ``err``: the command as the job ran it.
    """
    try:
        plan = prepare(options, environ)
    except ClientError as error:
        for message in error.messages:
            err.write(f"{name}: {message}\n")
        err.write(f"{name}: nothing was sent\n")
        return error.exit_code
    for message in (*plan.warnings, *plan.notes):
        err.write(f"{name}: {message}\n")

    def report(outcome: Outcome) -> None:
        if options.json_lines:
            out.write(json.dumps(as_json(outcome), sort_keys=True) + "\n")
        else:
            out.writelines(line + "\n" for line in describe(outcome))
        out.flush()

    outcomes = submit_all(plan, transport=transport, sleep=sleep, report=report)
    err.write(f"{name}: {summary(outcomes)}\n")
    return exit_code(outcomes)
