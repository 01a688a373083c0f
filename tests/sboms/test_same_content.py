"""One SBOM written in every format attestd reads gives the same rows and the same verdicts.

tests/sboms/files/same-content holds the same three packages (a primary component and
two dependencies, each with supplier, version, purl, SHA-256, licence and purpose), the
same author, producer, tool, timestamp and generation context, in CycloneDX 1.6 and 1.7
JSON, SPDX 2.3 JSON and tag-value, and SPDX 3.0.1 JSON-LD.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from app.sboms.contents import Component
from app.sboms.extraction import extract
from app.sboms.loading import load_sbom
from app.sboms.profiles import judge_all, measure
from app.sboms.quality import score

FILES = Path(__file__).parent / "files" / "same-content"
FORMATS = {
    "cyclonedx-1.6.json": "application/vnd.cyclonedx+json",
    "cyclonedx-1.7.json": "application/vnd.cyclonedx+json",
    "spdx-2.3.json": "application/spdx+json",
    "spdx-2.3.spdx": "text/spdx",
    "spdx-3.0.1.json": "application/spdx+json",
}


def _row(component: Component) -> dict[str, object]:
    """A component as stored, but for what each format names its own way: the ref (a
    bom-ref, an SPDXID, an IRI) and the hash algorithm's spelling (SHA-256, SHA256,
    sha256), which is kept as written."""
    row = asdict(component)
    del row["ref"]
    row["hashes"] = [(a.upper().replace("-", ""), v) for a, v in component.hashes]
    return row


def _judged(file_name: str) -> dict[str, object]:
    sbom = load_sbom(FORMATS[file_name], (FILES / file_name).read_bytes())
    contents = extract(sbom)
    measures = measure(contents, sbom_format=sbom.format, spec_version=sbom.spec_version)
    return {
        "rows": sorted(map(_row, contents.components), key=lambda row: str(row["name"])),
        "primary": _row(contents.primary) if contents.primary else None,
        "document": (
            contents.authors,
            contents.producer,
            contents.tools,
            contents.timestamp,
            contents.lifecycles,
            contents.creator_contacts,
            contents.subject_digests,
        ),
        "quality": score(contents).to_json(),
        "verdicts": [asdict(result) for result in judge_all(measures, 1.0)],
    }


def test_every_file_of_the_set_is_there():
    assert sorted(p.name for p in FILES.iterdir()) == sorted(FORMATS)


@pytest.mark.parametrize("file_name", sorted(set(FORMATS) - {"cyclonedx-1.6.json"}))
def test_the_same_content_gives_the_same_rows_and_verdicts_in_every_format(file_name):
    expected = _judged("cyclonedx-1.6.json")
    assert [row["name"] for row in expected["rows"]] == ["requests", "urllib3"]
    assert all(row["supplier"] and row["purl"] and row["licenses"] for row in expected["rows"])
    verdicts = {str(v["profile"]): v["passed"] for v in expected["verdicts"]}
    assert verdicts == {"ntia-2021": True, "cisa-2025": True, "bsi-tr-03183-2": False}

    assert _judged(file_name) == expected
