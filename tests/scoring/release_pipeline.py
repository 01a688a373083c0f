"""The release pipeline of ``payments`` as the maturity tests drive it over HTTP.

``Pipeline`` is what its release pipeline, its admins and its auditors do:
SBOM uploads, Sigstore bundles from the local test Sigstore, policy changes,
exceptions and verdicts. ``up_to`` lays down the evidence of each maturity
level in turn. The ``payments`` fixture (tests/scoring/conftest.py) registers
the service with a policy that trusts a rebuild service as a rebuilder of its own
trust domain: acme's builds (the hosted one and the SLSA generator) reach level 4,
all in acme's domain, and the rebuild service's, a second domain, level 5.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.clock import utcnow
from tests.attestations.submissions import submit
from tests.builders.bundles import DIGEST, DIGEST_HEX, build, signature
from tests.builders.identities import GENERATOR, REBUILDER, RELEASE, SELF_HOSTED
from tests.builders.services import SERVICE
from tests.builders.vex import signed_vex
from tests.scoring.reads import maturity_of
from tests.sigstore_local import BuiltBundle, LocalSigstore, SignerIdentity

SBOMS = Path(__file__).parent / "sboms"


@dataclasses.dataclass
class Pipeline:
    """What the release pipeline, the admins and the auditors of ``payments`` do."""

    client: Any
    admin: dict[str, str]
    approver: dict[str, str]
    pipeline: dict[str, str]
    auditor: dict[str, str]
    sigstore: LocalSigstore

    def sbom(self, name: str, digest_hex: str = DIGEST_HEX) -> dict[str, Any]:
        return self.sbom_document((SBOMS / name).read_bytes(), digest_hex)

    def sbom_document(self, document: bytes, digest_hex: str = DIGEST_HEX) -> dict[str, Any]:
        response = self.client.post(
            "/v1/sboms",
            params={"service": SERVICE, "artifact": f"sha256:{digest_hex}"},
            content=document,
            headers={**self.pipeline, "Content-Type": "application/vnd.cyclonedx+json"},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def signature(self, signer: SignerIdentity = RELEASE) -> dict[str, Any]:
        return self.bundle(signature(self.sigstore, signer))

    def build(
        self, predicate: str, signer: SignerIdentity, digest_hex: str = DIGEST_HEX
    ) -> dict[str, Any]:
        return self.bundle(build(self.sigstore, predicate, signer, digest_hex))

    def bundle(self, bundle: BuiltBundle) -> dict[str, Any]:
        """``bundle`` sent by the release pipeline; the accepted attestation."""
        return self._accepted(submit(self.client, self.pipeline, bundle))

    def vex(self, document: dict[str, Any], signer: SignerIdentity = RELEASE) -> Any:
        """An OpenVEX document about the release's artifact, signed; the raw response."""
        return submit(self.client, self.pipeline, signed_vex(self.sigstore, document, signer))

    def _accepted(self, response: Any) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def policy(self, **fields: Any) -> dict[str, Any]:
        response = self.client.put(
            f"/v1/services/{SERVICE}/policy", json=fields, headers=self.admin
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def maturity(self) -> dict[str, Any]:
        return maturity_of(self.client, self.auditor)

    def waive(self, check: str, days: int = 30) -> dict[str, Any]:
        expires = (utcnow() + timedelta(days=days)).isoformat()
        requested = self.client.post(
            "/v1/exceptions",
            json={
                "service": SERVICE,
                "check": check,
                "justification": "The third rebuilder is being set up; tracked in SEC-1234.",
                "expires_at": expires,
            },
            headers=self.admin,
        )
        assert requested.status_code == 201, requested.text
        approved = self.client.post(
            f"/v1/exceptions/{requested.json()['id']}/approve", headers=self.approver
        )
        assert approved.status_code == 200, approved.text
        body: dict[str, Any] = approved.json()
        return body

    def verdict(self, environment: str | None = None, digest: str = DIGEST) -> dict[str, Any]:
        request: dict[str, Any] = {"digest": digest}
        if environment is not None:
            request["environment"] = environment
        response = self.client.post("/v1/verdicts", json=request, headers=self.pipeline)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def up_to(pipeline: Pipeline, level: int) -> dict[str, Any]:
    """The evidence of each level, in order, up to ``level``; the maturity after it."""
    if level >= 1:
        pipeline.sbom("poor.cdx.json")
    if level >= 2:
        pipeline.sbom("good.cdx.json")
        pipeline.signature()
        pipeline.build("good-self-hosted-runner.json", SELF_HOSTED)
    if level >= 3:
        pipeline.build("good-attest-build-provenance-runner.json", RELEASE)
    if level >= 4:
        pipeline.build("good-slsa-generator-v1.json", GENERATOR)
    if level >= 5:
        pipeline.build("good-rebuild-service.json", REBUILDER)
    return pipeline.maturity()
