"""SBOM documents made in the test, for when no file of tests/sboms/files says what is needed."""

from __future__ import annotations

import json


def cyclonedx(*purls: str, serial: str = "1") -> bytes:
    """A minimal CycloneDX 1.6 SBOM with one component per purl."""
    components = [
        {"type": "library", "name": purl.rsplit("/", 1)[-1].split("@")[0], "purl": purl}
        | ({"version": purl.rsplit("@", 1)[1].split("?")[0]} if "@" in purl else {})
        for purl in purls
    ]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:00000000-0000-4000-8000-{int(serial):012d}",
        "version": 1,
        "components": components,
    }
    return json.dumps(bom).encode()
