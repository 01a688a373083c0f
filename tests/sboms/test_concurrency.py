"""Uploads racing over a real HTTP server: the same bytes, and new artifacts, at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from tests.builders.sbom_documents import cyclonedx
from tests.sboms.sbom_files import read
from tests.sboms.uploads import DIGEST_A, SERVICE, sbom_events, stored_counts
from tests.servers import serve_in_thread

RACERS = 8


@pytest.fixture
def live_server(app) -> Iterator[str]:
    with serve_in_thread(app, timeout=10.0) as server:
        yield server.base_url


def _post(base_url: str, headers: dict[str, str], body: bytes, artifact: str) -> httpx2.Response:
    return httpx2.post(
        f"{base_url}/v1/sboms",
        params={"service": SERVICE, "artifact": artifact},
        content=body,
        headers={**headers, "Content-Type": "application/vnd.cyclonedx+json"},
        timeout=30.0,
    )


def test_the_same_bytes_at_once_are_stored_once(
    live_server, service, pipeline_headers, run_in_session
):
    body = read("cyclonedx-1.6.json")
    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(
            pool.map(lambda _: _post(live_server, pipeline_headers, body, DIGEST_A), range(RACERS))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (RACERS - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    counts = stored_counts(run_in_session)
    assert (counts["blobs"], counts["sboms"], counts["artifacts"]) == (1, 1, 1)
    actions = sorted(e["action"] for e in sbom_events(run_in_session))
    assert actions == ["sbom.accepted"] + ["sbom.repeated"] * (RACERS - 1)


def test_different_sboms_of_one_new_artifact_at_once_share_it(
    live_server, service, pipeline_headers, run_in_session
):
    bodies = [cyclonedx(f"pkg:npm/racer-{n}@1.0.0", serial=str(n)) for n in range(RACERS)]
    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(
            pool.map(lambda body: _post(live_server, pipeline_headers, body, DIGEST_A), bodies)
        )
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    counts = stored_counts(run_in_session)
    assert (counts["artifacts"], counts["sboms"], counts["components"]) == (1, RACERS, RACERS)
