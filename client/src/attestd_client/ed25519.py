"""Ed25519 signature verification (RFC 8032, section 5.1.7), and nothing else.

Why it exists: ``attestd-client`` depends on httpx alone, so that a release or
deploy job installs nothing of the server and no compiled cryptography. Its one
use of public-key cryptography is ``verdict --key``, which checks the Ed25519
signature of the verification summary attestd signs. That check is small
enough to write out: decode the key and the signature strictly, hash with
SHA-512 (``hashlib``), and compare two points of the curve.

It verifies only. There is no key generation and no signing here, and so no
secret to keep from timing side channels: every input is public.

Strictness, as section 5.1.7 asks and beyond what some libraries do:

* ``S`` must be below the group order ``L``, or the signature is malleable;
* ``A`` (the key) and ``R`` (the signature's first half) must decode as points,
  with ``y < p`` and no "negative zero" ``x``: a non-canonical encoding is refused;
* keys of small order (the identity and the other seven torsion points) are refused
  when a key is checked (``check_public_key``): anyone could sign for them.

The equation checked is the cofactorless ``[S]B = R + [k]A``, which RFC 8032
allows and OpenSSL (so the server's ``cryptography``) checks too; the two
agree on every signature attestd makes.
"""

from __future__ import annotations

import hashlib

__all__ = ["PUBLIC_KEY_BYTES", "SIGNATURE_BYTES", "check_public_key", "verify"]

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

# The field, the curve -x^2 + y^2 = 1 + d x^2 y^2 and its prime-order subgroup (RFC 8032, 5.1).
_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P
_L = 2**252 + 27742317777372353535851937790883648493
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

# A point in extended homogeneous coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z.
_Point = tuple[int, int, int, int]
_IDENTITY: _Point = (0, 1, 1, 0)


def _add(first: _Point, second: _Point) -> _Point:
    """Point addition (RFC 8032, 5.1.4)."""
    x1, y1, z1, t1 = first
    x2, y2, z2, t2 = second
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _double(point: _Point) -> _Point:
    """Point doubling (RFC 8032, 5.1.4)."""
    x1, y1, z1, _ = point
    a = x1 * x1 % _P
    b = y1 * y1 % _P
    c = 2 * z1 * z1 % _P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1) % _P
    g = a - b
    f = c + g
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    """``[scalar]point`` by double-and-add (public inputs only: not constant time)."""
    result = _IDENTITY
    for bit in bin(scalar)[2:]:
        result = _double(result)
        if bit == "1":
            result = _add(result, point)
    return result


def _same(first: _Point, second: _Point) -> bool:
    x1, y1, z1, _ = first
    x2, y2, z2, _ = second
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    """The x of the point with this y and sign bit, or None (RFC 8032, 5.1.3, steps 2-4)."""
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        if (v * x * x + u) % _P != 0:
            return None
        x = x * _SQRT_M1 % _P
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


def _decode(encoded: bytes) -> _Point | None:
    """The point ``encoded`` names, or None when it names none or not canonically."""
    if len(encoded) != PUBLIC_KEY_BYTES:
        return None
    number = int.from_bytes(encoded, "little")
    sign, y = number >> 255, number & ((1 << 255) - 1)
    if y >= _P:
        return None
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


# The base point B (RFC 8032, 5.1): y = 4/5, x positive.
_BASE_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202
_BASE_Y = 46316835694926478169428394003475163141307993866256225615783033603165251855960
_BASE: _Point = (_BASE_X, _BASE_Y, 1, _BASE_X * _BASE_Y % _P)


def check_public_key(public_key: bytes) -> None:
    """Nothing when ``public_key`` can verify signatures; else ValueError saying why."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(
            f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes, not {len(public_key)}"
        )
    point = _decode(public_key)
    if point is None:
        raise ValueError("the public key is not the canonical encoding of a point of Ed25519")
    if _same(_multiply(8, point), _IDENTITY):
        raise ValueError("the public key is a point of small order, for which anyone can sign")


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``.

    False for anything malformed: a key or signature of the wrong length, a
    non-canonical point, ``S >= L``.
    """
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    encoded_r, encoded_s = signature[:32], signature[32:]
    s = int.from_bytes(encoded_s, "little")
    if s >= _L:
        return False
    a = _decode(public_key)
    r = _decode(encoded_r)
    if a is None or r is None:
        return False
    digest = hashlib.sha512(encoded_r + public_key + message).digest()
    k = int.from_bytes(digest, "little") % _L
    return _same(_multiply(s, _BASE), _add(r, _multiply(k, a)))
