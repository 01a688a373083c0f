"""The ``attestd-client`` command: ``submit`` and ``verdict``, for release and deploy jobs.

The same parser serves ``attestd submit|verdict`` on a server installation:
``attestd`` hands those two commands to ``main(argv, prog="attestd")``, so
options, output and exit codes are the same under both names.

Importing this module costs nothing but the standard library: the commands'
modules (and httpx) are imported when a command runs, which lets ``attestd``
list the client's commands without loading them.

An argument argparse refuses ends the run as argparse would (usage on standard
error, exit 2); ``verdict --json`` prints its JSON error object first, so that
standard output holds one object whatever happened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from attestd_client.defaults import (
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY,
    DEFAULT_TIMEOUT,
    SERVER_VARIABLE,
    TOKEN_VARIABLE,
)
from attestd_client.errors import ExitCode, UsageError

__all__ = ["COMMANDS", "DISTRIBUTION", "build_parser", "installed_version", "main"]

DISTRIBUTION = "attestd-client"

COMMANDS = {
    "submit": "send a release's SBOMs and Sigstore bundles to an attestd server",
    "verdict": "ask an attestd server whether a digest may ship (a deploy gate)",
}
"""Each command and its one-line help."""

_ENVIRONMENT_EPILOG = f"""\
environment:
  {SERVER_VARIABLE}  the server's base URL, when --server is not given
  {TOKEN_VARIABLE}   holds the token, when --token-env does not name another
                  variable
"""

_SUBMIT_EPILOG = f"""\
{_ENVIRONMENT_EPILOG}
output:
  one line per file on standard output, e.g.
    sbom dist/bom.cdx.json: 201 created id=7 digest=sha256:… format=cyclonedx-json …
    bundle dist/app.sigstore.json: 200 already stored id=3 … signer=… issuer=… tlog=…
    bundle dist/other.sigstore.json: 422 refused: Bundle failed verification: …
      - identity-mismatch: …
  and a summary on standard error. Each reason is printed once. The token is
  never printed.

exit codes (the worst file decides):
  0  every file accepted: 201 created or 200 already stored
  1  the server refused at least one file (400, 409, 413, 415, 422); the
     others were still sent
  2  usage error: bad arguments, an unreadable or unrecognised file, no
     server given; nothing was sent
  3  configuration: the token variable unset, empty or malformed (nothing
     sent); 401 or 403 (token), 404 (unknown service or wrong --server), a
     redirect, another 4xx or an untrusted TLS certificate; later files are
     not sent
  4  server or transport failure: 5xx, connection refused, timeout, an answer
     that is not attestd's JSON; connection failures, timeouts, 429, 502, 503
     and 504 count only once --retries more attempts failed too
"""

_VERDICT_EPILOG = f"""\
{_ENVIRONMENT_EPILOG}
output:
  one line on standard output, then each reason once on its own line, e.g.
    allow sha256:… production level 4 (Improve)
    deny sha256:… production level 2 (Operate)
      - reason
    deny sha256:… production: unknown to attestd (no evidence recorded)
  The token is never printed. --vsa-out writes the VSA for a denial too: it is
  evidence either way; a digest attestd holds no evidence for has no VSA.

verifying the summary (one of these is required):
  --key FILE               attestd's public key for verification summaries
                           (PEM: the public_key_pem of GET /v1/keys)
  --key-url URL --key-id ID
                           fetch GET /v1/keys from URL and use the key of that
                           id, only if it is published for verification-summaries
  --no-verify-summary      act on the answer unchecked (a warning says so)
  The answer counts only once its VSA verifies with the key and names the
  digest, the decision, the level and the environment asked (production when
  none is given), and its validUntil has not passed.

--json:
  exactly one JSON object on standard output, whatever the outcome: the
  server's answer for allow and deny; for an unknown digest {{"decision":
  "deny", "digest", "environment", "reasons", "vsa": null, "problem"}}; when no
  decision could be had {{"decision": null, "error": {{"kind", "exit_code",
  "message", "reasons", "hint", "status", "slug", "attempts"}}}}; when the VSA
  could not be written, the answer with that "error" added.

