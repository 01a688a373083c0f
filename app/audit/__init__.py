"""The tamper-evident audit log: an RFC 6962 Merkle log of every state change."""
