"""Submissions racing over a real HTTP server: the same bundle, and shared subjects, at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select

from app.config import Settings
from app.scoring.models import MaturitySnapshot
from tests.attestations.submissions import (
    ATTESTATIONS,
    attestation_events,
    register,
    stored_counts,
)
from tests.builders.services import REPOSITORY, SERVICE
from tests.servers import serve_in_thread
from tests.sigstore_local import (
    BuiltBundle,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)

RACERS = 8
RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v2.0.0")


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def live_server(app, client, admin_headers) -> Iterator[str]:
    register(client, admin_headers)
    with serve_in_thread(app, timeout=10.0) as server:
        yield server.base_url


def _post(base_url: str, headers: dict[str, str], built: BuiltBundle) -> httpx2.Response:
    return httpx2.post(
        f"{base_url}{ATTESTATIONS}",
        params={"service": SERVICE},
        content=built.content,
        headers={**headers, "Content-Type": built.version.value},
        timeout=30.0,
    )


def test_the_same_bundle_at_once_is_stored_once(
    live_server, pipeline_headers, local_sigstore: LocalSigstore, run_in_session
):
    built = message_signature_bundle(
        local_sigstore, hashlib.sha256(b"racer").digest(), signer=RELEASE
    )
    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(
            pool.map(lambda _: _post(live_server, pipeline_headers, built), range(RACERS))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (RACERS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    counts = stored_counts(run_in_session)
    assert (counts["blobs"], counts["attestations"], counts["verification_receipts"]) == (1, 1, 1)
    actions = sorted(e["action"] for e in attestation_events(run_in_session))
    assert actions == ["attestation.accepted"] + ["attestation.repeated"] * (RACERS - 1)


def test_statements_sharing_new_subjects_at_once_share_the_artifacts(
    live_server, pipeline_headers, local_sigstore: LocalSigstore, run_in_session
):
    first, second = hashlib.sha256(b"one").digest(), hashlib.sha256(b"two").digest()
    # Half name the subjects in one order, half in the other: binding sorts them, so
    # no two submissions wait on each other's artifact rows.
    bundles = [
        dsse_bundle(
            local_sigstore,
            statement({"one": first, "two": second} if n % 2 else {"two": second, "one": first}),
            signer=RELEASE,
        )
        for n in range(RACERS)
    ]
    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(lambda b: _post(live_server, pipeline_headers, b), bundles))
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    counts = stored_counts(run_in_session)
    assert (counts["artifacts"], counts["attestations"]) == (2, RACERS)
    assert counts["attestation_subjects"] == 2 * RACERS


def test_the_newest_maturity_snapshot_counts_every_bundle_submitted_at_once(
    live_server, pipeline_headers, local_sigstore: LocalSigstore, run_in_session
):
    """Snapshots of one service are computed one after another: the last saw every bundle."""
    bundles = [
        message_signature_bundle(
            local_sigstore, hashlib.sha256(f"racer {n}".encode()).digest(), signer=RELEASE
        )
        for n in range(RACERS)
    ]
    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(lambda b: _post(live_server, pipeline_headers, b), bundles))
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    ids = sorted(r.json()["id"] for r in responses)

    def newest(session) -> MaturitySnapshot:
        query = select(MaturitySnapshot).order_by(MaturitySnapshot.id.desc()).limit(1)
        return session.scalars(query).one()

    snapshot = run_in_session(newest)
    assert snapshot.inputs["attestations"] == ids
    assert snapshot.trigger == "attestation.accepted"
