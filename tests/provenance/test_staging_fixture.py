"""The public staging bundle with SLSA v1 provenance, read into a provenance record.

The bundle is ``a.dsse.staging-rekor-v2.txt.sigstore.json`` of ../shared/fixtures/sigstore
(see its INDEX.md): signed on Sigstore staging by a GitHub Actions workflow of
sigstore-conformance. Its predicate names only a build type and a builder id.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from sigstore.verify.policy import Identity

from app.attestations.bundles import parse_bundle
from app.attestations.trust import load_trust_root
from app.attestations.verification import verify
from app.policy.identities import GITHUB_ACTIONS_ISSUER
from app.provenance.levels import slsa_level
from app.provenance.slsa import (
    SLSA_PROVENANCE_V1,
    Source,
    provenance_from_statement,
    provenance_from_verified,
)
from tests.attestations.public_cases import FIXTURES, needs_fixtures

BUNDLE = FIXTURES / "staging" / "a.dsse.staging-rekor-v2.txt.sigstore.json"
CONFORMANCE = "https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen"
BEACON_REPOSITORY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
BEACON = BEACON_REPOSITORY + (
    "/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


@needs_fixtures
def test_the_decoded_payload_is_a_provenance_record() -> None:
    bundle = json.loads(BUNDLE.read_bytes())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"], validate=True))
    provenance = provenance_from_statement(statement, {})
    assert provenance is not None
    assert provenance.predicate_type == SLSA_PROVENANCE_V1
    assert provenance.builder_id == CONFORMANCE
    assert provenance.build_type == CONFORMANCE
    assert not provenance.build_type_known
    assert provenance.external_parameters == {}
    assert provenance.resolved_dependencies == ()
    assert provenance.invocation_id is None
    assert provenance.started_on is None
    assert provenance.source is None
    assert [finding.split(":")[0] for finding in provenance.findings] == [
        "build-type-unknown",
        "source-missing",
    ]


@needs_fixtures
def test_the_verified_bundle_takes_its_source_from_the_certificate() -> None:
    verified = verify(
        parse_bundle(BUNDLE.read_bytes(), "application/json"),
        trust_roots=[load_trust_root(FIXTURES / "staging" / "trusted_root.json")],
        policy=Identity(identity=BEACON, issuer=GITHUB_ACTIONS_ISSUER),
        policy_digest="sha256:" + "0" * 64,
        artifact=None,
        now=datetime.now(UTC),
    )
    provenance = provenance_from_verified(verified)
    assert provenance is not None
    assert provenance.builder_id == CONFORMANCE
    assert provenance.source == Source(
        BEACON_REPOSITORY, "refs/heads/main", "977e8d08554ca9bda279c96e91be2119fb67c730"
    )
    assert [claim.place for claim in provenance.source_claims] == ["certificate"]

    receipt = verified.receipt
    level = slsa_level(provenance, receipt.signer_subject, receipt.signer_issuer, receipt.claims)
    # A workflow on a GitHub-hosted runner signed it; its builder id is in no trust map entry.
    assert level.level == 2
    assert level.entry is None
    assert [reason.split(":")[0] for reason in level.reasons] == [
        "provenance-present",
        "untrusted-builder",
        "hosted-builder",
        "build-level",
    ]
