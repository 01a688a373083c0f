"""/v1/keys and /v1/audit over HTTP: the published key, checkpoints, entries and proofs.

Everything a client receives is checked the way an outside auditor would:
with the key from /v1/keys, the pure verifiers of app.audit.merkle and
app.audit.checkpoint, and roots recomputed from the leaves themselves.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from app.audit import merkle
from app.audit.checkpoint import Checkpoint, open_signed_note, verifier_key, verify_signature
from app.audit.events import Change
from app.audit.log import MAX_ENTRIES_PAGE
from app.auth.credentials import Role, new_token, token_digest
from app.auth.models import ApiToken
from app.clock import utcnow
from app.main import create_app
from app.signing import PublicKey, load_or_create_service_key, load_service_key
from tests.builders.credentials import bearer
from tests.problems import assert_problem

KEYS = "/v1/keys"
CHECKPOINT = "/v1/audit/checkpoint"
ENTRIES = "/v1/audit/entries"
INCLUSION = "/v1/audit/proofs/inclusion"
CONSISTENCY = "/v1/audit/proofs/consistency"

# The populated log: the auditor token's leaf plus ten recorded events.
LOG_SIZE = 11
HUGE = 10**30


def published_key(client) -> PublicKey:
    response = client.get(KEYS)
    assert response.status_code == 200, response.text
    return PublicKey.from_pem(response.json()["keys"][0]["public_key_pem"].encode())


def record_events(run_with_trail, count: int) -> None:
    def work(trail) -> None:
        for number in range(count):
            trail.record(
                Change(
                    action="test.event",
                    object_kind="test",
                    object_id=f"event-{number}",
                    result={"number": number},
                )
            )

    run_with_trail(work)


def read_all_entries(client, headers) -> list[dict]:
    response = client.get(ENTRIES, params={"limit": MAX_ENTRIES_PAGE}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    return body["entries"]


def tree_levels(entries: list[dict]) -> list[list[bytes]]:
    return merkle.all_nodes([merkle.leaf_hash(entry["leaf"].encode()) for entry in entries])


@pytest.fixture
def reader(make_token, run_with_trail) -> dict[str, str]:
    """An auditor's headers over a log of exactly LOG_SIZE entries."""
    headers = bearer(make_token(Role.AUDITOR, name="reader"))
    record_events(run_with_trail, LOG_SIZE - 1)
    return headers


@pytest.fixture
def log_entries(client, reader) -> list[dict]:
    entries = read_all_entries(client, reader)
    assert len(entries) == LOG_SIZE
    return entries


@pytest.fixture
def roots(log_entries) -> dict[int, bytes]:
    """Root of every tree size 0..LOG_SIZE, recomputed from the leaves alone."""
    levels = tree_levels(log_entries)
    return {size: merkle.root_of_prefix(levels, size) for size in range(LOG_SIZE + 1)}


# /v1/keys


def test_keys_publish_one_ed25519_key_without_a_token(client, settings):
    response = client.get(KEYS)
    assert response.status_code == 200, response.text
    keys = response.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["algorithm"] == "ed25519"
    loaded = serialization.load_pem_public_key(key["public_key_pem"].encode())
    assert isinstance(loaded, Ed25519PublicKey)
    der = loaded.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key["key_id"] == hashlib.sha256(der).hexdigest()
    public = PublicKey(loaded)
    assert key["note_key_name"] == settings.audit_origin
    assert key["note_verifier_key"] == verifier_key(settings.audit_origin, public)
    # Without a key of their own, the service key signs the summaries too.
    assert key["purposes"] == ["audit-checkpoints", "verification-summaries"]
    # It is the key the server was configured with, not some other key.
    assert public.raw == load_service_key(settings.signing_key_path).public.raw


def test_a_summary_key_of_its_own_is_listed_after_the_service_key(settings, clock, tmp_path):
    vsa_key_file = tmp_path / "vsa-key.pem"
    summary_key, _ = load_or_create_service_key(vsa_key_file)
    app = create_app(settings.model_copy(update={"vsa_key_file": vsa_key_file}), clock=clock)
    with TestClient(app) as client:
        audit, summaries = client.get(KEYS).json()["keys"]

    service_key = load_service_key(settings.signing_key_path).public
    assert (audit["key_id"], audit["purposes"]) == (service_key.key_id, ["audit-checkpoints"])
    assert audit["note_verifier_key"] == verifier_key(settings.audit_origin, service_key)
    assert summaries["key_id"] == summary_key.public.key_id
    assert summaries["public_key_pem"] == summary_key.public.pem
    assert summaries["purposes"] == ["verification-summaries"]
    # It signs no checkpoints, so signed-note verifiers are given nothing to take it for.
    assert (summaries["note_key_name"], summaries["note_verifier_key"]) == (None, None)


