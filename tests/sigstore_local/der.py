"""The few DER encodings the local certificates need (a UTF8String, an OCTET STRING)."""

from __future__ import annotations

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
