"""The real PEP 740 provenance file of tests/attestations/pep740, and its known-bad twins.

Each twin is a file naming the fixture, one edit (a JSON pointer with a new value,
or a byte of a base64 value to flip) and the reason slug it must be refused with;
``Twin.document`` applies the edit. ``bundle_of`` converts a provenance document
the way ``attestd submit`` does.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attestd_client.pep740 import convert

FOLDER = Path(__file__).parent / "pep740"
PROVENANCE = FOLDER / "pypi_attestations-0.0.19.tar.gz.provenance"
PUBLISH_PREDICATE = "https://docs.pypi.org/attestations/publish/v1"
PUBLISHER_REPOSITORY = "https://github.com/trailofbits/pypi-attestations"
SIGNER = (
    "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
    "@refs/tags/v0.0.19"
)
SUBJECT_NAME = "pypi_attestations-0.0.19.tar.gz"
SUBJECT_DIGEST = "sha256:9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3"


def provenance() -> dict[str, Any]:
    """The real provenance file, parsed."""
    document = json.loads(PROVENANCE.read_bytes())
    assert isinstance(document, dict)
    return document


def bundle_of(document: dict[str, Any]) -> bytes:
    """The one attestation of ``document`` as the Sigstore bundle ``attestd submit`` sends."""
    (converted,) = convert(document)
    return converted.content


@dataclass(frozen=True)
class Twin:
    """A known-bad twin: one edit of the fixture, and the reason it must be refused with."""

    name: str
    pointer: str
    reason: str
    value: Any = None
    flip_byte: int | None = None

    def document(self) -> dict[str, Any]:
        """The fixture with this twin's one edit."""
        document = copy.deepcopy(provenance())
        *path, last = self.pointer.removeprefix("/").split("/")
        holder: Any = document
        for step in path:
            holder = holder[int(step)] if isinstance(holder, list) else holder[step]
        key: Any = int(last) if isinstance(holder, list) else last
        if self.flip_byte is None:
            assert holder[key] != self.value, f"{self.name} changes nothing"
            holder[key] = self.value
        else:
            raw = bytearray(base64.b64decode(holder[key], validate=True))
            raw[self.flip_byte] ^= 1
            holder[key] = base64.b64encode(bytes(raw)).decode()
        return document


def twins() -> list[Twin]:
    """Every ``bad-*.json`` of the folder, in name order."""
    found = []
    for path in sorted(FOLDER.glob("bad-*.json")):
        spec = json.loads(path.read_text())
        assert spec["fixture"] == PROVENANCE.name, path.name
        found.append(
            Twin(
                name=path.stem,
                pointer=spec["pointer"],
                reason=spec["reason"],
                value=spec.get("value"),
                flip_byte=spec.get("flip_byte"),
            )
        )
    return found