def test_the_service_key_named_as_the_summary_key_is_listed_once(settings, clock):
    app = create_app(
        settings.model_copy(update={"vsa_key_file": settings.signing_key_path}), clock=clock
    )
    with TestClient(app) as client:
        (key,) = client.get(KEYS).json()["keys"]
    assert key["purposes"] == ["audit-checkpoints", "verification-summaries"]


# /v1/audit/checkpoint


def test_the_checkpoint_of_an_empty_log_has_size_zero_and_the_empty_root(client, settings):
    response = client.get(CHECKPOINT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tree_size"] == 0
    assert body["root_hash"] == hashlib.sha256(b"").hexdigest()
    assert body["origin"] == settings.audit_origin
    opened = open_signed_note(body["signed_note"], published_key(client))
    assert opened == Checkpoint(settings.audit_origin, 0, hashlib.sha256(b"").digest())


def test_the_checkpoint_is_signed_and_matches_the_leaves(client, log_entries, roots):
    response = client.get(CHECKPOINT)  # no token needed
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tree_size"] == LOG_SIZE
    assert body["root_hash"] == roots[LOG_SIZE].hex()
    opened = open_signed_note(body["signed_note"], published_key(client))
    assert opened.origin == body["origin"]
    assert opened.size == body["tree_size"]
    assert opened.root.hex() == body["root_hash"]


def test_the_checkpoint_grows_with_each_write(client, reader, run_with_trail):
    before = client.get(CHECKPOINT).json()
    record_events(run_with_trail, 1)
    after = client.get(CHECKPOINT).json()
    assert after["tree_size"] == before["tree_size"] + 1
    assert after["root_hash"] != before["root_hash"]


# /v1/audit/entries


READS = [(ENTRIES, {}), (INCLUSION, {"index": 0}), (CONSISTENCY, {"first": 1})]


def test_entries_and_proofs_need_an_auditor_or_admin_token(client, make_token, subtests):
    pipeline = bearer(make_token(Role.PIPELINE, name="pipeline"))
    auditor = bearer(make_token(Role.AUDITOR, name="auditor"))
    admin = bearer(make_token(Role.ADMIN, name="admin"))
    unknown = bearer("atd_" + "A" * 43)
    for path, params in READS:
        with subtests.test(path=path):
            assert_problem(client.get(path, params=params), 401, "unauthenticated")
            assert_problem(client.get(path, params=params, headers=unknown), 401, "unauthenticated")
            assert_problem(client.get(path, params=params, headers=pipeline), 403, "forbidden")
            for headers in (auditor, admin):
                response = client.get(path, params=params, headers=headers)
                assert response.status_code == 200, response.text


def test_entries_page_with_start_limit_and_next(client, reader, log_entries):
    seen: list[dict] = []
    start: int | None = 0
    pages = 0
    while start is not None:
        response = client.get(ENTRIES, params={"start": start, "limit": 3}, headers=reader)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["tree_size"] == LOG_SIZE
        assert [entry["index"] for entry in body["entries"]] == list(
            range(start, min(start + 3, LOG_SIZE))
        )
        seen.extend(body["entries"])
        start = body["next"]
        pages += 1
    assert pages == 4
    assert seen == log_entries


def test_each_entry_is_canonical_json_carrying_its_index_and_hash(log_entries):
    assert [entry["index"] for entry in log_entries] == list(range(LOG_SIZE))
    for entry in log_entries:
        leaf = entry["leaf"].encode()
        assert entry["leaf_hash"] == hashlib.sha256(b"\x00" + leaf).hexdigest()
        event = json.loads(leaf)
        assert rfc8785.dumps(event) == leaf
        assert event["index"] == entry["index"]
        assert set(event) >= {"index", "time", "actor", "action", "object", "request_id"}


def test_each_entry_signs_the_checkpoint_of_its_own_size(client, settings, log_entries, roots):
    public = published_key(client)
    for entry in log_entries:
        size = entry["index"] + 1
        head = Checkpoint(settings.audit_origin, size, roots[size])
        assert verify_signature(head, entry["checkpoint_signature"], public), entry["index"]
        # The signature is bound to its size: it does not verify for a neighbour's head.
        other = Checkpoint(settings.audit_origin, size - 1, roots[size - 1])
        assert not verify_signature(other, entry["checkpoint_signature"], public)


def test_start_at_the_end_gives_an_empty_last_page(client, reader):
    response = client.get(ENTRIES, params={"start": LOG_SIZE}, headers=reader)
    assert response.status_code == 200, response.text
    assert response.json() == {"tree_size": LOG_SIZE, "entries": [], "next": None}


def test_entries_default_to_the_first_page(client, reader, log_entries):
    response = client.get(ENTRIES, headers=reader)
    assert response.status_code == 200, response.text
    assert response.json() == {"tree_size": LOG_SIZE, "entries": log_entries, "next": None}


LIMITS = [(0, 1), (-1, 1), (-(10**9), 1), (1, 1), (LOG_SIZE, LOG_SIZE), (10**9, LOG_SIZE)]


def test_entry_limits_are_clamped(client, reader, subtests):
    for limit, count in LIMITS:
        with subtests.test(limit=limit):
            response = client.get(ENTRIES, params={"start": 0, "limit": limit}, headers=reader)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["entries"]) == count
            assert body["next"] == (count if count < LOG_SIZE else None)