exit codes:
  0  allow
  1  deny, also for a digest attestd holds no evidence for
  2  usage error: bad --digest, --server, --key, --key-id or other argument,
     or none of --key, --key-url with --key-id, --no-verify-summary; nothing
     was sent
  3  configuration: the token variable unset, empty or malformed (nothing
     sent); 401, 403, another 404 (a wrong --server), 422 (an environment the
     policy does not name), another 4xx, a redirect or an untrusted TLS
     certificate; --key-url does not publish the --key-id key for summaries
     (nothing asked); or --vsa-out could not be written
  4  server or transport failure: 5xx, 429, connection refused, timeout or an
     answer that is not a verdict, after bounded retries; or a VSA that does
     not verify with the key, disagrees with the answer or has expired
"""


class ArgumentsRefused(Exception):
    """argparse refused the command line: its message and the parser that refused it."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.message = message
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose refusals ``main`` reports, instead of exiting on the spot."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentsRefused(message, self)


def installed_version() -> str:
    """The installed version of ``attestd-client``; 0.0.0 when run from a tree not installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"


def main(argv: Sequence[str] | None = None, *, prog: str = DISTRIBUTION) -> int:
    """Run ``prog submit|verdict …``; the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(prog)
    try:
        args = parser.parse_args(arguments)
    except ArgumentsRefused as refused:
        _refuse(refused, json_error=_asks_verdict_json(arguments))
    command: Callable[[argparse.Namespace, str], int] = args.command
    return command(args, f"{prog} {args.command_name}")


def _refuse(refused: ArgumentsRefused, *, json_error: bool) -> NoReturn:
    """End the run as argparse would; ``verdict --json`` prints its error object first."""
    if json_error:
        from attestd_client import verdict  # noqa: PLC0415 - httpx only when a command runs

        print(json.dumps(verdict.failure_json(UsageError(refused.message)), sort_keys=True))
    refused.parser.print_usage(sys.stderr)
    print(f"{refused.parser.prog}: error: {refused.message}", file=sys.stderr)
    raise SystemExit(ExitCode.USAGE)


def _asks_verdict_json(arguments: Sequence[str]) -> bool:
    """Whether ``arguments`` are ``verdict … --json …`` (argparse takes ``--js`` for it too)."""
    return arguments[:1] == ["verdict"] and any(
        argument.startswith("--j") and "--json".startswith(argument) for argument in arguments[1:]
    )


