"""The ``attestd`` command: serve, migrate, token, submit, audit, openapi."""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit import verify
from app.audit.events import Actor
from app.audit.log import AuditLog, AuditTrail, new_request_id
from app.auth.credentials import Role
from app.auth.repository import TokenRepository
from app.auth.tokens import TokenInfo, create_token, ensure_first_admin, list_tokens, revoke_token
from app.config import Settings
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.errors import AppError
from app.logs import configure_logging, log_fields
from app.signing import SigningKeyError, configured_service_key

logger = logging.getLogger("attestd.cli")

T = TypeVar("T")
Command = Callable[[Settings, argparse.Namespace], int]


class CommandError(Exception):
    """A command could not do its work for a reason the operator can act on (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.offline is not None:
        # Offline commands need no settings, no database and no key of their own.
        offline: Callable[[argparse.Namespace], int] = args.offline
        return offline(args)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"attestd: configuration error: {error['msg']}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level_number)
    command: Command = args.command
    try:
        return command(settings, args)
    except AppError as exc:
        print(f"attestd: {exc.detail}", file=sys.stderr)
        for reason in exc.reasons:
            print(f"  - {reason}", file=sys.stderr)
        return 1
    except (SigningKeyError, CommandError) as exc:
        print(f"attestd: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attestd", description="Software supply-chain attestation service."
    )
    parser.set_defaults(offline=None)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="apply migrations, then serve the API")
    serve.add_argument("--host", help="address to listen on (default: ATTESTD_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: ATTESTD_PORT)")
    serve.set_defaults(command=_serve)

    migrate_cmd = commands.add_parser("migrate", help="apply pending database migrations")
    migrate_cmd.set_defaults(command=_migrate)

    token = commands.add_parser("token", help="create, list and revoke API tokens")
    token_commands = token.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create a token and print it")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True, help="unique name of the token")
    create.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="S",
        help="limit a pipeline token to service S (repeatable)",
    )
    create.set_defaults(command=_token_create)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    listing.set_defaults(command=_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(command=_token_revoke)

    submit = commands.add_parser(
        "submit",
        help="send a release's SBOMs and Sigstore bundles to an attestd server",
        description="Send SBOMs, then Sigstore bundles, to an attestd server, one line per\n"
        "file. Every argument and file is checked before the first is sent.",
        epilog=_SUBMIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_server_arguments(submit, holding="the pipeline token")
    submit.add_argument("--service", required=True, metavar="S", help="the service released")
    submit.add_argument(
        "--artifact",
        metavar="sha256:HEX",
        help="digest of the artifact; default: the digest each document names",
    )
    submit.add_argument(
        "--sbom",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="CycloneDX JSON/XML or SPDX JSON (repeatable)",
    )
    submit.add_argument(
        "--bundle",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="Sigstore bundle: signature or attestation (repeatable)",
    )
    submit.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="N",
        help="retries after a connection failure, timeout, 429, 502, 503 or 504 (default: 3)",
    )
    submit.add_argument(
        "--retry-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="wait before the first retry, doubled for each next one up to 10 (default: 1)",
    )
    submit.add_argument(
        "--json", action="store_true", help="print one JSON object per file instead of text"
    )
    submit.set_defaults(offline=_submit)
    _add_verdict_command(commands)

    audit = commands.add_parser("audit", help="export and verify the audit log")
    audit_commands = audit.add_subparsers(required=True, metavar="ACTION")
    export = audit_commands.add_parser(
        "export", help="write the log as JSON Lines, with the checkpoint it matches"
    )
    export.add_argument("--out", type=Path, required=True, help="entries file (JSON Lines)")
    export.add_argument(
        "--checkpoint-out", type=Path, help="also write the signed checkpoint of the export"
    )
    export.set_defaults(command=_audit_export)
    check = audit_commands.add_parser(
        "verify", help="verify an export offline against signed checkpoints"
    )
    verify.add_arguments(check)
    check.set_defaults(offline=verify.run)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--out", type=Path, help="file to write (default: standard output)")
    openapi.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when --out differs from what the app generates, instead of writing",
    )
    openapi.set_defaults(command=_openapi)
    return parser


_SUBMIT_EPILOG = """\
output:
  one line per file on standard output, e.g.
    sbom dist/bom.cdx.json: 201 created id=7 digest=sha256:… format=cyclonedx-json …
    bundle dist/app.sigstore.json: 200 already stored id=3 … signer=… issuer=… tlog=…
    bundle dist/other.sigstore.json: 422 refused: Bundle failed verification: …
      - identity-mismatch: …
  and a summary on standard error. The token is never printed.