def test_a_huge_limit_is_clamped_to_the_maximum_page(client, reader, run_with_trail):
    record_events(run_with_trail, MAX_ENTRIES_PAGE + 5 - LOG_SIZE)
    response = client.get(ENTRIES, params={"limit": HUGE}, headers=reader)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["entries"]) == MAX_ENTRIES_PAGE
    assert body["next"] == MAX_ENTRIES_PAGE
    assert body["tree_size"] == MAX_ENTRIES_PAGE + 5


# Proofs


def test_inclusion_proofs_verify_for_every_index_at_every_size(client, reader, log_entries, roots):
    for size in range(1, LOG_SIZE + 1):
        for index in range(size):
            response = client.get(
                INCLUSION, params={"index": index, "tree_size": size}, headers=reader
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["index"], body["tree_size"]) == (index, size)
            assert body["leaf_hash"] == log_entries[index]["leaf_hash"]
            assert body["root_hash"] == roots[size].hex()
            leaf = bytes.fromhex(body["leaf_hash"])
            hashes = [bytes.fromhex(value) for value in body["hashes"]]
            assert merkle.verify_inclusion(index, size, leaf, hashes, roots[size])
            # A proof for one leaf does not prove a neighbour.
            other = merkle.leaf_hash(log_entries[(index + 1) % LOG_SIZE]["leaf"].encode())
            assert size == 1 or not merkle.verify_inclusion(index, size, other, hashes, roots[size])


def test_inclusion_defaults_to_the_current_tree(client, reader, roots):
    checkpoint = client.get(CHECKPOINT).json()
    for index in range(LOG_SIZE):
        response = client.get(INCLUSION, params={"index": index}, headers=reader)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["tree_size"] == LOG_SIZE
        assert body["root_hash"] == checkpoint["root_hash"] == roots[LOG_SIZE].hex()
        hashes = [bytes.fromhex(value) for value in body["hashes"]]
        assert merkle.verify_inclusion(
            index, LOG_SIZE, bytes.fromhex(body["leaf_hash"]), hashes, roots[LOG_SIZE]
        )


def test_consistency_proofs_verify_for_every_pair_of_sizes(client, reader, roots):
    for second in range(1, LOG_SIZE + 1):
        for first in range(1, second + 1):
            response = client.get(
                CONSISTENCY, params={"first": first, "second": second}, headers=reader
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["first"], body["second"]) == (first, second)
            assert body["first_root_hash"] == roots[first].hex()
            assert body["second_root_hash"] == roots[second].hex()
            hashes = [bytes.fromhex(value) for value in body["hashes"]]
            assert merkle.verify_consistency(first, second, roots[first], roots[second], hashes)
            if first < second:
                # The proof ties these two roots, not the next older one.
                assert not merkle.verify_consistency(
                    first, second, roots[first - 1], roots[second], hashes
                )


def test_consistency_defaults_to_the_current_tree(client, reader, roots):
    checkpoint = client.get(CHECKPOINT).json()
    for first in range(1, LOG_SIZE + 1):
        response = client.get(CONSISTENCY, params={"first": first}, headers=reader)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["second"] == LOG_SIZE
        assert body["second_root_hash"] == checkpoint["root_hash"]
        hashes = [bytes.fromhex(value) for value in body["hashes"]]
        assert merkle.verify_consistency(first, LOG_SIZE, roots[first], roots[LOG_SIZE], hashes)


# Out-of-range and malformed parameters: a problem, never a 500.

