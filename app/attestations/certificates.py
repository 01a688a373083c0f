"""The signing certificate checked against a trust root's Fulcio CAs and CT logs. Pure.

``certificate_reasons`` makes the checks sigstore-python makes on a Fulcio leaf,
for the paths where attestd verifies a bundle itself:

* the leaf chains, at the verified signing time, to a certificate authority of
  the trust root whose ``validFor`` covers that time (both ends included). The
  anchor is the self-signed certificate that ends the CA's chain; intermediates
  come from the trust root too, never from the bundle, so a bundle cannot bring
  its own CA. Every certificate of the chain must be valid at that time
  (``expired-certificate`` for the leaf, ``untrusted-chain`` otherwise);
* key usage digitalSignature and the code-signing extended key usage
  (``certificate-usage``): a TLS or CA certificate cannot sign artifacts;
* an embedded SCT (RFC 6962 precertificate entry) that verifies with a CT log of
  the trust root whose key was in use at the SCT's time (``sct-invalid``): it
  proves the certificate was published, so a CA that issues in secret is caught.
  It is required whenever the root lists CT logs; only a root with none (GitHub's
  own instance) lets a leaf go without one.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.certificate_transparency import (
    LogEntryType,
    SignedCertificateTimestamp,
)
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)
from cryptography.x509.verification import VerificationError as ChainError

from app.attestations.bundles import Reason
from app.attestations.trust import CertificateAuthority, LogKey

__all__ = ["certificate_reasons", "verified_chain"]

# Fulcio leaves carry code signing, not the client-auth EKU a WebPKI client verifier
# expects: the EKU is checked below instead; every other default stays.
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca().may_be_present(
    x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
)
_LEAF_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
)
_SCT_HASHES: dict[type[hashes.HashAlgorithm], hashes.HashAlgorithm] = {
    hashes.SHA256: hashes.SHA256(),
    hashes.SHA384: hashes.SHA384(),
    hashes.SHA512: hashes.SHA512(),
}


def _chain_at(
    leaf: x509.Certificate, authority: CertificateAuthority, moment: datetime
) -> list[x509.Certificate] | None:
    """The verified chain above ``leaf`` (issuer first) through ``authority``; else None."""
    *intermediates, anchor = authority.chain
    if anchor.subject != anchor.issuer:
        return None  # a chain that does not end in a self-signed root anchors nothing
    verifier = (
        PolicyBuilder()
        .store(Store([anchor]))
        .time(moment)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_LEAF_POLICY)
        .build_client_verifier()
    )
    try:
        return list(verifier.verify(leaf, intermediates).chain[1:])
    except (ChainError, x509.UnsupportedGeneralNameType, ValueError):
        return None


def verified_chain(
    leaf: x509.Certificate, authorities: Sequence[CertificateAuthority], moment: datetime
) -> list[x509.Certificate] | None:
    """The chain above ``leaf`` at ``moment`` through the first CA that verifies it."""
    for authority in authorities:
        if authority.valid_for.covers(moment):
            chain = _chain_at(leaf, authority, moment)
            if chain is not None:
                return chain
    return None


def _usage_reasons(leaf: x509.Certificate) -> list[Reason]:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        extended = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return [
            Reason(
                "certificate-usage",
                "the signing certificate states no key usage or no extended key usage",
            )
        ]
    reasons = []
    if not usage.digital_signature:
        reasons.append(
            Reason("certificate-usage", "the signing certificate is not for digital signatures")
        )
    if ExtendedKeyUsageOID.CODE_SIGNING not in extended:
        reasons.append(
            Reason("certificate-usage", "the signing certificate is not for code signing")
        )
    return reasons


def _precert_signed_data(
    sct: SignedCertificateTimestamp, leaf: x509.Certificate, issuer: x509.Certificate
) -> bytes:
    """RFC 6962 section 3.2: what a CT log signs for a precertificate entry."""
    issuer_key = issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    tbs = leaf.tbs_precertificate_bytes
    millis = int(sct.timestamp.timestamp() * 1000)
    return (
        struct.pack("!BBQH", 0, 0, millis, 1)
        + hashlib.sha256(issuer_key).digest()
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack("!H", len(sct.extension_bytes))
        + sct.extension_bytes
    )


def _sct_verifies(
    sct: SignedCertificateTimestamp,
    leaf: x509.Certificate,
    issuer: x509.Certificate,
    ct_logs: Sequence[LogKey],
) -> bool:
    if sct.entry_type is not LogEntryType.PRE_CERTIFICATE:
        return False
    algorithm = _SCT_HASHES.get(type(sct.signature_hash_algorithm))
    if algorithm is None:
        return False
    signed = _precert_signed_data(sct, leaf, issuer)
    moment = sct.timestamp.replace(tzinfo=leaf.not_valid_before_utc.tzinfo)
    for log in ct_logs:
        if log.log_id != sct.log_id or not log.valid_for.covers(moment):
            continue
        try:
            if isinstance(log.key, ec.EllipticCurvePublicKey):
                log.key.verify(sct.signature, signed, ec.ECDSA(algorithm))
            elif isinstance(log.key, rsa.RSAPublicKey):
                log.key.verify(sct.signature, signed, padding.PKCS1v15(), algorithm)
            else:
                continue
        except (InvalidSignature, UnsupportedAlgorithm, ValueError):
            continue
        return True
    return False


def _sct_reasons(
    leaf: x509.Certificate, chain: Sequence[x509.Certificate], ct_logs: Sequence[LogKey]
) -> list[Reason]:
    if not ct_logs:
        return []  # a root without CT logs (GitHub's own instance) publishes no SCTs
    try:
        scts = leaf.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound:
        scts = None
    except ValueError:
        scts = None  # an SCT list that does not parse proves nothing
    if scts and any(_sct_verifies(sct, leaf, chain[0], ct_logs) for sct in scts):
        return []
    return [
        Reason(
            "sct-invalid",
            "the signing certificate has no valid SCT from a CT log of the trust root",
        )
    ]


def certificate_reasons(
    leaf: x509.Certificate,
    *,
    authorities: Sequence[CertificateAuthority],
    ct_logs: Sequence[LogKey],
    moment: datetime,
) -> list[Reason]:
    """Why ``leaf`` cannot sign at ``moment`` (the verified signing time); [] when it can."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if not start <= moment <= end:
        return [
            Reason(
                "expired-certificate",
                f"the signing certificate (valid {start.isoformat()} to {end.isoformat()}) was "
                f"not valid at the signing time {moment.isoformat()}",
            )
        ]
    chain = verified_chain(leaf, authorities, moment)
    if chain is None:
        return [
            Reason(
                "untrusted-chain",
                "the signing certificate does not chain to a certificate authority of the trust "
                f"root valid at {moment.isoformat()}",
            )
        ]
    return [*_usage_reasons(leaf), *_sct_reasons(leaf, chain, ct_logs)]
