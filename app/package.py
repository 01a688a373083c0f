"""What attestd knows about its own installed package."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    """attestd's version as installed; 0.0.0 when run from a tree that is not installed."""
    try:
        return version("attestd")
    except PackageNotFoundError:
        return "0.0.0"