RANGE = (400, "audit-range")
INVALID = (422, "invalid-request")
BAD_PARAMETERS = [
    # inclusion
    (INCLUSION, {"index": LOG_SIZE}, RANGE),
    (INCLUSION, {"index": 5, "tree_size": 5}, RANGE),
    (INCLUSION, {"index": 0, "tree_size": LOG_SIZE + 1}, RANGE),
    (INCLUSION, {"index": HUGE}, RANGE),
    (INCLUSION, {"index": 0, "tree_size": HUGE}, RANGE),
    (INCLUSION, {"index": HUGE, "tree_size": HUGE}, RANGE),
    (INCLUSION, {"index": 0, "tree_size": 0}, INVALID),
    (INCLUSION, {"index": "9" * 5000}, INVALID),  # more digits than Python converts
    (INCLUSION, {"index": "1e3"}, INVALID),
    (INCLUSION, {"index": -1}, INVALID),
    (INCLUSION, {"index": -HUGE}, INVALID),
    (INCLUSION, {"index": 0, "tree_size": -1}, INVALID),
    (INCLUSION, {}, INVALID),
    (INCLUSION, {"index": "one"}, INVALID),
    (INCLUSION, {"index": "1.5"}, INVALID),
    (INCLUSION, {"index": ""}, INVALID),
    (INCLUSION, {"index": "0x1"}, INVALID),
    (INCLUSION, {"index": 0, "tree_size": "all"}, INVALID),
    (INCLUSION, {"index": 0, "size": 3}, INVALID),
    # consistency
    (CONSISTENCY, {"first": 0}, INVALID),
    (CONSISTENCY, {"first": 0, "second": 3}, INVALID),
    (CONSISTENCY, {"first": -1}, INVALID),
    (CONSISTENCY, {"first": 6, "second": 5}, RANGE),
    (CONSISTENCY, {"first": 1, "second": LOG_SIZE + 1}, RANGE),
    (CONSISTENCY, {"first": LOG_SIZE + 1}, RANGE),
    (CONSISTENCY, {"first": HUGE}, RANGE),
    (CONSISTENCY, {"first": 1, "second": HUGE}, RANGE),
    (CONSISTENCY, {"first": 1, "second": 0}, INVALID),
    (CONSISTENCY, {"first": 1, "second": -HUGE}, INVALID),
    (CONSISTENCY, {}, INVALID),
    (CONSISTENCY, {"first": "one"}, INVALID),
    (CONSISTENCY, {"first": "2.5"}, INVALID),
    (CONSISTENCY, {"first": 1, "second": "last"}, INVALID),
    (CONSISTENCY, {"first": 1, "old": 1}, INVALID),
    (CONSISTENCY, {"first": "9" * 5000}, INVALID),
    (CONSISTENCY, {"first": "true"}, INVALID),
    # entries
    (ENTRIES, {"start": LOG_SIZE + 1}, RANGE),
    (ENTRIES, {"start": HUGE}, RANGE),
    (ENTRIES, {"start": -1}, INVALID),
    (ENTRIES, {"start": -HUGE}, INVALID),
    (ENTRIES, {"start": "first"}, INVALID),
    (ENTRIES, {"start": "1.5"}, INVALID),
    (ENTRIES, {"limit": "many"}, INVALID),
    (ENTRIES, {"limit": "2.5"}, INVALID),
    (ENTRIES, {"cursor": "abc"}, INVALID),
    (ENTRIES, {"offset": 3}, INVALID),
    (ENTRIES, {"start": "9" * 5000}, INVALID),
    (ENTRIES, {"limit": "9" * 5000}, INVALID),
]


def test_bad_parameters_are_problems_not_server_errors(client, reader, subtests):
    # One database for every case: the cases only read.
    for path, params, (status, slug) in BAD_PARAMETERS:
        with subtests.test(path=path, params=params):
            response = client.get(path, params=params, headers=reader)
            problem = assert_problem(response, status, slug)
            assert problem["instance"] == path


def test_proofs_of_a_log_without_entries_are_out_of_range(client, run_in_session):
    # A token stored without the audit trail, so the log stays empty.
    secret = new_token()
    run_in_session(
        lambda session: session.add(
            ApiToken(
                name="silent",
                role=Role.AUDITOR.value,
                secret_sha256=token_digest(secret),
                services=None,
                created_at=utcnow(),
            )
        )
    )
    assert client.get(CHECKPOINT).json()["tree_size"] == 0
    headers = bearer(secret)
    assert_problem(client.get(INCLUSION, params={"index": 0}, headers=headers), 400, "audit-range")
    assert_problem(
        client.get(CONSISTENCY, params={"first": 1}, headers=headers), 400, "audit-range"
    )
    response = client.get(ENTRIES, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"tree_size": 0, "entries": [], "next": None}
