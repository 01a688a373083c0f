"""SBOMs: CycloneDX (JSON, XML), SPDX 2 (JSON, tag-value) and SPDX 3 (JSON-LD)
documents, parsed hardened and checked against the official schemas before anything
is stored.

``loading.load_sbom`` is the entry point: format detection (``formats``), hardened
parsing (``parsing``; tag-value in ``tagvalue``, into the SPDX JSON shape) and
validation against the official schemas (``validation``).
"""
