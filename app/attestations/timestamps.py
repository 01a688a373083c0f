"""RFC 3161 signed timestamps checked against a trust root's timestamp authorities. Pure.

A bundle's ``timestampVerificationData.rfc3161Timestamps`` prove when it was
signed when no transparency log does (GitHub's own Sigstore instance, Rekor v2).
``verified_timestamps`` accepts a timestamp only when all of this holds:

* it parses as a granted ``TimeStampResp`` (``timestamp-invalid``);
* its message imprint is the hash of the bundle's signature bytes, as the bundle
  specification says (``timestamp-imprint-mismatch``): a timestamp over anything
  else, or over another bundle's signature, says nothing about this one;
* its CMS signature verifies with the TSA certificate of a timestamp authority of
  the trust root, chained to that authority's root at the timestamp's time, with
  the critical timeStamping EKU: a TSA the root does not list proves nothing
  (``timestamp-untrusted``), nor does a token that does not verify with the TSA it
  names (``timestamp-invalid``);
* its time lies in that authority's ``validFor``, both ends included as the
  trust-root specification says (``timestamp-outside-validity``): a TSA key
  retired (or compromised) at its end cannot date signatures after it.

The cryptography is rfc3161-client's (the library sigstore-python uses): its
public ``VerifierBuilder`` with the TSA certificate, intermediates and root from
the trust root, never from the timestamp. At most ``MAX_TIMESTAMPS`` are read,
and a timestamp given twice is refused, as sigstore-python and sigstore-go do.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from rfc3161_client import (
    PKIStatus,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from app.attestations.bundles import Reason
from app.attestations.trust import CertificateAuthority

__all__ = ["MAX_TIMESTAMPS", "VerifiedTimestamp", "timestamp_reasons", "verified_timestamps"]

MAX_TIMESTAMPS = 32
_IMPRINT_HASHES = {
    x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1"): hashlib.sha256,
    x509.ObjectIdentifier("2.16.840.1.101.3.4.2.2"): hashlib.sha384,
    x509.ObjectIdentifier("2.16.840.1.101.3.4.2.3"): hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class VerifiedTimestamp:
    """A timestamp that verified: its time and the authority that signed it."""

    time: datetime
    authority: str  # the timestamp authority's URI in the trust root


@dataclass(frozen=True, slots=True)
class Timestamps:
    """The verified timestamps of a bundle, and why each other one was refused."""

    verified: tuple[VerifiedTimestamp, ...]
    reasons: tuple[Reason, ...]


def _imprint_matches(response: TimeStampResponse, signature: bytes) -> bool:
    imprint = response.tst_info.message_imprint
    digest = _IMPRINT_HASHES.get(imprint.hash_algorithm)
    return digest is not None and digest(signature).digest() == imprint.message


def _names(response: TimeStampResponse, authority: CertificateAuthority) -> bool:
    """Whether ``response`` says it is signed by ``authority``'s TSA certificate."""
    tsa = authority.chain[0]
    return any(
        signer.issuer == tsa.issuer and signer.serial_number == tsa.serial_number
        for signer in response.signed_data.signer_infos
    )


def _chain_holds(authority: CertificateAuthority, moment: datetime) -> bool:
    """Each certificate of ``authority``'s chain issued by the next and valid at ``moment``."""
    chain = authority.chain
    for certificate, issuer in itertools.pairwise(chain):
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return False
    return all(c.not_valid_before_utc <= moment <= c.not_valid_after_utc for c in chain)


def _signed_by(response: TimeStampResponse, authority: CertificateAuthority) -> bool:
    """Whether ``authority``'s TSA certificate signed ``response`` (chain at its time)."""
    if len(authority.chain) < 2:  # a TSA certificate and the root that issued it
        return False
    tsa, *intermediates, root = authority.chain
    builder = VerifierBuilder().tsa_certificate(tsa).add_root_certificate(root)
    for intermediate in intermediates:
        builder = builder.add_intermediate_certificate(intermediate)
    try:
        builder.build().verify(response, response.tst_info.message_imprint.message)
    except (VerificationError, ValueError):
        return False
    return True


def _read(where: str, content: bytes) -> TimeStampResponse | Reason:
    try:
        response = decode_timestamp_response(content)
        granted = PKIStatus(response.status) == PKIStatus.GRANTED
    except ValueError:
        return Reason("timestamp-invalid", f"{where} is not an RFC 3161 timestamp response")
    if not granted:
        return Reason("timestamp-invalid", f"{where} was not granted by its authority")
    return response


def _one(
    number: int, content: bytes, signature: bytes, authorities: Sequence[CertificateAuthority]
) -> VerifiedTimestamp | Reason:
    where = f"timestamp {number}"
    response = _read(where, content)
    if isinstance(response, Reason):
        return response
    if not _imprint_matches(response, signature):
        return Reason(
            "timestamp-imprint-mismatch",
            f"{where} is not over this bundle's signature (its message imprint differs)",
        )
    moment = response.tst_info.gen_time
    signers = [authority for authority in authorities if _signed_by(response, authority)]
    if not signers:
        named = [authority for authority in authorities if _names(response, authority)]
        if any(_chain_holds(authority, moment) for authority in named):
            return Reason(
                "timestamp-invalid",
                f"{where}'s signature does not verify with the timestamp authority it names",
            )
        return Reason(
            "timestamp-untrusted",
            f"{where} is not signed by a timestamp authority of the trust root whose "
            f"certificate chain holds at {moment.isoformat()}",
        )
    for authority in signers:
        if authority.valid_for.covers(moment):
            return VerifiedTimestamp(moment, authority.uri)
    return Reason(
        "timestamp-outside-validity",
        f"{where} ({moment.isoformat()}) is outside the validity period of the timestamp "
        "authority that signed it",
    )


def verified_timestamps(
    timestamps: Sequence[bytes],
    signature: bytes,
    authorities: Sequence[CertificateAuthority],
) -> Timestamps:
    """Each of ``timestamps`` checked over ``signature`` against ``authorities``."""
    if len(timestamps) > MAX_TIMESTAMPS:
        reason = Reason(
            "timestamp-invalid",
            f"the bundle has {len(timestamps)} timestamps; at most {MAX_TIMESTAMPS} are read",
        )
        return Timestamps((), (reason,))
    if len(set(timestamps)) != len(timestamps):
        return Timestamps((), (Reason("timestamp-invalid", "a timestamp is given twice"),))
    verified: list[VerifiedTimestamp] = []
    reasons: list[Reason] = []
    for number, content in enumerate(timestamps):
        found = _one(number, content, signature, authorities)
        if isinstance(found, Reason):
            reasons.append(found)
        else:
            verified.append(found)
    return Timestamps(tuple(verified), tuple(reasons))


def timestamp_reasons(found: Timestamps) -> list[Reason]:
    """Why ``found`` proves no signing time; [] when at least one timestamp verified."""
    if found.verified:
        return []
    return list(found.reasons) or [
        Reason("no-signed-time", "the bundle has no RFC 3161 timestamp and no log entry")
    ]
