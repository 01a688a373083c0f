"""SBOMs: CycloneDX (JSON, XML) and SPDX (JSON) documents, parsed hardened and checked
against the official schemas before anything is stored.

``loading.load_sbom`` is the entry point: format detection (``formats``), hardened
parsing (``parsing``) and validation against the official schemas (``validation``).
"""
