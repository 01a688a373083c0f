"""Token strings kept as data files next to the tests that use them."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def token_samples(file_name: str) -> list[pytest.ParameterSet]:
    """One pytest param per sample in ``file_name``, named by the comment above it.

    Backslash escapes are decoded so that invisible characters can be written
    visibly in the file (the files are plain ASCII).
    """
    samples = []
    why = ""
    for line in (_HERE / file_name).read_text(encoding="ascii").splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            why = line.removeprefix("#").strip()
            continue
        value = line.encode("ascii").decode("unicode_escape")
        samples.append(pytest.param(value, id=why or repr(value)))
        why = ""
    if not samples:
        raise ValueError(f"{file_name} holds no samples")
    return samples


MALFORMED_TOKENS = token_samples("malformed_tokens.txt")
WELL_FORMED_TOKENS = token_samples("well_formed_tokens.txt")