def build_parser(prog: str = DISTRIBUTION) -> argparse.ArgumentParser:
    """The command line of ``prog``: ``submit``, ``verdict`` and ``--version``."""
    parser = _Parser(
        prog=prog,
        description="The pipeline client of attestd: send a release's evidence, ask the gate.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{DISTRIBUTION} {installed_version()}",
        help="print the installed version of attestd-client and exit",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    submit = commands.add_parser(
        "submit",
        help=COMMANDS["submit"],
        description="Send SBOMs, then Sigstore bundles, to an attestd server, one line per\n"
        "file. Every argument and file is checked before the first is sent.",
        epilog=_SUBMIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_submit_arguments(submit)
    submit.set_defaults(command=_submit, command_name="submit")
    verdict = commands.add_parser(
        "verdict",
        help=COMMANDS["verdict"],
        description="Ask an attestd server for its verdict on an artifact digest: one line\n"
        "with the decision, the reasons on the lines after it, and optionally the\n"
        "signed verification summary (SLSA VSA) written to a file.",
        epilog=_VERDICT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_verdict_arguments(verdict)
    verdict.set_defaults(command=_verdict, command_name="verdict")
    return parser


def _add_server_arguments(command: argparse.ArgumentParser, *, holding: str) -> None:
    """The options of the commands that talk to an attestd server."""
    command.add_argument(
        "--server",
        metavar="URL",
        help=f"base URL of the server, http or https (default: ${SERVER_VARIABLE})",
    )
    command.add_argument(
        "--token-env",
        metavar="VAR",
        help=f"name of the environment variable that holds {holding} (default: {TOKEN_VARIABLE})",
    )
    command.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per request (default: {DEFAULT_TIMEOUT:g})",
    )
    command.add_argument(
        "--ca-bundle", type=Path, metavar="FILE", help="PEM CA certificates to trust for TLS"
    )


def add_submit_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``submit``."""
    _add_server_arguments(command, holding="the pipeline token")
    command.add_argument("--service", required=True, metavar="S", help="the service released")
    command.add_argument(
        "--artifact",
        metavar="sha256:HEX",
        help="digest of the artifact; default: the digest each document names",
    )
    command.add_argument(
        "--sbom",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="CycloneDX JSON/XML or SPDX JSON (repeatable)",
    )
    command.add_argument(
        "--bundle",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="Sigstore bundle: signature or attestation (repeatable)",
    )
    command.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="retries after a connection failure, timeout, 429, 502, 503 or 504 "
        f"(default: {DEFAULT_RETRIES})",
    )
    command.add_argument(
        "--retry-delay",
        type=float,
        default=DEFAULT_RETRY_DELAY,
        metavar="SECONDS",
        help="wait before the first retry, doubled for each next one up to 10 "
        f"(default: {DEFAULT_RETRY_DELAY:g})",
    )
    command.add_argument(
        "--json", action="store_true", help="print one JSON object per file instead of text"
    )


def add_verdict_arguments(command: argparse.ArgumentParser) -> None:
    """The options of ``verdict``."""
    _add_server_arguments(command, holding="a pipeline or auditor token")
    command.add_argument(
        "--digest", required=True, metavar="sha256:HEX", help="digest of the artifact to ship"
    )
    command.add_argument(
        "--environment", metavar="E", help="where it would ship (default: the server's default)"
    )
    command.add_argument(
        "--vsa-out", type=Path, metavar="FILE", help="write the signed VSA (DSSE JSON) to FILE"
    )
    command.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="attestd's Ed25519 public key for summaries (PEM); the VSA must verify with it",
    )
    command.add_argument(
        "--key-url",
        metavar="URL",
        help="fetch attestd's keys from URL (its GET /v1/keys); needs --key-id",
    )
    command.add_argument(
        "--key-id",
        metavar="ID",
        help="the id (hex SHA-256 of the DER public key) the key from --key-url must have",
    )
    command.add_argument(
        "--no-verify-summary",
        dest="verify_summary",
        action="store_false",
        help="act on the answer without verifying its signed summary (not for production)",
    )
    command.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object, the server's answer or the error, instead of text",
    )


def _submit(args: argparse.Namespace, name: str) -> int:
    from attestd_client import submit  # noqa: PLC0415 - httpx only when a command runs
    from attestd_client.transport import RetryPolicy  # noqa: PLC0415 - same

    options = submit.SubmitOptions(
        server=args.server,
        token_env=args.token_env,
        service=args.service,
        artifact=args.artifact,
        sboms=tuple(args.sbom),
        bundles=tuple(args.bundle),
        timeout=args.timeout,
        ca_bundle=args.ca_bundle,
        json_lines=args.json,
        retry=RetryPolicy(retries=args.retries, delay=args.retry_delay),
    )
    return submit.run(options, environ=os.environ, out=sys.stdout, err=sys.stderr, name=name)


def _verdict(args: argparse.Namespace, name: str) -> int:
    from attestd_client import verdict  # noqa: PLC0415 - httpx only when a command runs

    options = verdict.VerdictOptions(
        server=args.server,
        token_env=args.token_env,
        digest=args.digest,
        environment=args.environment,
        vsa_out=args.vsa_out,
        json_output=args.json,
        ca_bundle=args.ca_bundle,
        timeout=args.timeout,
        key=args.key,
        key_url=args.key_url,
        key_id=args.key_id,
        verify_summary=args.verify_summary,
    )
    return verdict.run(options, environ=os.environ, out=sys.stdout, err=sys.stderr, name=name)
