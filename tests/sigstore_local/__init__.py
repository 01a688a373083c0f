"""A local, offline Sigstore for tests: CA chain, CT log, transparency log, trust root, bundles.

Build one ``LocalSigstore`` per test session (``LocalSigstore.generate()``),
write its ``trusted_root.json`` with ``write_trusted_root(folder)``, then make
bundles with ``message_signature_bundle`` and ``dsse_bundle``. Nothing here
touches the network.
"""

from tests.sigstore_local.authority import (
    GITHUB_ACTIONS_ISSUER,
    CertificateAuthority,
    CTLog,
    GitHubClaims,
    LocalSigstore,
    SignerIdentity,
)
from tests.sigstore_local.bundles import (
    DEFAULT_SIGNER,
    IN_TOTO_PAYLOAD_TYPE,
    BuiltBundle,
    BundleVersion,
    dsse_bundle,
    message_signature_bundle,
    statement,
    with_invalid_base64,
    with_media_type,
)
from tests.sigstore_local.transparency import LogEntry, TransparencyLog

__all__ = [
    "DEFAULT_SIGNER",
    "GITHUB_ACTIONS_ISSUER",
    "IN_TOTO_PAYLOAD_TYPE",
    "BuiltBundle",
    "BundleVersion",
    "CTLog",
    "CertificateAuthority",
    "GitHubClaims",
    "LocalSigstore",
    "LogEntry",
    "SignerIdentity",
    "TransparencyLog",
    "dsse_bundle",
    "message_signature_bundle",
    "statement",
    "with_invalid_base64",
    "with_media_type",
]
