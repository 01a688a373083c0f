"""Concurrent writes over real HTTP servers keep the audit log dense, unique and verifiable.

Fifty service registrations race from a thread pool against uvicorn on
loopback: in this process (both back ends), and on PostgreSQL split between two
``attestd serve`` processes sharing one database, where only the database can
keep the indices in order. Afterwards every index 0..N-1 is present exactly
once, every leaf and per-entry signature verifies, and the signed checkpoint's
root is the root recomputed from the leaves.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import event

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, open_signed_note, verify_signature
from app.audit.events import Change
from app.audit.log import AuditTrail
from app.auth.credentials import Role
from app.db.engine import make_engine, make_sessionmaker
from app.signing import PublicKey
from tests.builders.credentials import bearer
from tests.databases import backend_name
from tests.servers import serve_in_thread

WRITES = 50
WORKERS = 16
TIMEOUT = 10.0
STARTUP_TIMEOUT = 30.0
REPOSITORY = "https://git.example.com/acme/service"
PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Write:
    """One registration: the service name and the request id it was sent with."""

    name: str
    request_id: str
    base_url: str


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test's app served by uvicorn in a thread; yields its base URL."""
    with serve_in_thread(app, timeout=TIMEOUT) as server:
        yield server.base_url


def send_all(writes: list[Write], headers: dict[str, str]) -> list[httpx2.Response]:
    """POST every write from a pool of WORKERS threads, as close together as possible."""
    first_round = min(WORKERS, len(writes))
    start = threading.Barrier(first_round)
    clients: queue.SimpleQueue[httpx2.Client] = queue.SimpleQueue()
    opened = [httpx2.Client(timeout=TIMEOUT) for _ in range(WORKERS)]
    for client in opened:
        clients.put(client)

    def send(number: int, write: Write) -> httpx2.Response:
        if number < first_round:
            start.wait(TIMEOUT)  # the first round of requests leaves together
        client = clients.get()
        try:
            return client.post(
                f"{write.base_url}/v1/services",
                json={"name": write.name, "repository": f"{REPOSITORY}-{write.name}"},
                headers={**headers, "X-Request-ID": write.request_id},
            )
        finally:
            clients.put(client)

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(send, range(len(writes)), writes))
    finally:
        for client in opened:
            client.close()


@dataclass
class PageWatcher:
    """Reads whole pages of entries while writes go on, noting any page that contradicts itself.

    A page must stop at the tree size it reports, even when more entries
    commit while it is being read.
    """

    base_url: str
    headers: dict[str, str]
    reads: int = 0
    problems: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            self._watch()
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.problems.append(f"the watcher failed: {exc!r}")

    def _watch(self) -> None:
        with httpx2.Client(base_url=self.base_url, timeout=TIMEOUT) as http:
            while not self.done.is_set():
                response = http.get(
                    "/v1/audit/entries", params={"limit": 1000}, headers=self.headers
                )
                self.reads += 1
                if response.status_code != 200:
                    self.problems.append(f"{response.status_code}: {response.text}")
                    return
                body = response.json()
                size = body["tree_size"]
                indices = [entry["index"] for entry in body["entries"]]
                if indices != list(range(size)):
                    self.problems.append(f"tree_size {size} but entries {indices}")
                if body["next"] is not None:
                    self.problems.append(f"a page of everything names a next page: {body['next']}")


