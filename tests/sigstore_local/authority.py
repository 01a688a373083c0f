"""The local authority: a Fulcio-like CA chain, a CT log, a Rekor-like log and their trust root.

Root CA (P-384) -> intermediate (P-256, CA, path length 0, code signing) ->
10-minute leaves with an empty subject, a critical SAN, the Fulcio issuer
extension in both encodings, optional GitHub Actions claims and one embedded
SCT over the RFC 6962 precertificate. ``LocalSigstore.write_trusted_root``
describes all of it in the Sigstore ``TrustedRoot`` format.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.sigstore_local import der
from tests.sigstore_local.transparency import TransparencyLog, key_log_id, public_key_der

LEAF_LIFETIME = timedelta(minutes=10)
CA_LIFETIME = timedelta(days=3650)
GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"

FULCIO_ISSUER_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
FULCIO_ISSUER_V2_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")

# Fulcio's GitHub Actions claims: field -> (OID, DER UTF8String?). 1.2-1.6 are the
# deprecated raw-bytes forms that Fulcio still issues next to their 1.9+ successors.
_CLAIM_OIDS: dict[str, tuple[str, bool]] = {
    "workflow_trigger": ("1.3.6.1.4.1.57264.1.2", False),
    "workflow_sha": ("1.3.6.1.4.1.57264.1.3", False),
    "workflow_name": ("1.3.6.1.4.1.57264.1.4", False),
    "workflow_repository": ("1.3.6.1.4.1.57264.1.5", False),
    "workflow_ref": ("1.3.6.1.4.1.57264.1.6", False),
    "build_signer_uri": ("1.3.6.1.4.1.57264.1.9", True),
    "build_signer_digest": ("1.3.6.1.4.1.57264.1.10", True),
    "runner_environment": ("1.3.6.1.4.1.57264.1.11", True),
    "source_repository_uri": ("1.3.6.1.4.1.57264.1.12", True),
    "source_repository_digest": ("1.3.6.1.4.1.57264.1.13", True),
    "source_repository_ref": ("1.3.6.1.4.1.57264.1.14", True),
    "source_repository_identifier": ("1.3.6.1.4.1.57264.1.15", True),
    "source_repository_owner_uri": ("1.3.6.1.4.1.57264.1.16", True),
    "source_repository_owner_identifier": ("1.3.6.1.4.1.57264.1.17", True),
    "build_config_uri": ("1.3.6.1.4.1.57264.1.18", True),
    "build_config_digest": ("1.3.6.1.4.1.57264.1.19", True),
    "build_trigger": ("1.3.6.1.4.1.57264.1.20", True),
    "run_invocation_uri": ("1.3.6.1.4.1.57264.1.21", True),
    "source_repository_visibility": ("1.3.6.1.4.1.57264.1.22", True),
}


@dataclass(frozen=True)
class GitHubClaims:
    """GitHub Actions claims as Fulcio copies them into a certificate; ``None`` leaves one out."""

    workflow_trigger: str | None = None
    workflow_sha: str | None = None
    workflow_name: str | None = None
    workflow_repository: str | None = None
    workflow_ref: str | None = None
    build_signer_uri: str | None = None
    build_signer_digest: str | None = None
    runner_environment: str | None = None
    source_repository_uri: str | None = None
    source_repository_digest: str | None = None
    source_repository_ref: str | None = None
    source_repository_identifier: str | None = None
    source_repository_owner_uri: str | None = None
    source_repository_owner_identifier: str | None = None
    build_config_uri: str | None = None
    build_config_digest: str | None = None
    build_trigger: str | None = None
    run_invocation_uri: str | None = None
    source_repository_visibility: str | None = None

    @classmethod
    def for_workflow(
        cls,
        repository: str,
        *,
        ref: str = "refs/heads/main",
        workflow: str = ".github/workflows/release.yml",
        sha: str = "0123456789abcdef0123456789abcdef01234567",
        trigger: str = "push",
        run_id: int = 1,
    ) -> GitHubClaims:
        """The full claim set a workflow run of ``owner/name`` at ``ref`` gets from Fulcio."""
        owner = repository.split("/", 1)[0]
        workflow_uri = f"https://github.com/{repository}/{workflow}@{ref}"
        return cls(
            workflow_trigger=trigger,
            workflow_sha=sha,
            workflow_name="Release",
            workflow_repository=repository,
            workflow_ref=ref,
            build_signer_uri=workflow_uri,
            build_signer_digest=sha,
            runner_environment="github-hosted",
            source_repository_uri=f"https://github.com/{repository}",
            source_repository_digest=sha,
            source_repository_ref=ref,
            source_repository_identifier="100001",
            source_repository_owner_uri=f"https://github.com/{owner}",
            source_repository_owner_identifier="200002",
            build_config_uri=workflow_uri,
            build_config_digest=sha,
            build_trigger=trigger,
            run_invocation_uri=f"https://github.com/{repository}/actions/runs/{run_id}/attempts/1",
            source_repository_visibility="public",
        )

    def extensions(self) -> list[x509.UnrecognizedExtension]:
        """One non-critical extension per claim that is set."""
        extensions = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            oid, is_der = _CLAIM_OIDS[field.name]
            encoded = der.utf8_string(value) if is_der else value.encode()
            extensions.append(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), encoded))
        return extensions


@dataclass(frozen=True)
class SignerIdentity:
    """Who a leaf certificate names: the SAN, the OIDC issuer and any GitHub claims."""

    identity: str
    issuer: str
    san_type: Literal["uri", "email"] = "uri"
    github: GitHubClaims | None = None

    @classmethod
    def email(cls, address: str, issuer: str = "https://accounts.attestd.test") -> SignerIdentity:
        return cls(identity=address, issuer=issuer, san_type="email")

    @classmethod
    def github_workflow(cls, repository: str, **claims: Any) -> SignerIdentity:
        """A GitHub Actions workflow identity; ``claims`` go to ``GitHubClaims.for_workflow``."""
        github = GitHubClaims.for_workflow(repository, **claims)
        assert github.build_signer_uri is not None
        return cls(identity=github.build_signer_uri, issuer=GITHUB_ACTIONS_ISSUER, github=github)

    def san(self) -> x509.GeneralName:
        if self.san_type == "email":
            return x509.RFC822Name(self.identity)
        return x509.UniformResourceIdentifier(self.identity)


class CTLog:
    """A certificate transparency log that only ever signs SCTs for precertificates."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self.key = key
        self.log_id = key_log_id(key.public_key())

    @classmethod
    def generate(cls) -> CTLog:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def sct_list(self, tbs: bytes, issuer_key_hash: bytes, timestamp: datetime) -> bytes:
        """A TLS-encoded SignedCertificateTimestampList holding one v1 precert SCT."""
        millis = int(timestamp.timestamp() * 1000)
        # RFC 6962 section 3.2: the digitally-signed struct of a precert_entry.
        signed = (
            struct.pack("!BBQH", 0, 0, millis, 1)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", 0)
        )
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            struct.pack("!B", 0)
            + self.log_id
            + struct.pack("!QH", millis, 0)
            # hash sha256 (4), signature ecdsa (3)
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
        entry = struct.pack("!H", len(sct)) + sct
        return struct.pack("!H", len(entry)) + entry


