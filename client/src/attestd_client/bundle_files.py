"""What a ``--bundle`` file holds, told from its content rather than its name.

::

    one JSON document with attestation_bundles   a PEP 740 provenance file (attestd_client.pep740):
                                                  each attestation converted, sent on its own
    one JSON document                             one Sigstore bundle, sent as it is
    several lines, one a JSON object alone        JSON Lines (``gh attestation download``): each
                                                  non-blank line its own bundle
    anything else                                 one body, sent as it is: the server says why not

A line of JSON Lines that is not a JSON object, or a PEP 740 file without PEP
740's shape, is a ``UsageError`` naming the line or the place: nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from attestd_client.errors import UsageError
from attestd_client.pep740 import Pep740Malformed, convert, is_pep740
from attestd_client.transport import parse_json

__all__ = ["BundleFile", "BundlePart", "split_bundles"]

# A file with more bad lines than this names the first ones and counts the rest.
_LINES_NAMED = 10


@dataclass(frozen=True)
class BundlePart:
    """One bundle to send from a file: its bytes, and where in the file it came from."""

    content: bytes = field(repr=False)
    part: str | None = None
    """None for a file that is one bundle; else ``line 3`` or the PEP 740 attestation."""
    line: int | None = None
    """The line of a JSON Lines file, from 1."""


@dataclass(frozen=True)
class BundleFile:
    """The bundles of one ``--bundle`` file, and what was made of the file, for the log."""

    parts: tuple[BundlePart, ...]
    note: str | None = None


def split_bundles(path: Path, content: bytes) -> BundleFile:
    """The bundles in ``content`` (the bytes of ``path``), in file order."""
    document = parse_json(content)
    if document is not None:
        if is_pep740(document):
            return _pep740(path, document)
        return BundleFile((BundlePart(content),))
    lines = _json_lines(path, content)
    if lines is None:
        return BundleFile((BundlePart(content),))
    return BundleFile(
        lines, note=f"--bundle {path}: JSON Lines, {len(lines)} bundles, each sent on its own"
    )


def _pep740(path: Path, document: object) -> BundleFile:
    try:
        converted = convert(document)
    except Pep740Malformed as error:
        raise UsageError(
            *(f"--bundle {path}: not a PEP 740 provenance file: {p}" for p in error.problems)
        ) from None
    publishers = sorted({item.publisher for item in converted if item.publisher is not None})
    count = len(converted)
    note = (
        f"--bundle {path}: PEP 740 provenance, publisher {'; '.join(publishers) or 'not named'}: "
        f"{count} attestation{'' if count == 1 else 's'}, each converted to a Sigstore "
        "bundle v0.3 and sent on its own"
    )
    parts = tuple(
        BundlePart(
            item.content,
            part=f"{item.position} (PEP 740"
            + ("" if item.publisher is None else f", {item.publisher}")
            + ")",
        )
        for item in converted
    )
    return BundleFile(parts, note=note)


def _json_lines(path: Path, content: bytes) -> tuple[BundlePart, ...] | None:
    """Each non-blank line as a bundle, when some line is a JSON object alone; else None."""
    numbered = [
        (number, line.strip())
        for number, line in enumerate(content.split(b"\n"), start=1)
        if line.strip()
    ]
    parsed = [(number, line, parse_json(line)) for number, line in numbered]
    if len(parsed) < 2 or not any(isinstance(document, dict) for _, _, document in parsed):
        return None
    bad = [
        f"--bundle {path}: line {number} is "
        + ("not JSON" if document is None else "JSON but not an object")
        + " (JSON Lines: one bundle per line)"
        for number, _, document in parsed
        if not isinstance(document, dict)
    ]
    if bad:
        more = len(bad) - _LINES_NAMED
        raise UsageError(
            *bad[:_LINES_NAMED], *([f"--bundle {path}: {more} more such lines"] if more > 0 else [])
        )
    return tuple(BundlePart(line, part=f"line {number}", line=number) for number, line, _ in parsed)
