"""A local RFC 3161 timestamp authority: its certificate chain and signed timestamp responses.

``TimestampAuthority.generate()`` makes a root CA (P-384) and a TSA leaf (P-256,
critical EKU timeStamping) like Sigstore's timestamp authority; ``timestamp``
answers with a DER ``TimeStampResp`` whose token is a CMS SignedData over a
``TSTInfo`` (RFC 3161 section 2.4.2, RFC 5652), with the signed attributes a TSA
sends (content type, message digest, ESS signing certificate v2). Keyword
options build the faults a verifier must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.sigstore_local import der
from tests.sigstore_local.authority import CA_LIFETIME, _ca_builder, _key_usage, _name

SHA256 = "2.16.840.1.101.3.4.2.1"
_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_SIGNED_DATA = "1.2.840.113549.1.7.2"
_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
_POLICY = "1.3.6.1.4.1.57264.2"
_ORGANIZATION = "attestd.test"


@dataclass(frozen=True)
class TimestampAuthority:
    """A root CA and the TSA certificate it issued; ``chain`` is leaf first, as roots list it."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    root: x509.Certificate
    url: str

    @classmethod
    def generate(
        cls, *, valid_from: datetime, url: str = "https://timestamp.attestd.test/api/v1/timestamp"
    ) -> TimestampAuthority:
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_name = _name(_ORGANIZATION, "attestd-local-tsa-root")
        root = _ca_builder(
            root_name, root_name, root_key.public_key(), valid_from, path_length=0
        ).sign(root_key, hashes.SHA384())
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(_ORGANIZATION, "attestd-local-tsa"))
            .issuer_name(root_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_from + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
            .sign(root_key, hashes.SHA384())
        )
        return cls(key=key, certificate=certificate, root=root, url=url)

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        return (self.certificate, self.root)

    def timestamp(
        self,
        message: bytes,
        *,
        at: datetime | None = None,
        imprint: bytes | None = None,
        corrupt_signature: bool = False,
    ) -> bytes:
        """A granted ``TimeStampResp`` over SHA-256(``message``) at ``at`` (default: now).

        ``imprint`` states another hashed message; ``corrupt_signature`` flips a bit
        of the CMS signature.
        """
        moment = (at or datetime.now(UTC)).astimezone(UTC)
        hashed = imprint if imprint is not None else hashlib.sha256(message).digest()
        tst_info = der.sequence(
            der.integer(1),
            der.oid(_POLICY),
            der.sequence(_algorithm(SHA256), der.octet_string(hashed)),
            der.integer(int.from_bytes(os.urandom(8), "big")),
            der.generalized_time(moment),
        )
        leaf = self.certificate.public_bytes(Encoding.DER)
        attributes = [
            der.sequence(der.oid(_CONTENT_TYPE), der.set_of(der.oid(_TST_INFO))),
            der.sequence(
                der.oid(_MESSAGE_DIGEST),
                der.set_of(der.octet_string(hashlib.sha256(tst_info).digest())),
            ),
            der.sequence(
                der.oid(_SIGNING_CERTIFICATE_V2),
                der.set_of(
                    der.sequence(
                        der.sequence(der.sequence(der.octet_string(hashlib.sha256(leaf).digest())))
                    )
                ),
            ),
        ]
        signed_attributes = der.set_of(*attributes)
        signature = self.key.sign(signed_attributes, ec.ECDSA(hashes.SHA256()))
        if corrupt_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        signer_info = der.sequence(
            der.integer(1),
            der.sequence(
                self.certificate.issuer.public_bytes(), der.integer(self.certificate.serial_number)
            ),
            _algorithm(SHA256),
            der.implicit(0, signed_attributes),
            der.sequence(der.oid(_ECDSA_SHA256)),
            der.octet_string(signature),
        )
        signed_data = der.sequence(
            der.integer(3),
            der.set_of(_algorithm(SHA256)),
            der.sequence(der.oid(_TST_INFO), der.explicit(0, der.octet_string(tst_info))),
            der.implicit(0, der.set_of(leaf)),
            der.set_of(signer_info),
        )
        token = der.sequence(der.oid(_SIGNED_DATA), der.explicit(0, signed_data))
        return der.sequence(der.sequence(der.integer(0)), token)

    def trust_root_entry(self, valid_for: dict[str, Any]) -> dict[str, Any]:
        """This TSA as a trusted root's ``timestampAuthorities`` item."""
        return {
            "subject": {"organization": _ORGANIZATION, "commonName": "attestd-local-tsa"},
            "uri": self.url,
            "certChain": {
                "certificates": [
                    {"rawBytes": base64.b64encode(c.public_bytes(Encoding.DER)).decode()}
                    for c in self.chain
                ]
            },
            "validFor": valid_for,
        }


def _algorithm(oid: str) -> bytes:
    return der.sequence(der.oid(oid))
