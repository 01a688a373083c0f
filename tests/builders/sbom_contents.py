"""SBOM contents (``app.sboms.contents``) built in the test, for the pure SBOM tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.sboms.contents import Component

# BSI TR-03183-2's CycloneDX properties, each with a value its taxonomy allows.
BSI_PROPERTIES = {
    "bsi:component:executable": "non-executable",
    "bsi:component:archive": "archive",
    "bsi:component:structured": "structured",
}


def component(ref: str | None = "a", **changes: Any) -> Component:
    """A component carrying every element quality and the profiles measure; ``changes``
    take some away."""
    full = Component(
        ref=ref,
        name=f"pkg-{ref}",
        version="1.0.0",
        type="library",
        purl=f"pkg:pypi/pkg-{ref}@1.0.0",
        purl_valid=True,
        cpe=None,
        supplier="Example Corp",
        licenses=("MIT",),
        hashes=(("SHA-256", "ab" * 32), ("SHA-512", "5e" * 64)),
        contacts=("security@example.com",),
        filename=f"pkg_{ref}-1.0.0.whl",
        properties=tuple(BSI_PROPERTIES.items()),
    )
    return dataclasses.replace(full, **changes)
