"""The SBOM test files (tests/sboms/files) and what each is expected to do.

``GENERATED`` names the SBOMs a real generator makes during the run (the
``generated_sboms`` fixture of tests/sboms/conftest.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.sboms.formats import SbomFormat
from app.sboms.loading import LoadedSbom

FILES = Path(__file__).parent / "files"

# The plain type each format is sniffed from (tag-value has only its own).
GENERIC_TYPES = {
    SbomFormat.CYCLONEDX_JSON: "application/json",
    SbomFormat.SPDX_JSON: "application/json",
    SbomFormat.SPDX_JSON_LD: "application/json",
    SbomFormat.SPDX_TAG_VALUE: "text/spdx",
    SbomFormat.CYCLONEDX_XML: "application/xml",
}


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def _cases(manifest: str) -> list[pytest.ParameterSet]:
    entries = json.loads((FILES / manifest).read_text(encoding="utf-8"))
    return [pytest.param(entry, id=f"{entry['file']}|{entry['content_type']}") for entry in entries]


KNOWN_GOOD = _cases("known_good.json")
KNOWN_BAD = _cases("known_bad.json")

# The (syntax, spec version) pairs generated once per run: three versions per syntax,
# covering what the loading and extraction tests read.
GENERATED = [
    ("JSON", "1.6"),
    ("JSON", "1.4"),
    ("JSON", "1.3"),
    ("JSON", "1.2"),
    ("XML", "1.6"),
    ("XML", "1.5"),
    ("XML", "1.3"),
]


def component_count(sbom: LoadedSbom) -> int:
    """Top-level components (CycloneDX) or packages (SPDX) in a loaded SBOM."""
    if sbom.format in {SbomFormat.SPDX_JSON, SbomFormat.SPDX_TAG_VALUE}:
        return len(sbom.document.get("packages", []))
    if sbom.format is SbomFormat.SPDX_JSON_LD:
        graph = sbom.document["@graph"]
        return sum(element["type"] == "software_Package" for element in graph)
    if sbom.format is SbomFormat.CYCLONEDX_JSON:
        return len(sbom.document.get("components", []))
    namespace = etree.QName(sbom.document).namespace
    return len(sbom.document.findall(f"{{{namespace}}}components/{{{namespace}}}component"))


class _CountingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"LOOPBACK-CONTENT-THAT-MUST-NEVER-BE-READ")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - overrides the base
        return


@contextmanager
def loopback_http_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that records every request: (base URL, requests seen)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
