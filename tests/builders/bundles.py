"""Signed evidence of the ``payments`` release, made with the local test Sigstore.

The release is one artifact, ``NAME`` at ``DIGEST``. Its signature, its builds
(the SLSA statements of tests/provenance/predicates, their subject replaced)
and a signed SBOM are bundles a pipeline would submit; each is signed by one of
tests/builders/identities.py (the release workflow unless told otherwise).
"""

from __future__ import annotations

import json

from tests.builders.identities import RELEASE
from tests.provenance.statements import statement as predicate_statement
from tests.sigstore_local import (
    BuiltBundle,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)

NAME = "payments-1.4.0.tar.gz"
DIGEST_HEX = "9f2c6a4e0b7d15c8e3a1f6b2d4c8e0a7b5f3d1c9e7a5b3d1f9e7c5a3b1d9f7e5"
DIGEST = f"sha256:{DIGEST_HEX}"
CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"


def signature(
    sigstore: LocalSigstore, signer: SignerIdentity = RELEASE, digest_hex: str = DIGEST_HEX
) -> BuiltBundle:
    """A message signature over the artifact's digest."""
    return message_signature_bundle(sigstore, bytes.fromhex(digest_hex), signer=signer)


def build(
    sigstore: LocalSigstore,
    predicate: str,
    signer: SignerIdentity = RELEASE,
    digest_hex: str = DIGEST_HEX,
) -> BuiltBundle:
    """The statement of tests/provenance/predicates/``predicate``, about the artifact, signed."""
    document = predicate_statement(predicate)
    document["subject"] = [{"name": NAME, "digest": {"sha256": digest_hex}}]
    return dsse_bundle(sigstore, document, signer=signer)


def signed_sbom(
    sigstore: LocalSigstore,
    sbom: bytes,
    signer: SignerIdentity = RELEASE,
    digest_hex: str = DIGEST_HEX,
) -> BuiltBundle:
    """A CycloneDX JSON document as the predicate of a statement about the artifact, signed."""
    document = statement(
        {NAME: bytes.fromhex(digest_hex)},
        predicate_type=CYCLONEDX_PREDICATE,
        predicate=json.loads(sbom),
    )
    return dsse_bundle(sigstore, document, signer=signer)
