"""The signing certificate against a trust root's CAs and CT logs (certificates.py).

Each test flips one thing about a leaf the local Sigstore issues and expects its
own reason; the legitimate leaf passes next to them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from app.attestations.certificates import certificate_reasons
from app.attestations.trust import TrustRoot, Validity
from tests.sigstore_local import LocalSigstore, SignerIdentity
from tests.sigstore_local.authority import CTLog

SIGNER = SignerIdentity.github_workflow("attestd/demo")


def _leaf(sigstore: LocalSigstore, **options: object) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    issued = sigstore.valid_from + timedelta(days=20)
    return sigstore.issue_leaf(key.public_key(), SIGNER, not_before=issued, **options)  # type: ignore[arg-type]


def _slugs(leaf: x509.Certificate, root: TrustRoot, moment: datetime | None = None) -> list[str]:
    at = moment or leaf.not_valid_before_utc + timedelta(seconds=2)
    reasons = certificate_reasons(
        leaf, authorities=root.authorities, ct_logs=root.ct_logs, moment=at
    )
    return [reason.slug for reason in reasons]


def test_a_fulcio_leaf_with_its_sct_passes(local_sigstore, trust_root):
    assert _slugs(_leaf(local_sigstore), trust_root) == []


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(minutes=10)])
def test_the_leaf_is_valid_at_both_ends_of_its_period(local_sigstore, trust_root, offset):
    leaf = _leaf(local_sigstore)
    assert _slugs(leaf, trust_root, leaf.not_valid_before_utc + offset) == []


@pytest.mark.parametrize("offset", [timedelta(seconds=-1), timedelta(minutes=10, seconds=1)])
def test_a_time_outside_the_leaf_is_expired_certificate(local_sigstore, trust_root, offset):
    leaf = _leaf(local_sigstore)
    assert _slugs(leaf, trust_root, leaf.not_valid_before_utc + offset) == ["expired-certificate"]


def test_a_leaf_of_another_ca_is_untrusted_chain(local_sigstore, other_sigstore, trust_root):
    # The other Sigstore's CA issues it, with an SCT from this one's CT log.
    leaf = _leaf(local_sigstore, ca=other_sigstore.ca)
    assert _slugs(leaf, trust_root) == ["untrusted-chain"]


def test_a_ca_outside_its_valid_for_is_untrusted_chain(local_sigstore, trust_root):
    leaf = _leaf(local_sigstore)
    (authority,) = trust_root.authorities
    ended = dataclasses.replace(
        authority,
        valid_for=Validity(authority.valid_for.start, leaf.not_valid_before_utc),
    )
    at_end = certificate_reasons(
        leaf,
        authorities=[ended],
        ct_logs=trust_root.ct_logs,
        moment=leaf.not_valid_before_utc,
    )
    after_end = certificate_reasons(
        leaf,
        authorities=[ended],
        ct_logs=trust_root.ct_logs,
        moment=leaf.not_valid_before_utc + timedelta(seconds=1),
    )
    assert at_end == []
    assert [reason.slug for reason in after_end] == ["untrusted-chain"]


def test_an_intermediate_alone_is_not_an_anchor(local_sigstore, trust_root):
    # A root whose CA chain lacks its self-signed root anchors nothing.
    leaf = _leaf(local_sigstore)
    (authority,) = trust_root.authorities
    headless = dataclasses.replace(authority, chain=authority.chain[:1])
    reasons = certificate_reasons(
        leaf, authorities=[headless], ct_logs=trust_root.ct_logs, moment=leaf.not_valid_before_utc
    )
    assert [reason.slug for reason in reasons] == ["untrusted-chain"]


def test_a_leaf_without_digital_signature_is_certificate_usage(local_sigstore, trust_root):
    leaf = _leaf(local_sigstore, digital_signature=False)
    assert _slugs(leaf, trust_root) == ["certificate-usage"]


def test_a_leaf_not_for_code_signing_is_certificate_usage(local_sigstore, trust_root):
    leaf = _leaf(local_sigstore, extended_usage=ExtendedKeyUsageOID.EMAIL_PROTECTION)
    assert _slugs(leaf, trust_root) == ["certificate-usage"]


def test_a_leaf_without_sct_is_sct_invalid_when_the_root_has_ct_logs(local_sigstore, trust_root):
    assert _slugs(_leaf(local_sigstore, sct=False), trust_root) == ["sct-invalid"]


def test_a_leaf_without_sct_passes_when_the_root_has_no_ct_log(local_sigstore, trust_root):
    no_ct = dataclasses.replace(trust_root, ct_logs=())
    assert _slugs(_leaf(local_sigstore, sct=False), no_ct) == []


def test_an_sct_from_a_log_the_root_does_not_list_is_sct_invalid(local_sigstore, trust_root):
    stranger = LocalSigstore(
        ca=local_sigstore.ca,
        ct_log=CTLog.generate(),
        tlog=local_sigstore.tlog,
        valid_from=local_sigstore.valid_from,
    )
    assert _slugs(_leaf(stranger), trust_root) == ["sct-invalid"]


def test_an_sct_made_before_its_log_key_was_in_use_is_sct_invalid(local_sigstore, trust_root):
    leaf = _leaf(local_sigstore)
    (ct_log,) = trust_root.ct_logs
    later = dataclasses.replace(
        ct_log, valid_for=Validity(leaf.not_valid_before_utc + timedelta(seconds=1), None)
    )
    no_longer = dataclasses.replace(trust_root, ct_logs=(later,))
    assert _slugs(leaf, no_longer) == ["sct-invalid"]


def test_a_forged_sct_signature_is_sct_invalid(local_sigstore, trust_root):
    leaf = _leaf(local_sigstore)
    sct_list = leaf.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
    ).value
    assert isinstance(sct_list, x509.PrecertificateSignedCertificateTimestamps)
    (sct,) = sct_list
    # The same leaf, re-signed by its CA after one bit of the SCT's signature flipped.
    forged = _resign_with_flipped_sct(local_sigstore, leaf, sct.signature)
    assert _slugs(forged, trust_root) == ["sct-invalid"]


def _resign_with_flipped_sct(
    sigstore: LocalSigstore, leaf: x509.Certificate, signature: bytes
) -> x509.Certificate:
    der = leaf.public_bytes(Encoding.DER)
    position = der.index(signature)
    flipped = der[:position] + bytes([signature[0] ^ 1]) + der[position + 1 :]
    changed = x509.load_der_x509_certificate(flipped)
    builder = (
        x509.CertificateBuilder()
        .subject_name(changed.subject)
        .issuer_name(changed.issuer)
        .public_key(changed.public_key())  # type: ignore[arg-type]
        .serial_number(changed.serial_number)
        .not_valid_before(changed.not_valid_before_utc)
        .not_valid_after(changed.not_valid_after_utc)
    )
    for extension in changed.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(sigstore.ca.intermediate_key, hashes.SHA256())