def read_log(base_url: str, headers: dict[str, str]) -> tuple[list[dict], dict]:
    """All entries (paging through next) and the current checkpoint."""
    entries: list[dict] = []
    start: int | None = 0
    with httpx2.Client(base_url=base_url, timeout=TIMEOUT) as http:
        checkpoint = http.get("/v1/audit/checkpoint").json()
        while start is not None:
            response = http.get(
                "/v1/audit/entries", params={"start": start, "limit": 20}, headers=headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            entries.extend(body["entries"])
            start = body["next"]
        keys = http.get("/v1/keys").json()["keys"]
    assert len(keys) == 1
    checkpoint["public_key_pem"] = keys[0]["public_key_pem"]
    return entries, checkpoint


def assert_log_is_dense_and_verifies(entries: list[dict], checkpoint: dict) -> None:
    public = PublicKey.from_pem(checkpoint["public_key_pem"].encode())
    opened = open_signed_note(checkpoint["signed_note"], public)
    indices = [entry["index"] for entry in entries]
    assert indices == list(range(len(entries))), "indices have a gap, a duplicate or a reordering"
    assert opened.size == checkpoint["tree_size"] == len(entries)
    hashes = []
    for entry in entries:
        leaf = entry["leaf"].encode()
        assert json.loads(leaf)["index"] == entry["index"]
        assert merkle.leaf_hash(leaf).hex() == entry["leaf_hash"]
        hashes.append(merkle.leaf_hash(leaf))
    levels = merkle.all_nodes(hashes)
    for entry in entries:
        size = entry["index"] + 1
        head = Checkpoint(opened.origin, size, merkle.root_of_prefix(levels, size))
        assert verify_signature(head, entry["checkpoint_signature"], public), entry["index"]
    assert opened.root == merkle.root_of_prefix(levels, len(entries))
    assert opened.root.hex() == checkpoint["root_hash"]


def assert_every_write_is_one_leaf(entries: list[dict], writes: list[Write]) -> None:
    created = [json.loads(entry["leaf"]) for entry in entries]
    created = [event for event in created if event["action"] == "service.created"]
    assert sorted((event["object"]["id"], event["request_id"]) for event in created) == sorted(
        (write.name, write.request_id) for write in writes
    )


def test_concurrent_writes_get_dense_unique_indices(live_server, make_token):
    admin = bearer(make_token(Role.ADMIN, name="racer"))
    auditor = bearer(make_token(Role.AUDITOR, name="reader"))
    writes = [Write(f"svc-{n:02d}", f"race-{n:02d}", live_server) for n in range(WRITES)]
    watcher = PageWatcher(live_server, auditor)
    watching = threading.Thread(target=watcher.run, name="page-watcher", daemon=True)
    watching.start()
    try:
        responses = send_all(writes, admin)
    finally:
        watcher.done.set()
        watching.join(TIMEOUT)

    assert [response.status_code for response in responses] == [201] * WRITES, [
        response.text for response in responses if response.status_code != 201
    ]
    entries, checkpoint = read_log(live_server, auditor)
    assert len(entries) == WRITES + 2  # and the two tokens
    assert_log_is_dense_and_verifies(entries, checkpoint)
    assert_every_write_is_one_leaf(entries, writes)
    assert watcher.reads > 0
    assert watcher.problems == []


def test_an_entries_page_stops_at_the_tree_size_it_reports(database_url, audit_log, run_with_trail):
    """Deterministic form of the race the page watcher looks for.

    An append commits after the page has read the tree size and before it
    reads the entries; PostgreSQL (read committed) lets the entries read see it.
    """
    if backend_name() != "postgresql":
        pytest.skip("SQLite transactions begin IMMEDIATE: a read cannot see a later commit")

    def record(trail: AuditTrail) -> int:
        return trail.record(Change(action="test.event", object_kind="test", object_id="late"))

    for _ in range(3):
        run_with_trail(record)
    engine = make_engine(database_url, pool_size=1)
    late: list[object] = []

    @event.listens_for(engine, "before_cursor_execute")
    def commit_an_append_first(_conn, _cursor, statement, *_args) -> None:
        if "audit_entries.checkpoint_signature" in statement and not late:
            late.append(run_with_trail(record))

    try:
        with make_sessionmaker(engine).begin() as session:
            size, entries = audit_log.entries(session, start=0, limit=100)
    finally:
        engine.dispose()
    assert late == [3]
    assert size == 3
    assert [entry.index for entry in entries] == [0, 1, 2]


# Two processes sharing one PostgreSQL database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def wait_until_healthy(server: ServeProcess, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"attestd serve exited with {server.process.returncode}:\n{server.output()}"
            )
        try:
            if httpx2.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"attestd serve did not become healthy:\n{server.output()}")


def stop(server: ServeProcess) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(TIMEOUT)


@pytest.fixture
def admin_token(make_token) -> str:
    """Made before the servers start, so that ``serve`` finds an admin and prints none."""
    return make_token(Role.ADMIN, name="racer")


@pytest.fixture
def serve_processes(
    database_url, signing_key_file, tmp_path, admin_token
) -> Iterator[list[ServeProcess]]:
    """Two ``attestd serve`` processes on free loopback ports, sharing the test database."""
    if backend_name() != "postgresql":
        pytest.skip("two processes sharing one database need PostgreSQL (SQLite is one file)")
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("ATTESTD_")}
    environment.update(
        ATTESTD_DATABASE_URL=database_url,
        ATTESTD_SIGNING_KEY_FILE=str(signing_key_file),
        ATTESTD_ENVIRONMENT="development",
        ATTESTD_LOG_LEVEL="WARNING",
    )
    servers: list[ServeProcess] = []
    try:
        for number in range(2):
            port = free_port()
            log = tmp_path / f"serve-{number}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    [
                        sys.executable,
                        "-m",
                        "app.cli",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    cwd=PROJECT,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            servers.append(ServeProcess(process, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for server in servers:
            wait_until_healthy(server, deadline)
        yield servers
    finally:
        for server in servers:
            stop(server)


def test_two_serve_processes_share_one_dense_log(serve_processes, admin_token, make_token):
    auditor = bearer(make_token(Role.AUDITOR, name="reader"))
    first, second = (server.base_url for server in serve_processes)
    writes = [
        Write(f"svc-{n:02d}", f"race-{n:02d}", first if n % 2 else second) for n in range(WRITES)
    ]

    responses = send_all(writes, bearer(admin_token))

    assert [response.status_code for response in responses] == [201] * WRITES, [
        response.text for response in responses if response.status_code != 201
    ]
    for base_url in (first, second):
        entries, checkpoint = read_log(base_url, auditor)
        assert len(entries) == WRITES + 2  # and the two tokens
        assert_log_is_dense_and_verifies(entries, checkpoint)
        assert_every_write_is_one_leaf(entries, writes)
    # Nothing was printed: an admin existed, so serve made no first token.
    for server in serve_processes:
        assert "atd_" not in server.output()
