"""PEP 740 provenance files, as PyPI serves them, turned into Sigstore bundles.

PyPI serves the attestations of each uploaded file at
``https://pypi.org/integrity/<project>/<version>/<file>/provenance``, grouped by
the Trusted Publisher that signed them::

    {"version": 1,
     "attestation_bundles": [
       {"publisher": {"kind": "GitHub", "repository": "acme/app", "workflow": "release.yml", ...},
        "attestations": [
          {"version": 1,
           "verification_material": {"certificate": "<base64 DER>",
                                     "transparency_entries": [{<Rekor entry>}, ...]},
           "envelope": {"statement": "<base64 in-toto statement>",
                        "signature": "<base64 signature>"}}]}]}

Each attestation is the content of a Sigstore bundle in another dress
(``convert``): it becomes a bundle v0.3 holding a DSSE envelope of payload type
``application/vnd.in-toto+json`` with the statement and its one signature, the
certificate, and the transparency-log entries as given. Nothing is verified
here: the server verifies the bundle like any other, and refuses it with its
reasons. A file that does not have this shape is ``Pep740Malformed``, naming
each place that is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from attestd_client.safe_text import printable, shown

__all__ = [
    "BUNDLE_V03",
    "IN_TOTO_PAYLOAD_TYPE",
    "Converted",
    "Pep740Malformed",
    "convert",
    "is_pep740",
]

BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
# The one version of the provenance object and of the attestation object PEP 740 defines.
_VERSION = 1
# The fields of an attestation object (a lone attestation has no attestation_bundles).
_ATTESTATION_FIELDS = frozenset({"verification_material", "envelope"})
# A publisher is described by at most this many of its fields, each cut to this length.
_PUBLISHER_FIELDS = 4
_FIELD_TEXT = 100


class Pep740Malformed(ValueError):
    """The document is not a PEP 740 provenance object (or attestation); ``problems`` says where."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Converted:
    """One attestation of a provenance file, as a Sigstore bundle v0.3."""

    publisher: str | None
    """The Trusted Publisher that signed it, as PyPI names it: kind, then its fields; None
    for a lone attestation, which names none."""
    position: str
    """Where it is in the file: ``attestation_bundles[0].attestations[1]``."""
    content: bytes = field(repr=False)


def is_pep740(document: object) -> bool:
    """Whether ``document`` is meant as PEP 740: a provenance object, or one attestation."""
    if not isinstance(document, dict):
        return False
    return "attestation_bundles" in document or document.keys() >= _ATTESTATION_FIELDS


def convert(document: object) -> list[Converted]:
    """Every attestation of a PEP 740 ``document`` as a Sigstore bundle, in file order.

    A lone attestation object (what ``pypi-attestations sign`` writes) is taken too,
    with no publisher. Raises ``Pep740Malformed`` listing every problem found.
    """
    problems: list[str] = []
    if isinstance(document, dict) and "attestation_bundles" not in document:
        bundle = _bundle(document, "the attestation", problems)
        converted = [] if bundle is None else [Converted(None, "the attestation", bundle)]
    else:
        converted = _provenance(document, problems)
    if problems:
        raise Pep740Malformed(problems)
    return converted


def _provenance(document: object, problems: list[str]) -> list[Converted]:
    if not isinstance(document, dict):
        problems.append("a PEP 740 provenance file is a JSON object")
        return []
    if document.get("version") != _VERSION:
        problems.append(f"version is {shown(document.get('version'))}, not {_VERSION}")
    groups = _non_empty_list(document, "attestation_bundles", "", problems)
    converted: list[Converted] = []
    for index, group in enumerate(groups):
        where = f"attestation_bundles[{index}]"
        if not isinstance(group, dict):
            problems.append(f"{where} is not an object")
            continue
        publisher = _publisher(group.get("publisher"), f"{where}.publisher", problems)
        for number, attestation in enumerate(
            _non_empty_list(group, "attestations", where, problems)
        ):
            position = f"{where}.attestations[{number}]"
            bundle = _bundle(attestation, position, problems)
            if bundle is not None and publisher is not None:
                converted.append(Converted(publisher, position, bundle))
    return converted


def _non_empty_list(
    holder: Mapping[str, Any], name: str, where: str, problems: list[str]
) -> list[Any]:
    value = holder.get(name)
    place = f"{where}.{name}" if where else name
    if not isinstance(value, list) or not value:
        problems.append(f"{place} is {shown(value)[:60]}, not a non-empty list")
        return []
    return value


def _publisher(value: object, where: str, problems: list[str]) -> str | None:
    """``GitHub (repository=acme/app, workflow=release.yml)``: the kind, then its fields."""
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str) or not value["kind"]:
        problems.append(f"{where} is not an object with a kind")
        return None
    fields = [
        f"{name}={printable(text[:_FIELD_TEXT])}"
        for name, text in sorted(value.items())
        if name != "kind" and isinstance(text, str) and text
    ][:_PUBLISHER_FIELDS]
    kind = printable(value["kind"][:_FIELD_TEXT])
    return f"{kind} ({', '.join(fields)})" if fields else kind


def _bundle(attestation: object, where: str, problems: list[str]) -> bytes | None:
    """The Sigstore bundle v0.3 ``attestation`` stands for; None with its problems noted."""
    before = len(problems)
    if not isinstance(attestation, dict):
        problems.append(f"{where} is not an object")
        return None
    if attestation.get("version") != _VERSION:
        problems.append(f"{where}.version is {shown(attestation.get('version'))}, not {_VERSION}")
    material = _object(attestation, "verification_material", where, problems)
    envelope = _object(attestation, "envelope", where, problems)
    if material is None or envelope is None:
        return None
    certificate = _base64(material, "certificate", f"{where}.verification_material", problems)
    entries = _non_empty_list(
        material, "transparency_entries", f"{where}.verification_material", problems
    )
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(
                f"{where}.verification_material.transparency_entries[{index}] is not an object"
            )
    statement = _base64(envelope, "statement", f"{where}.envelope", problems)
    signature = _base64(envelope, "signature", f"{where}.envelope", problems)
    if len(problems) > before or certificate is None or statement is None or signature is None:
        return None
    bundle = {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "certificate": {"rawBytes": _encoded(certificate)},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": _encoded(statement),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": _encoded(signature)}],
        },
    }
    # Canonical bytes: the same attestation converted twice is the same submission.
    return json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()


def _object(
    holder: Mapping[str, Any], name: str, where: str, problems: list[str]
) -> dict[str, Any] | None:
    value = holder.get(name)
    if not isinstance(value, dict):
        problems.append(f"{where}.{name} is not an object")
        return None
    return value


def _base64(holder: Mapping[str, Any], name: str, where: str, problems: list[str]) -> bytes | None:
    value = holder.get(name)
    if not isinstance(value, str) or not value:
        problems.append(f"{where}.{name} is not a base64 string")
        return None
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        problems.append(f"{where}.{name} is not valid base64")
        return None
    return decoded


def _encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
