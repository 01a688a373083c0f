"""RFC 3161 timestamps against a trust root's timestamp authorities (timestamps.py).

Each test flips one step of a timestamp the local TSA signs and expects that
step's reason; the legitimate timestamp passes next to them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from app.attestations.timestamps import (
    MAX_TIMESTAMPS,
    timestamp_reasons,
    verified_timestamps,
)
from app.attestations.trust import CertificateAuthority, Validity
from tests.sigstore_local.timestamping import TimestampAuthority

SIGNATURE = b"the bundle's signature bytes"
START = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tsa() -> TimestampAuthority:
    return TimestampAuthority.generate(valid_from=START)


def _authority(tsa: TimestampAuthority, end: datetime | None = None) -> CertificateAuthority:
    return CertificateAuthority(tsa.url, tsa.chain, Validity(START, end))


def _slugs(timestamps, authorities, signature=SIGNATURE):
    return [
        r.slug for r in timestamp_reasons(verified_timestamps(timestamps, signature, authorities))
    ]


def test_a_timestamp_over_the_signature_from_a_listed_tsa_verifies(tsa):
    found = verified_timestamps([tsa.timestamp(SIGNATURE, at=AT)], SIGNATURE, [_authority(tsa)])
    assert [(stamp.time, stamp.authority) for stamp in found.verified] == [(AT, tsa.url)]
    assert timestamp_reasons(found) == []


def test_a_timestamp_over_something_else_is_an_imprint_mismatch(tsa):
    stamp = tsa.timestamp(b"another signature", at=AT)
    assert _slugs([stamp], [_authority(tsa)]) == ["timestamp-imprint-mismatch"]


def test_a_stated_imprint_that_is_not_the_signature_hash_is_refused(tsa):
    stamp = tsa.timestamp(SIGNATURE, at=AT, imprint=bytes(32))
    assert _slugs([stamp], [_authority(tsa)]) == ["timestamp-imprint-mismatch"]


def test_a_forged_timestamp_signature_is_timestamp_invalid(tsa):
    stamp = tsa.timestamp(SIGNATURE, at=AT, corrupt_signature=True)
    assert _slugs([stamp], [_authority(tsa)]) == ["timestamp-invalid"]


def test_a_timestamp_of_a_tsa_the_root_does_not_list_is_untrusted(tsa):
    other = TimestampAuthority.generate(valid_from=START)
    assert _slugs([other.timestamp(SIGNATURE, at=AT)], [_authority(tsa)]) == ["timestamp-untrusted"]


def test_a_tsa_certificate_chained_to_another_root_is_untrusted(tsa):
    # The root lists this TSA's certificate under another TSA's root: the chain breaks.
    other = TimestampAuthority.generate(valid_from=START)
    broken = CertificateAuthority(tsa.url, (tsa.certificate, other.root), Validity(START, None))
    assert _slugs([tsa.timestamp(SIGNATURE, at=AT)], [broken]) == ["timestamp-untrusted"]


def test_a_timestamp_after_the_tsa_certificate_expired_is_untrusted(tsa):
    late = tsa.certificate.not_valid_after_utc + timedelta(seconds=1)
    assert _slugs([tsa.timestamp(SIGNATURE, at=late)], [_authority(tsa)]) == ["timestamp-untrusted"]


def test_bytes_that_are_no_timestamp_are_timestamp_invalid(tsa):
    assert _slugs([b"\x30\x03\x02\x01\x00"], [_authority(tsa)]) == ["timestamp-invalid"]


@pytest.mark.parametrize(
    ("end", "verified"),
    [
        (AT, True),  # the period includes its end instant
        (AT + timedelta(seconds=1), True),
        (AT - timedelta(seconds=1), False),
    ],
)
def test_the_tsa_validity_end_is_inclusive(tsa, end, verified):
    found = verified_timestamps(
        [tsa.timestamp(SIGNATURE, at=AT)], SIGNATURE, [_authority(tsa, end)]
    )
    assert bool(found.verified) is verified
    if not verified:
        assert [r.slug for r in found.reasons] == ["timestamp-outside-validity"]


@pytest.mark.parametrize(
    ("offset", "verified"), [(timedelta(0), True), (timedelta(seconds=-1), False)]
)
def test_the_tsa_validity_starts_at_its_start_instant(tsa, offset, verified):
    authority = dataclasses.replace(_authority(tsa), valid_for=Validity(AT, None))
    found = verified_timestamps([tsa.timestamp(SIGNATURE, at=AT + offset)], SIGNATURE, [authority])
    assert bool(found.verified) is verified


def test_no_timestamp_is_no_signed_time(tsa):
    assert _slugs([], [_authority(tsa)]) == ["no-signed-time"]


def test_the_same_timestamp_twice_is_refused(tsa):
    stamp = tsa.timestamp(SIGNATURE, at=AT)
    assert _slugs([stamp, stamp], [_authority(tsa)]) == ["timestamp-invalid"]


def test_more_timestamps_than_the_limit_are_refused(tsa):
    stamps = [tsa.timestamp(SIGNATURE, at=AT) for _ in range(MAX_TIMESTAMPS + 1)]
    assert _slugs(stamps, [_authority(tsa)]) == ["timestamp-invalid"]


def test_one_good_timestamp_among_bad_ones_proves_the_time(tsa):
    other = TimestampAuthority.generate(valid_from=START)
    stamps = [other.timestamp(SIGNATURE, at=AT), tsa.timestamp(SIGNATURE, at=AT)]
    found = verified_timestamps(stamps, SIGNATURE, [_authority(tsa)])
    assert [stamp.time for stamp in found.verified] == [AT]
    assert timestamp_reasons(found) == []
