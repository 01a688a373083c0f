"""What attestd knows about its own installed package."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

# The server's distribution; `attestd` on the package index is another project's, and
# the pipeline client is its own distribution, attestd-client (client/).
DISTRIBUTION = "attestd-server"


def installed_version() -> str:
    """attestd's version as installed; 0.0.0 when run from a tree that is not installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"
