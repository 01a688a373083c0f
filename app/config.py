"""Settings: the only place that reads the environment.

Every setting is an ``ATTESTD_*`` environment variable. A ``Settings`` object is
built by the command line or by ``create_app``'s caller, never at import time.
"""

from __future__ import annotations

import logging
import stat
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/attestd.db"
DEV_SIGNING_KEY_FILE = Path("var/signing-key.pem")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_AUDIT_ORIGIN = "attestd.localhost/audit"
DAY_SECONDS = 24 * 60 * 60
MiB = 1024 * 1024


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class UnsafeSettingsError(ValueError):
    """A production configuration that keeps a development-only default."""


class Settings(BaseSettings):
    """attestd configuration, read from ``ATTESTD_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ATTESTD_", extra="ignore", frozen=True)

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="development or production; production refuses unsafe defaults.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
    )
    host: str = Field(default="127.0.0.1", description="Address `attestd serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `attestd serve` uses.")
    max_body_bytes: int = Field(
        default=64 * MiB,
        ge=1024,
        description="Largest request body accepted; larger bodies get 413 before buffering.",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    db_pool_size: int = Field(default=5, ge=1, le=100, description="PostgreSQL pool size.")
    signing_key_file: Path | None = Field(
        default=None,
        description=(
            "PEM (PKCS#8) Ed25519 private key of this attestd: signs the audit log's"
            " checkpoints, and the verification summaries unless ATTESTD_VSA_KEY_FILE is set."
            f" Unset in development: {DEV_SIGNING_KEY_FILE}, generated on first use."
        ),
    )
    vsa_key_file: Path | None = Field(
        default=None,
        description=(
            "PEM (PKCS#8) Ed25519 private key that signs the verification summaries alone."
            " Unset: the signing key signs them. In production the file must exist and be"
            " readable by its owner only."
        ),
    )
    vsa_validity_seconds: int = Field(
        default=DAY_SECONDS,
        ge=60,
        le=30 * DAY_SECONDS,
        description=(
            "How long a verification summary stays valid (its validUntil), at most; sooner when"
            " an exception it relied on expires first."
        ),
    )
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        max_length=512,
        pattern=r"^https?://[^\s/?#]+(?:/[^\s?#]*)?$",
        description=(
            "The URL clients reach attestd at: the verifier id of its verification summaries"
            " and the base of the URIs they give for policies and evidence."
        ),
    )
    audit_origin: str = Field(
        default=DEFAULT_AUDIT_ORIGIN,
        min_length=1,
        max_length=256,
        pattern=r"^[^\s+\x00-\x1f\x7f]+$",
        description="Origin line of the audit log's checkpoints and name of its signing key.",
    )

    trust_roots: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description=(
            "Comma-separated paths of Sigstore trusted_root.json files. Unset: the public-good"
            " production root shipped with sigstore-python. Never refreshed over the network."
        ),
    )

    @field_validator("trust_roots", mode="before")
    @classmethod
    def _split_trust_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(Path(part.strip()) for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        level = self.log_level.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(
                f"log_level must be DEBUG, INFO, WARNING or ERROR, not {self.log_level!r}"
            )
        object.__setattr__(self, "log_level", level)
        if self.environment is Environment.PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise UnsafeSettingsError("refusing to run in production: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What in this configuration is a development-only default."""
        problems = []
        if self.database_url == DEFAULT_DATABASE_URL:
            problems.append("ATTESTD_DATABASE_URL is the development default; set it explicitly")
        if self.signing_key_file is None:
            problems.append(
                "ATTESTD_SIGNING_KEY_FILE is unset; production needs its own configured key"
            )
        if self.log_level == "DEBUG":
            problems.append("ATTESTD_LOG_LEVEL=DEBUG may log request details; use INFO or above")
        if self.public_url == DEFAULT_PUBLIC_URL:
            problems.append(
                "ATTESTD_PUBLIC_URL is the development default; set the URL clients reach "
                "attestd at (it is the verifier id of every verification summary)"
            )
        if self.audit_origin == DEFAULT_AUDIT_ORIGIN:
            problems.append(
                "ATTESTD_AUDIT_ORIGIN is the development default; give this deployment's own "
                "origin (every checkpoint names it)"
            )
        if self.vsa_key_file is not None:
            problems.extend(_private_file_problems(self.vsa_key_file, "ATTESTD_VSA_KEY_FILE"))
        return problems

    @property
    def signing_key_path(self) -> Path:
        """The configured key file, or the development key under ./var/."""
        return self.signing_key_file or DEV_SIGNING_KEY_FILE

    @property
    def vsa_validity(self) -> timedelta:
        return timedelta(seconds=self.vsa_validity_seconds)

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def _private_file_problems(path: Path, variable: str) -> list[str]:
    """Why ``path`` cannot hold a private key in production: missing, or open to others."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return [f"{variable} {path}: cannot read it ({error.strerror})"]
    if not stat.S_ISREG(mode):
        return [f"{variable} {path}: not a file"]
    if stat.S_IMODE(mode) & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            f"{variable} {path}: its mode {stat.S_IMODE(mode):04o} lets users other than its "
            "owner read or change it; make it 0600 or 0400"
        ]
    return []