class CertificateAuthority:
    """A root (P-384) and an intermediate (P-256) that issues Fulcio-shaped leaves."""

    def __init__(
        self,
        *,
        root_key: ec.EllipticCurvePrivateKey,
        root: x509.Certificate,
        intermediate_key: ec.EllipticCurvePrivateKey,
        intermediate: x509.Certificate,
    ) -> None:
        self.root_key = root_key
        self.root = root
        self.intermediate_key = intermediate_key
        self.intermediate = intermediate

    @classmethod
    def generate(
        cls, *, valid_from: datetime, organization: str = "attestd.test"
    ) -> CertificateAuthority:
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_name = _name(organization, "attestd-local-root")
        root = (
            _ca_builder(root_name, root_name, root_key.public_key(), valid_from, path_length=1)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
            .sign(root_key, hashes.SHA384())
        )
        intermediate_key = ec.generate_private_key(ec.SECP256R1())
        intermediate = (
            _ca_builder(
                _name(organization, "attestd-local-intermediate"),
                root_name,
                intermediate_key.public_key(),
                valid_from,
                path_length=0,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .sign(root_key, hashes.SHA384())
        )
        return cls(
            root_key=root_key,
            root=root,
            intermediate_key=intermediate_key,
            intermediate=intermediate,
        )

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """The CA certificates, intermediate first, as a trust root lists them."""
        return (self.intermediate, self.root)

    def issue_leaf(
        self,
        public_key: ec.EllipticCurvePublicKey,
        signer: SignerIdentity,
        *,
        not_before: datetime,
        ct_log: CTLog | None,
        lifetime: timedelta = LEAF_LIFETIME,
        digital_signature: bool = True,
        extended_usage: x509.ObjectIdentifier = ExtendedKeyUsageOID.CODE_SIGNING,
    ) -> x509.Certificate:
        """A leaf for ``signer`` valid from ``not_before``, with an SCT from ``ct_log`` if any.

        ``digital_signature`` and ``extended_usage`` are the key usages (a fault
        when not the Fulcio ones).
        """
        issuer_public_key = self.intermediate_key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(_key_usage(digital_signature=digital_signature), critical=True)
            .add_extension(x509.ExtendedKeyUsage([extended_usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key),
                critical=False,
            )
            # An empty subject makes the SAN the only name, hence critical (RFC 5280 4.2.1.6).
            .add_extension(x509.SubjectAlternativeName([signer.san()]), critical=True)
            .add_extension(
                x509.UnrecognizedExtension(FULCIO_ISSUER_OID, signer.issuer.encode()),
                critical=False,
            )
            .add_extension(
                x509.UnrecognizedExtension(FULCIO_ISSUER_V2_OID, der.utf8_string(signer.issuer)),
                critical=False,
            )
        )
        for claim in signer.github.extensions() if signer.github else []:
            builder = builder.add_extension(claim, critical=False)
        # The precertificate is the leaf without its SCT list; its TBS is what the CT log signs.
        precertificate = builder.sign(self.intermediate_key, hashes.SHA256())
        if ct_log is None:
            return precertificate
        sct_list = ct_log.sct_list(
            precertificate.tbs_certificate_bytes,
            hashlib.sha256(public_key_der(issuer_public_key)).digest(),
            not_before,
        )
        leaf = builder.add_extension(
            x509.UnrecognizedExtension(SCT_LIST_OID, der.octet_string(sct_list)), critical=False
        ).sign(self.intermediate_key, hashes.SHA256())
        if leaf.tbs_precertificate_bytes != precertificate.tbs_certificate_bytes:
            raise RuntimeError("the leaf's precertificate TBS differs from the one the SCT signs")
        return leaf


class LocalSigstore:
    """The CA, the CT log and the transparency log of one local Sigstore, and its trust root."""

    def __init__(
        self,
        *,
        ca: CertificateAuthority,
        ct_log: CTLog,
        tlog: TransparencyLog,
        valid_from: datetime,
        fulcio_url: str = "https://fulcio.attestd.test",
    ) -> None:
        self.ca = ca
        self.ct_log = ct_log
        self.tlog = tlog
        self.valid_from = valid_from
        self.fulcio_url = fulcio_url

    @classmethod
    def generate(cls, *, now: datetime | None = None) -> LocalSigstore:
        """Fresh keys everywhere; everything is valid from 30 days before ``now``."""
        valid_from = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(days=30)
        return cls(
            ca=CertificateAuthority.generate(valid_from=valid_from),
            ct_log=CTLog.generate(),
            tlog=TransparencyLog.generate(),
            valid_from=valid_from,
        )

    def issue_leaf(
        self,
        public_key: ec.EllipticCurvePublicKey,
        signer: SignerIdentity,
        *,
        not_before: datetime,
        ca: CertificateAuthority | None = None,
        lifetime: timedelta = LEAF_LIFETIME,
        sct: bool = True,
        **usage: Any,
    ) -> x509.Certificate:
        """A leaf from this Sigstore's CA (or ``ca``), its SCT from this Sigstore's CT log.

        ``sct=False`` leaves the SCT out; ``usage`` goes to ``CertificateAuthority.issue_leaf``.
        """
        return (ca or self.ca).issue_leaf(
            public_key,
            signer,
            not_before=not_before,
            ct_log=self.ct_log if sct else None,
            lifetime=lifetime,
            **usage,
        )

    def trusted_root(self) -> dict[str, Any]:
        """The ``TrustedRoot`` document (media type version 0.1) for this Sigstore."""
        valid_for = {"start": _rfc3339(self.valid_from)}
        root_subject = self.ca.root.subject
        return {
            "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
            "tlogs": [_log_instance(self.tlog.url, self.tlog.key.public_key(), valid_for)],
            "certificateAuthorities": [
                {
                    "subject": {
                        "organization": _attribute(root_subject, NameOID.ORGANIZATION_NAME),
                        "commonName": _attribute(root_subject, NameOID.COMMON_NAME),
                    },
                    "uri": self.fulcio_url,
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(certificate.public_bytes(Encoding.DER))}
                            for certificate in self.ca.chain
                        ]
                    },
                    "validFor": valid_for,
                }
            ],
            "ctlogs": [
                _log_instance("https://ctfe.attestd.test", self.ct_log.key.public_key(), valid_for)
            ],
            "timestampAuthorities": [],
        }

    def write_trusted_root(self, folder: Path, name: str = "trusted_root.json") -> Path:
        path = folder / name
        path.write_text(json.dumps(self.trusted_root(), indent=2) + "\n", encoding="utf-8")
        return path


def _log_instance(
    url: str, key: ec.EllipticCurvePublicKey, valid_for: dict[str, str]
) -> dict[str, Any]:
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": _b64(public_key_der(key)),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": valid_for,
        },
        "logId": {"keyId": _b64(key_log_id(key))},
    }


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    valid_from: datetime,
    *,
    path_length: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _name(organization: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    return str(name.get_attributes_for_oid(oid)[0].value)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