exit codes (the worst file decides):
  0  every file accepted: 201 created or 200 already stored
  1  the server refused at least one file (400, 409, 413, 415, 422); the
     others were still sent
  2  usage error: bad arguments, an unreadable or unrecognised file, the token
     variable missing or empty; nothing was sent
  3  401 or 403 (token), 404 (unknown service or wrong --server), a redirect,
     another 4xx or an untrusted TLS certificate; later files are not sent
  4  server or transport failure: 5xx, connection refused, timeout, an answer
     that is not attestd's JSON; connection failures, timeouts, 429, 502, 503
     and 504 count only once --retries more attempts failed too
"""


def _submit(args: argparse.Namespace) -> int:
    from app import client  # noqa: PLC0415 - httpx is for `submit` only

    options = client.SubmitOptions(
        server=args.server,
        token_env=args.token_env,
        service=args.service,
        artifact=args.artifact,
        sboms=tuple(args.sbom),
        bundles=tuple(args.bundle),
        timeout=args.timeout,
        ca_bundle=args.ca_bundle,
        json_lines=args.json,
        retry=client.RetryPolicy(retries=args.retries, delay=args.retry_delay),
    )
    return client.run(options, environ=os.environ, out=sys.stdout, err=sys.stderr)


def _add_server_arguments(command: argparse.ArgumentParser, *, holding: str) -> None:
    """The options of the commands that talk to an attestd server."""
    command.add_argument(
        "--server", required=True, metavar="URL", help="base URL of the server (http or https)"
    )
    command.add_argument(
        "--token-env",
        required=True,
        metavar="VAR",
        help=f"name of the environment variable that holds {holding}",
    )
    command.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default: 30)"
    )
    command.add_argument(
        "--ca-bundle", type=Path, metavar="FILE", help="PEM CA certificates to trust for TLS"
    )


def _add_verdict_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``attestd verdict``: the deploy gate's question, asked of a server."""
    verdict_command = commands.add_parser(
        "verdict",
        help="ask an attestd server whether a digest may ship (a deploy gate)",
        description="Ask an attestd server for its verdict on an artifact digest: one line\n"
        "with the decision, the reasons on the lines after it, and optionally the\n"
        "signed verification summary (SLSA VSA) written to a file.",
        epilog="""\
output:
  one line on standard output, then each reason on its own line, e.g.
    allow sha256:… production level 4 (Improve)
    deny sha256:… production level 2 (Operate): reason; reason
      - reason
    deny sha256:… production: unknown to attestd (no evidence recorded)
  or, with --json, the server's answer as one JSON object. The token is never
  printed. --vsa-out writes the VSA for a denial too: it is evidence either way;
  a digest attestd holds no evidence for has no VSA. With --key (the
  public_key_pem of GET /v1/keys) the VSA must verify before the answer counts.

exit codes:
  0  allow
  1  deny, also for a digest attestd holds no evidence for
  2  usage error: bad --digest, --server, --key or other argument; nothing was
     sent
  3  configuration: the token variable unset or malformed (nothing sent); 401,
     403, another 404 (a wrong --server), 422 (an environment the policy does
     not name), another 4xx, a redirect or an untrusted TLS certificate; or
     --vsa-out could not be written
  4  server or transport failure: 5xx, 429, connection refused, timeout or an
     answer that is not a verdict, after bounded retries; or a VSA that does not
     verify with --key or disagrees with the answer
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_server_arguments(verdict_command, holding="a pipeline or auditor token")
    verdict_command.add_argument(
        "--digest", required=True, metavar="sha256:HEX", help="digest of the artifact to ship"
    )
    verdict_command.add_argument(
        "--environment", metavar="E", help="where it would ship (default: the server's default)"
    )
    verdict_command.add_argument(
        "--vsa-out", type=Path, metavar="FILE", help="write the signed VSA (DSSE JSON) to FILE"
    )
    verdict_command.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="attestd's Ed25519 public key (PEM); the VSA must verify with it",
    )
    verdict_command.add_argument(
        "--json", action="store_true", help="print the server's answer as JSON instead of text"
    )
    verdict_command.set_defaults(offline=_verdict)


def _verdict(args: argparse.Namespace) -> int:
    from app import verdict_client  # noqa: PLC0415 - httpx is for the client commands only

    options = verdict_client.VerdictOptions(
        server=args.server,
        token_env=args.token_env,
        digest=args.digest,
        environment=args.environment,
        vsa_out=args.vsa_out,
        json_output=args.json,
        ca_bundle=args.ca_bundle,
        timeout=args.timeout,
        key=args.key,
    )
    return verdict_client.run(options, environ=os.environ, out=sys.stdout, err=sys.stderr)


def _in_transaction(settings: Settings, work: Callable[[Session], T]) -> T:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        with make_sessionmaker(engine).begin() as session:
            return work(session)
    finally:
        engine.dispose()


def _audit_log(settings: Settings) -> AuditLog:
    key = configured_service_key(
        settings.signing_key_path, create_if_missing=settings.is_development
    )
    return AuditLog(origin=settings.audit_origin, key=key)


def _operator() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(type="cli", name=name)


def _with_trail(
    settings: Settings, work: Callable[[AuditTrail], T], actor: Actor | None = None
) -> T:
    """Run ``work`` in one transaction whose changes are recorded in the audit log."""
    log = _audit_log(settings)
    who = actor or _operator()
    return _in_transaction(
        settings, lambda session: work(AuditTrail(session, log, who, new_request_id()))
    )


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from app.attestations.trust import (  # noqa: PLC0415 - sigstore is for `serve` only
        TrustRootError,
        load_trust_roots,
    )
    from app.main import create_app  # noqa: PLC0415 - keeps `attestd token` light

    # Refuse to start, with the reason, before anything changes: a trust root that
    # cannot be read would otherwise surface as a traceback from the server's start-up.
    try:
        load_trust_roots(settings.trust_roots)
    except TrustRootError as exc:
        raise CommandError(str(exc)) from None
    migrate.upgrade(settings.database_url)
    _announce_first_admin(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    logger.info(
        "serving",
        extra=log_fields(host=host, port=port, environment=settings.environment.value),
    )
    app = create_app(settings)
    # Everything loaded so far lives as long as the process: moved out of the
    # collector's generations, it is not walked again by every collection.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return 0


def _announce_first_admin(settings: Settings) -> None:
    if not settings.is_development:
        if not _in_transaction(settings, lambda s: TokenRepository(s).active_admin_exists()):
            logger.warning(
                "no admin token exists; create one with"
                " `attestd token create --role admin --name NAME`"
            )
        return
    secret = _with_trail(settings, ensure_first_admin, Actor(type="system", name="attestd serve"))
    if secret is not None:
        print(
            "attestd: no admin token existed, so one was created. It is shown only this once:\n"
            f"\n    {secret}\n",
            flush=True,
        )


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    logger.info("migrated", extra=log_fields(database=_safe_url(settings.database_url)))
    return 0


def _token_create(settings: Settings, args: argparse.Namespace) -> int:
    secret, _ = _with_trail(
        settings,
        lambda trail: create_token(
            trail, name=args.name, role=Role(args.role), services=args.service
        ),
    )
    print(secret)
    return 0


def _token_list(settings: Settings, args: argparse.Namespace) -> int:
    tokens = _in_transaction(settings, list_tokens)
    for token in tokens:
        if args.json:
            print(json.dumps(_token_record(token)))
        else:
            state = "revoked" if token.revoked_at else "active"
            scope = ",".join(token.services) if token.services else "*"
            print(f"{token.name}\t{token.role.value}\t{state}\tservices={scope}")
    return 0


def _token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    token = _with_trail(settings, lambda trail: revoke_token(trail, args.name))
    print(f"revoked {token.name}", file=sys.stderr)
    return 0


def _token_record(token: TokenInfo) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "name": token.name,
        "role": token.role.value,
        "services": list(token.services) if token.services is not None else None,
        "created_at": stamp(token.created_at),
        "last_used_at": stamp(token.last_used_at),
        "revoked_at": stamp(token.revoked_at),
    }


def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    log = _audit_log(settings)

    def export(session: Session) -> int:
        signed, lines = log.export(session)
        files: list[tuple[Path, Iterable[str]]] = [(args.out, (line + "\n" for line in lines))]
        if args.checkpoint_out is not None:
            files.append((args.checkpoint_out, [signed.note]))
        _write_atomically(files)
        return signed.checkpoint.size

    size = _in_transaction(settings, export)
    print(f"exported {size} entries to {args.out}", file=sys.stderr)
    return 0


def _write_atomically(files: Sequence[tuple[Path, Iterable[str]]]) -> None:
    """Write each (path, chunks) through a temporary file, then rename them all.

    A failure while writing leaves none of the files, so an export is never
    found without its checkpoint.
    """
    written: list[tuple[Path, Path]] = []
    try:
        for path, chunks in files:
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            written.append((temporary, path))
            try:
                with temporary.open("w", encoding="utf-8") as file:
                    file.writelines(chunks)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        for temporary, path in written:
            try:
                temporary.replace(path)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    from app.main import create_app  # noqa: PLC0415 - keeps `attestd token` light

    document = openapi_text(create_app(settings).openapi())
    if args.check:
        if args.out is None:
            print("attestd: --check needs --out FILE", file=sys.stderr)
            return 2
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != document:
            print(
                f"attestd: {args.out} is out of date; run `attestd openapi --out {args.out}`",
                file=sys.stderr,
            )
            return 1
        return 0
    if args.out is None:
        sys.stdout.write(document)
    else:
        args.out.write_text(document, encoding="utf-8")
    return 0


def openapi_text(document: dict[str, Any]) -> str:
    """The committed form of the OpenAPI document: sorted keys, two-space indent."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
