"""Public keys a service trusts for keyed bundles, and the kinds of key attestd accepts. Pure.

A keyed bundle (cosign ``--key``, a KMS key, Tekton Chains, the npm registry's
publish attestations) carries no certificate, only a hint naming its key: it
proves nothing about who signed unless the verifier already holds the key. A
service lists those keys in its policy (``keys``), each under a unique name; a
bundle verifies only against them (``app.attestations.verification``).

The keys accepted are those Sigstore clients sign with, and nothing weaker:

=====================  ==================================================
key                    signature
=====================  ==================================================
ECDSA P-256            ECDSA with SHA-256 (DER signature)
ECDSA P-384            ECDSA with SHA-384 (DER signature)
Ed25519                Ed25519 over the message itself
RSA of 2048 bits+      PKCS#1 v1.5 or PSS, both with SHA-256
=====================  ==================================================

Anything else (another curve, a short RSA key, DSA, a certificate or a private
key instead of a SubjectPublicKeyInfo) is ``KeyRefused``: a weak key is refused
when it is configured, not accepted and then trusted.

A key's ``kind`` is what its signatures count as for the maturity checks
(``workload-identity``): ``workload`` by default, since keys configured for
services are a registry's, a build system's or a KMS key a pipeline uses;
``person`` for a developer's own key.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Final, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import ConfigDict, Field, StringConstraints, field_validator

from app.policy.identities import Kind
from app.wire import PRINTABLE_PATTERN, InputModel

PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

RSA_MIN_BITS: Final = 2048
ACCEPTED_CURVES: Final = frozenset({"secp256r1", "secp384r1"})
MAX_KEYS: Final = 20
KEY_NAME_MAX: Final = 128
PEM_MAX: Final = 4096
# The issuer a keyed signer's receipt names: not an https URL, so no OIDC issuer and no
# identity or builder rule of a policy (both require https issuers) can ever match it.
KEY_ISSUER: Final = "urn:attestd:key"


class KeyRefused(ValueError):
    """A public key attestd does not verify with; the message says why, for people."""


def accepted_key(key: object) -> PublicKey:
    """``key`` if it is a public key of a type and size attestd accepts; else ``KeyRefused``."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ACCEPTED_CURVES:
            raise KeyRefused(f"ECDSA curve {key.curve.name} is not accepted (P-256 or P-384)")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < RSA_MIN_BITS:
            raise KeyRefused(f"an RSA key of {key.key_size} bits is too short ({RSA_MIN_BITS}+)")
        return key
    raise KeyRefused(
        f"a {type(key).__name__} is not accepted (ECDSA P-256/P-384, Ed25519, RSA {RSA_MIN_BITS}+)"
    )


def load_pem_key(pem: str | bytes) -> PublicKey:
    """A PEM SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") attestd accepts; else ``KeyRefused``."""
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyRefused("not a PEM public key (SubjectPublicKeyInfo)") from None
    return accepted_key(key)


def load_der_key(der: bytes) -> PublicKey:
    """A DER SubjectPublicKeyInfo attestd accepts; else ``KeyRefused``."""
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyRefused("not a DER public key (SubjectPublicKeyInfo)") from None
    return accepted_key(key)


def key_der(key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``key``."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: PublicKey) -> str:
    """``sha256:<hex>`` of the key's DER SubjectPublicKeyInfo (a Rekor log id, for a log key)."""
    return "sha256:" + hashlib.sha256(key_der(key)).hexdigest()


KeyName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=KEY_NAME_MAX, pattern=PRINTABLE_PATTERN),
]


class TrustedKey(InputModel):
    """A public key whose signatures a service accepts, under a name receipts show."""

    model_config = ConfigDict(frozen=True)

    name: KeyName = Field(description="Unique in the policy; a keyed receipt's signer subject.")
    public_key_pem: str = Field(
        max_length=PEM_MAX,
        description="PEM SubjectPublicKeyInfo: ECDSA P-256/P-384, Ed25519 or RSA of 2048+ bits.",
    )
    kind: Kind | None = Field(
        default=None,
        description="What its signatures count as for the maturity checks; default workload.",
    )

    @field_validator("public_key_pem")
    @classmethod
    def _usable(cls, value: str) -> str:
        try:
            load_pem_key(value)
        except KeyRefused as refused:
            raise ValueError(str(refused)) from None
        return value

    def public_key(self) -> PublicKey:
        return load_pem_key(self.public_key_pem)

    @property
    def effective_kind(self) -> Kind:
        return self.kind or "workload"


def keys_named_once(keys: tuple[TrustedKey, ...] | list[TrustedKey] | None) -> None:
    """ValueError naming the first key whose name or key repeats an earlier one."""
    names: dict[str, int] = {}
    prints: dict[str, int] = {}
    for index, key in enumerate(keys or ()):
        earlier = names.setdefault(key.name, index)
        if earlier != index:
            raise ValueError(f"keys[{index}] has the name of keys[{earlier}]")
        earlier = prints.setdefault(fingerprint(key.public_key()), index)
        if earlier != index:
            raise ValueError(f"keys[{index}] is the same public key as keys[{earlier}]")
