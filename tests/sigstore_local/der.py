"""The few DER encodings the local certificates and timestamps need."""

from __future__ import annotations

from datetime import UTC, datetime

UTF8_STRING = 0x0C
OCTET_STRING = 0x04


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    encoded = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def tlv(tag: int, content: bytes) -> bytes:
    """A definite-length, single-byte-tag DER element."""
    return bytes([tag]) + _length(len(content)) + content


def utf8_string(value: str) -> bytes:
    return tlv(UTF8_STRING, value.encode())


def octet_string(content: bytes) -> bytes:
    return tlv(OCTET_STRING, content)


SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OBJECT_IDENTIFIER = 0x06
GENERALIZED_TIME = 0x18


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """A DER SET OF: its elements sorted by their encodings (X.690 11.6)."""
    return tlv(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    """A non-negative INTEGER, with the leading zero octet a high bit needs."""
    return tlv(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    encoded = bytearray([first * 40 + second])
    for arc in rest:
        # Base 128, most significant group first, every group but the last with its high bit.
        groups = [arc & 0x7F]
        remaining = arc >> 7
        while remaining:
            groups.append(0x80 | (remaining & 0x7F))
            remaining >>= 7
        encoded.extend(reversed(groups))
    return tlv(OBJECT_IDENTIFIER, bytes(encoded))


def generalized_time(moment: datetime) -> bytes:
    """GeneralizedTime in UTC to the second, as RFC 3161 TSAs write it."""
    return tlv(GENERALIZED_TIME, moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode())


def explicit(number: int, content: bytes) -> bytes:
    """``[number] EXPLICIT``: a constructed context-specific tag around an element."""
    return tlv(0xA0 | number, content)


def implicit(number: int, element: bytes) -> bytes:
    """``[number] IMPLICIT`` of a constructed element: its tag replaced, its content kept."""
    return bytes([0xA0 | number]) + element[1:]
