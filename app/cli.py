"""The ``attestd`` command: serve, migrate, token, openapi."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.credentials import Role
from app.auth.tokens import TokenInfo, create_token, ensure_first_admin, list_tokens, revoke_token
from app.config import Settings
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.errors import AppError
from app.logs import configure_logging, log_fields

logger = logging.getLogger("attestd.cli")

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"attestd: configuration error: {error['msg']}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level_number)
    command: Callable[[Settings, argparse.Namespace], int] = args.command
    try:
        return command(settings, args)
    except AppError as exc:
        print(f"attestd: {exc.detail}", file=sys.stderr)
        for reason in exc.reasons:
            print(f"  - {reason}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attestd", description="Software supply-chain attestation service."
    )
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

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--out", type=Path, help="file to write (default: standard output)")
    openapi.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when --out differs from what the app generates, instead of writing",
    )
    openapi.set_defaults(command=_openapi)
    return parser


def _in_transaction(settings: Settings, work: Callable[[Session], T]) -> T:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        with make_sessionmaker(engine).begin() as session:
            return work(session)
    finally:
        engine.dispose()


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from app.main import create_app  # noqa: PLC0415 - keeps `attestd token` light

    migrate.upgrade(settings.database_url)
    _announce_first_admin(settings)
    host = args.host or settings.host
    port = args.port or settings.port
    logger.info(
        "serving",
        extra=log_fields(host=host, port=port, environment=settings.environment.value),
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return 0


def _announce_first_admin(settings: Settings) -> None:
    if not settings.is_development:
        if not _in_transaction(settings, _has_admin):
            logger.warning(
                "no admin token exists; create one with"
                " `attestd token create --role admin --name NAME`"
            )
        return
    secret = _in_transaction(settings, ensure_first_admin)
    if secret is not None:
        print(
            "attestd: no admin token existed, so one was created. It is shown only this once:\n"
            f"\n    {secret}\n",
            flush=True,
        )


def _has_admin(session: Session) -> bool:
    from app.auth.repository import TokenRepository  # noqa: PLC0415

    return TokenRepository(session).active_admin_exists()


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    logger.info("migrated", extra=log_fields(database=_safe_url(settings.database_url)))
    return 0


def _token_create(settings: Settings, args: argparse.Namespace) -> int:
    secret, _ = _in_transaction(
        settings,
        lambda session: create_token(
            session, name=args.name, role=Role(args.role), services=args.service
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
    token = _in_transaction(settings, lambda session: revoke_token(session, args.name))
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
