"""The defaults both commands share, and the environment variables that stand in for flags.

Plain constants, importable without httpx, so that the command line can be
built (and ``attestd --help`` list the client's commands) at no cost.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_RETRY_DELAY",
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_DELAY",
    "SERVER_VARIABLE",
    "TOKEN_VARIABLE",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds per request."""
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0

SERVER_VARIABLE = "ATTESTD_SERVER"
"""The server's base URL, when ``--server`` is not given."""
TOKEN_VARIABLE = "ATTESTD_TOKEN"  # noqa: S105 - the name of a variable, not a secret
"""The variable that holds the token, when ``--token-env`` is not given."""
