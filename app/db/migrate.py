"""Running the Alembic migrations from code (``attestd migrate``, ``attestd serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

import app
from app.db.engine import sqlite_file

_PACKAGE_DIR = Path(app.__file__).resolve().parent


def migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, else the source tree."""
    for candidate in (_PACKAGE_DIR / "migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("attestd's migrations directory was not found")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # Alembic's ini interpolation treats % specially.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # env.py configures no logging when run from here: attestd already has.
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every pending migration up to ``revision``."""
    path = sqlite_file(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


def expected_heads(database_url: str) -> frozenset[str]:
    """The revisions a fully migrated database is at."""
    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
