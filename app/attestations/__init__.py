"""Sigstore bundles and in-toto attestations: trust roots, verification and receipts."""
