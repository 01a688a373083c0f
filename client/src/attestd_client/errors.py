"""Every way a run of ``attestd-client`` can fail, and the exit code each one ends in.

``submit`` and ``verdict`` share one tree; each failure is exactly one of its
leaves, and the class decides the exit code::

    ClientError
    ├── UsageError                2 usage                  bad argument, file or key; none sent
    ├── ConfigurationError        3                        the job's own setup:
    │   ├── TokenMissing          3 token                  token variable unset, empty or malformed
    │   ├── AccessDenied          3 access-denied          401, 403: the token is not taken
    │   ├── NotFound              3 not-found              404: unknown service or wrong --server
    │   ├── Redirected            3 redirected             3xx: --server is not where it answers
    │   ├── UntrustedCertificate  3 untrusted-certificate  its TLS certificate is not trusted
    │   ├── RequestRefused        3 request-refused        another 4xx, e.g. an unknown environment
    │   ├── OutputNotWritten      3 output-not-written     --vsa-out could not be written
    │   └── UntrustedKey          3 untrusted-key          --key-url lacks the --key-id summary key
    ├── EvidenceRefused           1 evidence-refused       submit: 400, 409, 413, 415, 422
    └── ServerError               4                        the server or the network:
        ├── Unreachable           4 unreachable            no connection, a timeout (after retries)
        ├── ServerFailure         4 server-failure         5xx, 429 (after retries)
        ├── MalformedAnswer       4 malformed-answer       an answer that is not attestd's
        └── UntrustedSummary      4 untrusted-summary      the VSA fails, disagrees or expired

The middle column is ``kind``, the stable name ``verdict --json`` prints in its
``error`` object. ``ConfigurationError`` and ``ServerError`` group leaves; they
are never raised themselves.

Every run ends in one exit code; 0 and 1 are answers, not failures::

    0  ACCEPTED       submit: every file stored (201 created or 200 already stored); verdict: allow
    1  REFUSED        submit: the server refused at least one file; verdict: deny, also
                      for a digest attestd holds no evidence for
    2  USAGE          UsageError: nothing was sent
    3  CONFIGURATION  a ConfigurationError: the token, the server URL, the certificate, a request
    4  SERVER         a ServerError: the server, the network or its answer; a later run may pass

``submit`` goes on after an ``EvidenceRefused`` file and reports the worst code
of all its files; ``verdict`` raises the first failure and stops.

The pure checks below the commands raise ``ValueError`` subclasses of their own
(``vsa.VsaInvalid``, ``keys.InvalidPublicKey``, ``verdict.MalformedVerdict``,
``verdict.ExpiredSummary``);
the commands turn each into the leaf above that says what it means for the run.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from attestd_client.transport import Problem

__all__ = [
    "AccessDenied",
    "ClientError",
    "ConfigurationError",
    "EvidenceRefused",
    "ExitCode",
    "MalformedAnswer",
    "NotFound",
    "OutputNotWritten",
    "Redirected",
    "RequestRefused",
    "ServerError",
    "ServerFailure",
    "TokenMissing",
    "Unreachable",
    "UntrustedCertificate",
    "UntrustedKey",
    "UntrustedSummary",
    "UsageError",
]


class ExitCode(enum.IntEnum):
    """What a run tells the job that ran it; higher is worse."""

    ACCEPTED = 0
    REFUSED = 1
    USAGE = 2
    CONFIGURATION = 3
    SERVER = 4


class ClientError(Exception):
    """A run of ``attestd-client`` failed: what went wrong, the server's problem, and a hint.

    ``messages`` may be empty when the server's ``problem`` says it all.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.SERVER
    kind: ClassVar[str] = "error"

    def __init__(
        self,
        *messages: str,
        problem: Problem | None = None,
        hint: str | None = None,
        status: int | None = None,
        attempts: int = 0,
    ) -> None:
        self.messages = messages
        self.problem = problem
        self.hint = hint
        self.status = status
        self.attempts = attempts
        super().__init__("; ".join(messages))

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons the server gave, if it answered with a problem."""
        return self.problem.reasons if self.problem is not None else ()

    def as_json(self) -> dict[str, Any]:
        """The ``error`` object of ``verdict --json``."""
        message = "; ".join(self.messages)
        if not message and self.problem is not None:
            message = self.problem.head
        return {
            "kind": self.kind,
            "exit_code": int(self.exit_code),
            "message": message,
            "reasons": list(dict.fromkeys(self.reasons)),
            "hint": self.hint,
            "status": self.status,
            "slug": self.problem.slug if self.problem is not None else None,
            "attempts": self.attempts,
        }


class UsageError(ClientError):
    """An argument, a file or the key is wrong; each message names it. Nothing was sent."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class ConfigurationError(ClientError):
    """What the job must fix in its setup: the token, the server URL, the certificate."""

    exit_code = ExitCode.CONFIGURATION
    kind = "configuration"


class TokenMissing(ConfigurationError):
    """The token variable is unset, empty, or holds what no bearer token can be."""

    kind = "token"


class AccessDenied(ConfigurationError):
    """401 or 403: the server does not take the token for this request."""

    kind = "access-denied"


class NotFound(ConfigurationError):
    """A 404 that is no answer about the evidence: an unknown service or a wrong --server."""

    kind = "not-found"


class Redirected(ConfigurationError):
    """A 3xx: redirects are never followed, since the token would go with them."""

    kind = "redirected"


class UntrustedCertificate(ConfigurationError):
    """The server's TLS certificate does not verify against the trusted CAs."""

    kind = "untrusted-certificate"


class RequestRefused(ConfigurationError):
    """Another 4xx: the server refused the request as it was asked."""

    kind = "request-refused"


class OutputNotWritten(ConfigurationError):
    """The answer came, but the file it was to be written to could not be written."""

    kind = "output-not-written"


class UntrustedKey(ConfigurationError):
    """``--key-url`` does not publish the key ``--key-id`` names for verification summaries."""

    kind = "untrusted-key"


class EvidenceRefused(ClientError):
    """The server refused a file as evidence: 400, 409, 413, 415 or 422, with its reasons."""

    exit_code = ExitCode.REFUSED
    kind = "evidence-refused"


class ServerError(ClientError):
    """The server or the network failed; running the job again later may succeed."""

    exit_code = ExitCode.SERVER
    kind = "server"


class Unreachable(ServerError):
    """No answer: the connection failed, timed out or broke off."""

    kind = "unreachable"


class ServerFailure(ServerError):
    """The server answered with a failure of its own (5xx, or 429 once retries are used up)."""

    kind = "server-failure"


class MalformedAnswer(ServerError):
    """An answer that is not what attestd answers to this request."""

    kind = "malformed-answer"


class UntrustedSummary(ServerError):
    """The signed summary does not verify, does not say what the answer says, or has expired."""

    kind = "untrusted-summary"
