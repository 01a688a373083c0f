"""The ``attestd`` command: serve, migrate, token, audit, openapi; submit and verdict.

``attestd submit`` and ``attestd verdict`` are the pipeline client's commands
(``attestd_client``), handed to its own parser whole: the same options, output
and exit codes as ``attestd-client submit|verdict``.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from attestd_client import cli as client_cli
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
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] and arguments[0] in client_cli.COMMANDS:
        return _client_command(arguments)
    parser = _parser()
    args = parser.parse_args(arguments)
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

    for name, summary in client_cli.COMMANDS.items():
        # Listed for `attestd --help`; main() hands `attestd submit|verdict …` to the
        # client's own parser before this one sees the arguments.
        client = commands.add_parser(name, help=summary, add_help=False)
        client.set_defaults(offline=partial(_listed_client_command, name))

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


def _client_command(arguments: list[str]) -> int:
    """``attestd submit|verdict …``: the pipeline client's command, run as ``attestd``."""
    return client_cli.main(arguments, prog="attestd")


def _listed_client_command(name: str, _args: argparse.Namespace) -> int:
    return _client_command([name])


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
