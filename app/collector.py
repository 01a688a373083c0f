"""Pausing Python's cyclic garbage collector around bulk work.

Parsing a large document or building its rows creates hundreds of thousands of
objects, none in reference cycles; each automatic collection on the way walks
all of them again, which makes such work 2-3x slower. ``collector_paused`` holds
the collector off for the duration and is safe to nest and to use from several
threads: the collector comes back when the last user leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_users = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _users, _was_enabled  # noqa: PLW0603 - one process-wide collector state
    with _lock:
        if _users == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _was_enabled:
                gc.enable()
