"""Readiness: is the database reachable, and is its schema the one this code expects?"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import ServiceUnavailable
from app.logs import log_fields

logger = logging.getLogger("attestd.health")


def check_database(engine: Engine, expected_heads: frozenset[str]) -> None:
    """Raise ServiceUnavailable unless the database answers and is fully migrated."""
    try:
        with engine.connect() as connection:
            current = frozenset(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    except SQLAlchemyError as exc:
        logger.warning("database not ready", extra=log_fields(error=type(exc).__name__))
        raise ServiceUnavailable("The database is not reachable.") from None
    if current != expected_heads:
        raise ServiceUnavailable(
            "The database schema is not at the newest migration; run `attestd migrate`."
        )
