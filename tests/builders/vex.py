"""VEX as the tests need it: OpenVEX documents and signed attestations of them, and the pure
values (listed vulnerabilities, statements, findings) of app.vulnerabilities.

The JSON side (``openvex``, ``vex_statement``, ``signed_vex``) is what a pipeline
submits; the pure side (``listed``, ``statement``, ``attested``, ``finding``) is what
the rules take.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.policy.maturity import Severity
from app.sboms.contents import FindingStatus, Vulnerability
from app.vulnerabilities.findings import AttestedStatement, Finding
from app.vulnerabilities.openvex import Product, Statement, VexStatus
from tests.builders.bundles import DIGEST_HEX, NAME
from tests.builders.identities import RELEASE
from tests.sigstore_local import BuiltBundle, LocalSigstore, SignerIdentity, dsse_bundle
from tests.sigstore_local import statement as in_toto_statement

OPENVEX_V020 = "https://openvex.dev/ns/v0.2.0"
URLLIB3 = "pkg:pypi/urllib3@2.2.3"
CVE = "CVE-2024-37891"
JUSTIFICATION = "vulnerable_code_not_in_execute_path"
ISSUED = "2026-11-20T12:00:00Z"
ISSUED_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


# --- OpenVEX documents, as submitted ----------------------------------------------------------


def vex_statement(
    status: str = "not_affected",
    *,
    vulnerability: str = CVE,
    products: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One OpenVEX statement about ``vulnerability`` in the release's artifact (by digest),
    with what its status needs: a justification label, an action statement."""
    needs: dict[str, Any] = {
        "not_affected": {"justification": JUSTIFICATION},
        "affected": {"action_statement": "Upgrade urllib3 to 2.2.4."},
    }.get(status, {})
    return {
        "vulnerability": {"name": vulnerability},
        "products": [{"@id": f"sha256:{DIGEST_HEX}"}] if products is None else products,
        "status": status,
        **needs,
        **fields,
    }


def openvex(*statements: dict[str, Any], timestamp: str = ISSUED) -> dict[str, Any]:
    """An OpenVEX v0.2.0 document of ``statements``."""
    return {
        "@context": OPENVEX_V020,
        "@id": "https://acme.example/vex/payments-1.4.0",
        "author": "security@acme.example",
        "timestamp": timestamp,
        "version": 1,
        "statements": list(statements),
    }


def signed_vex(
    sigstore: LocalSigstore,
    document: dict[str, Any],
    signer: SignerIdentity = RELEASE,
    digest_hex: str = DIGEST_HEX,
    predicate_type: str = OPENVEX_V020,
) -> BuiltBundle:
    """``document`` as the predicate of a statement about the artifact, signed."""
    return dsse_bundle(
        sigstore,
        in_toto_statement({NAME: bytes.fromhex(digest_hex)}, predicate_type, document),
        signer=signer,
    )


# --- the pure values ----------------------------------------------------------------------------


def listed(
    vulnerability: str = CVE,
    state: str | None = None,
    *,
    severity: Severity = Severity.CRITICAL,
    justification: str | None = None,
    affects: tuple[str, ...] = (URLLIB3,),
) -> Vulnerability:
    """A vulnerability an SBOM lists: critical, in urllib3, unanalysed unless told."""
    return Vulnerability(
        vulnerability, state, severity=severity, justification=justification, affects=affects
    )


def statement(
    status: VexStatus = "not_affected",
    *,
    vulnerability: str = CVE,
    aliases: tuple[str, ...] = (),
    justification: str | None = JUSTIFICATION,
    products: tuple[Product, ...] | None = None,
    timestamp: datetime = ISSUED_AT,
) -> Statement:
    """A statement about ``vulnerability`` in the attestation's subjects unless told."""
    return Statement(
        vulnerability=vulnerability,
        aliases=aliases,
        status=status,
        justification=justification if status == "not_affected" else None,
        timestamp=timestamp,
        products=products,
    )


def attested(item: Statement, attestation_id: int = 10, index: int = 0) -> AttestedStatement:
    return AttestedStatement(attestation_id, index, item)


def finding(
    status: FindingStatus = "open",
    *,
    vulnerability: Vulnerability | None = None,
    decided_by: AttestedStatement | None = None,
) -> Finding:
    """A listed vulnerability (critical, in urllib3 by default) and what was concluded."""
    return Finding(vulnerability or listed(), status, decided_by)
