"""Timestamp-only and Rekor v2 bundles over HTTP, against the trust roots a service is given.

A service configured with a GitHub-like root (a Fulcio CA and a timestamp
authority, no transparency log, no CT log: ``gh attestation trusted-root``)
accepts a bundle with an RFC 3161 timestamp and no log entry; the public-good
root refuses the same bytes; a timestamp of another TSA, or one after the
authority's period, is refused with nothing stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.attestations.trust import production_root_file
from app.config import Settings
from tests.attestations.submissions import (
    NOTHING_STORED,
    attestation_events,
    register,
    stored_counts,
    submit,
)
from tests.builders.services import REPOSITORY, SERVICE
from tests.problems import assert_problem
from tests.sigstore_local import BuiltBundle, LocalSigstore, SignerIdentity, statement
from tests.sigstore_local.timestamped import (
    Timestamping,
    timestamped_bundle,
    timestamped_root,
    write_root,
)
from tests.sigstore_local.timestamping import TimestampAuthority

RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v1.0.0")
ARTIFACT = hashlib.sha256(b"payments-1.0.0.tar.gz").digest()
STATEMENT = statement({"payments-1.0.0.tar.gz": ARTIFACT})
# The timestamp's time: whole seconds, safely in the leaf's ten minutes.
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)


@pytest.fixture(scope="module")
def root_files(
    local_sigstore: LocalSigstore, tsa: TimestampAuthority, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("timestamped-api-roots")
    ending = (local_sigstore.valid_from, AT)
    documents = {
        "github": timestamped_root(local_sigstore, [tsa], tlog=False, ct_log=False),
        "github-ending-at": timestamped_root(
            local_sigstore, [tsa], tlog=False, ct_log=False, valid_for=ending
        ),
        "github-ended-before": timestamped_root(
            local_sigstore,
            [tsa],
            tlog=False,
            ct_log=False,
            valid_for=(local_sigstore.valid_from, AT - timedelta(seconds=1)),
        ),
        "rekor-v2": timestamped_root(local_sigstore, [tsa]),
    }
    paths = {
        name: write_root(document, folder, f"{name}.json") for name, document in documents.items()
    }
    return {**paths, "production": production_root_file()}


@pytest.fixture
def root(request: pytest.FixtureRequest) -> str:
    """The trust root the service runs with; tests name another by parametrizing it."""
    return getattr(request, "param", "github")


@pytest.fixture
def settings(settings: Settings, root_files: dict[str, Path], root: str) -> Settings:
    return settings.model_copy(update={"trust_roots": (root_files[root],)})


@pytest.fixture
def service(client: Any, admin_headers: dict[str, str]) -> str:
    register(client, admin_headers)
    return SERVICE


def _bundle(sigstore: LocalSigstore, tsa: TimestampAuthority, **options: Any) -> BuiltBundle:
    options.setdefault("timestamps", [Timestamping(tsa, at=AT)])
    return timestamped_bundle(
        sigstore,
        statement=STATEMENT,
        signer=RELEASE,
        signed_at=AT - timedelta(seconds=30),
        **options,
    )


def _refused(client, headers, content: BuiltBundle, run_in_session, slug: str) -> None:
    problem = assert_problem(submit(client, headers, content), 422, "bundle-rejected")
    assert problem["reasons"][0].startswith(f"{slug}: "), problem["reasons"]
    assert stored_counts(run_in_session) == NOTHING_STORED
    (rejected,) = attestation_events(run_in_session)
    assert rejected["action"] == "attestation.rejected"
    assert rejected["result"]["reasons"] == problem["reasons"]


def test_a_timestamp_only_bundle_is_accepted_with_a_github_like_root(
    client, service, pipeline_headers, auditor_headers, local_sigstore, tsa, root_files
):
    response = submit(client, pipeline_headers, _bundle(local_sigstore, tsa))
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt"]
    assert receipt["verified"] is True
    assert receipt["tlog"] == {"log_index": None, "log_id": None, "integrated_time": None}
    assert receipt["signing_time"]["proven_by"] == ["timestamp-authority"]
    assert datetime.fromisoformat(receipt["signing_time"]["time"]) == AT
    assert receipt["trust_root"]["source"] == str(root_files["github"])
    stored = client.get(f"/v1/attestations/{response.json()['id']}", headers=auditor_headers)
    assert stored.json()["receipt"] == receipt


@pytest.mark.parametrize("root", ["production"], indirect=True)
def test_the_same_bundle_is_refused_with_the_public_good_root(
    client, service, pipeline_headers, local_sigstore, tsa, run_in_session
):
    content = _bundle(local_sigstore, tsa)
    _refused(client, pipeline_headers, content, run_in_session, "no-tlog-entry")


def test_a_timestamp_from_another_tsa_is_refused(
    client, service, pipeline_headers, local_sigstore, tsa, run_in_session
):
    other = TimestampAuthority.generate(valid_from=local_sigstore.valid_from)
    content = _bundle(local_sigstore, tsa, timestamps=[Timestamping(other, at=AT)])
    _refused(client, pipeline_headers, content, run_in_session, "timestamp-untrusted")


@pytest.mark.parametrize("root", ["github-ending-at"], indirect=True)
def test_a_timestamp_at_the_tsa_end_instant_is_accepted(
    client, service, pipeline_headers, local_sigstore, tsa
):
    response = submit(client, pipeline_headers, _bundle(local_sigstore, tsa))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("root", ["github-ended-before"], indirect=True)
def test_a_timestamp_a_second_after_the_tsa_end_is_refused(
    client, service, pipeline_headers, local_sigstore, tsa, run_in_session
):
    content = _bundle(local_sigstore, tsa)
    _refused(client, pipeline_headers, content, run_in_session, "timestamp-outside-validity")


@pytest.mark.parametrize("root", ["rekor-v2"], indirect=True)
@pytest.mark.parametrize("entry", [("dsse", "0.0.2"), ("hashedrekord", "0.0.2")])
def test_a_rekor_v2_bundle_is_accepted_with_its_log_and_tsa(
    client, service, pipeline_headers, local_sigstore, tsa, entry
):
    response = submit(client, pipeline_headers, _bundle(local_sigstore, tsa, rekor_v2=entry))
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt"]
    assert receipt["tlog"]["log_index"] is not None
    assert receipt["tlog"]["integrated_time"] is None
    assert receipt["signing_time"]["proven_by"] == ["timestamp-authority"]


@pytest.mark.parametrize("root", ["rekor-v2"], indirect=True)
def test_a_rekor_v2_bundle_whose_proof_was_altered_is_refused(
    client, service, pipeline_headers, local_sigstore, tsa, run_in_session
):
    content = _bundle(local_sigstore, tsa, rekor_v2=("dsse", "0.0.2"), corrupt_inclusion_proof=True)
    _refused(client, pipeline_headers, content, run_in_session, "inclusion-proof-invalid")
