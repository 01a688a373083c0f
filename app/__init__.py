"""attestd: a software supply-chain attestation service."""
