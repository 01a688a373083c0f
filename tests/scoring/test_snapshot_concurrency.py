"""Evidence for one service arriving at once: the newest snapshot has read all of it."""

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
from tests.attestations.submissions import ATTESTATIONS, REPOSITORY, SERVICE, register
from tests.servers import serve_in_thread
from tests.sigstore_local import LocalSigstore, SignerIdentity, message_signature_bundle

RACERS = 8
RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v3.0.0")


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture
def live_server(app, client, admin_headers) -> Iterator[str]:
    register(client, admin_headers)
    with serve_in_thread(app, timeout=10.0) as server:
        yield server.base_url


def test_the_newest_snapshot_counts_every_bundle_submitted_at_once(
    live_server, pipeline_headers, local_sigstore: LocalSigstore, run_in_session
):
    bundles = [
        message_signature_bundle(
            local_sigstore, hashlib.sha256(f"racer {n}".encode()).digest(), signer=RELEASE
        )
        for n in range(RACERS)
    ]

    def post(index: int) -> httpx2.Response:
        built = bundles[index]
        return httpx2.post(
            f"{live_server}{ATTESTATIONS}",
            params={"service": SERVICE},
            content=built.content,
            headers={**pipeline_headers, "Content-Type": built.version.value},
            timeout=30.0,
        )

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(post, range(RACERS)))
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    ids = sorted(r.json()["id"] for r in responses)

    def newest(session) -> MaturitySnapshot:
        query = select(MaturitySnapshot).order_by(MaturitySnapshot.id.desc()).limit(1)
        return session.scalars(query).one()

    snapshot = run_in_session(newest)
    assert snapshot.inputs["attestations"] == ids
    assert snapshot.trigger == "attestation.accepted"
