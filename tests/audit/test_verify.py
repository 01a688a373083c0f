"""``attestd audit verify``: a real log, a real export, and the ways to tamper with it.

Every tampered export is built here from a real export (its entries carry
times and signatures, so frozen files would not verify); each case is a small
function of the export's lines that also says which index is the first bad one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from app.audit.checkpoint import Checkpoint, signature, signed_note
from app.audit.merkle import EMPTY_ROOT
from app.cli import main
from app.config import DEFAULT_AUDIT_ORIGIN, Settings
from app.main import create_app
from app.signing import ServiceKey, load_service_key
from tests.builders.credentials import bearer
from tests.cli_runner import (
    CliResult,
    clear_attestd_environment,
    logging_restored,
    run_attestd,
    use_database_and_key,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
VERIFY_SCRIPT = REPOSITORY_ROOT / "scripts" / "verify_audit.py"
MALFORMED_LINES = Path(__file__).parent / "verify_cases" / "malformed_lines.txt"
SERVICES = "/v1/services"
SERVICE_NAMES = [f"svc-{number}" for number in range(5)]
LOG_SIZE = 16  # the admin token, then five services each created and changed twice
OTHER_ORIGIN = "other.example/audit"


@dataclass(frozen=True)
class Export:
    entries: Path
    checkpoint: Path

    def lines(self) -> list[str]:
        return self.entries.read_text(encoding="utf-8").splitlines()

    def note(self) -> str:
        return self.checkpoint.read_text(encoding="utf-8")


@pytest.fixture
def attestd(cli, monkeypatch) -> Callable[..., CliResult]:
    """``cli``, where keyword arguments set ATTESTD_* variables for that one run."""

    def run(*argv: str, **environment: str) -> CliResult:
        with monkeypatch.context() as scoped:
            for name, value in environment.items():
                scoped.setenv(f"ATTESTD_{name.upper()}", value)
            return cli(*argv)

    return run


@pytest.fixture
def export(attestd, tmp_path) -> Callable[..., Export]:
    """``attestd audit export`` to ``<name>.jsonl`` and ``<name>.checkpoint``."""

    def run(name: str, **environment: str) -> Export:
        done = Export(tmp_path / f"{name}.jsonl", tmp_path / f"{name}.checkpoint")
        result = attestd(
            "audit", "export", "--out", str(done.entries), "--checkpoint-out", str(done.checkpoint),
            **environment,
        )  # fmt: skip
        assert result.code == 0, result.err
        return done

    return run


@pytest.fixture(scope="module")
def public_key_file(tmp_path_factory, signing_key_file) -> Path:
    path = tmp_path_factory.mktemp("public-key") / "attestd.pub"
    path.write_text(load_service_key(signing_key_file).public.pem, encoding="utf-8")
    return path


@pytest.fixture
def verify(capsys, public_key_file) -> Callable[..., CliResult]:
    """``attestd audit verify``: offline, so it needs no database and no settings."""

    def run(
        entries: Path,
        checkpoint: Path,
        *,
        public_key: Path | None = None,
        previous: Path | None = None,
    ) -> CliResult:
        argv = ["audit", "verify", "--entries", str(entries), "--checkpoint", str(checkpoint)]
        argv += ["--public-key", str(public_key or public_key_file)]
        if previous is not None:
            argv += ["--previous-checkpoint", str(previous)]
        return run_attestd(capsys, argv)

    return run


def add_services(client, headers, names: list[str]) -> None:
    """Three leaves per service: created, owner changed, repository changed."""
    for name in names:
        repository = f"https://git.example.com/acme/{name}"
        created = client.post(
            SERVICES, json={"name": name, "repository": repository}, headers=headers
        )
        assert created.status_code == 201, created.text
        owned = client.patch(f"{SERVICES}/{name}", json={"owner": "team-a"}, headers=headers)
        assert owned.status_code == 200, owned.text
        moved = client.patch(
            f"{SERVICES}/{name}", json={"repository": repository + "-moved"}, headers=headers
        )
        assert moved.status_code == 200, moved.text


def tree_size(client) -> int:
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 200
    return int(response.json()["tree_size"])


@pytest.fixture(scope="module")
def real_export(database_template, signing_key_file, tmp_path_factory) -> Export:
    """One real log of 16 entries, exported once with the CLI.

    Verification is offline, so the tests that tamper with copies of this
    export share it and need no database of their own; none writes to it.
    """
    directory = tmp_path_factory.mktemp("real-export")
    url = database_template.clone(directory)
    done = Export(directory / "audit.jsonl", directory / "audit.checkpoint")
    try:
        with pytest.MonkeyPatch.context() as monkeypatch, logging_restored():
            clear_attestd_environment(monkeypatch)
            use_database_and_key(monkeypatch, url, signing_key_file)
            with redirect_stdout(io.StringIO()) as printed:
                assert main(["token", "create", "--role", "admin", "--name", "admin"]) == 0
            settings = Settings(
                database_url=url, environment="development", signing_key_file=signing_key_file
            )
            with TestClient(create_app(settings)) as client:
                add_services(client, bearer(printed.getvalue().strip()), SERVICE_NAMES)
                assert tree_size(client) == LOG_SIZE
            argv = ["--out", str(done.entries), "--checkpoint-out", str(done.checkpoint)]
            assert main(["audit", "export", *argv]) == 0
    finally:
        database_template.drop(url)
    assert len(done.lines()) == LOG_SIZE
    return done


# Building tampered exports.


def load(line: str) -> dict[str, Any]:
    record = json.loads(line)
    assert isinstance(record, dict)
    return record


def dump(record: dict[str, Any]) -> str:
    """An export line, written exactly as ``attestd audit export`` writes one."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def leaf_hash(leaf: str) -> str:
    return hashlib.sha256(b"\x00" + leaf.encode()).hexdigest()


def with_event(line: str, change: Callable[[dict[str, Any]], None], *, rehash: bool) -> str:
    """``line`` with its leaf event changed (kept canonical), its hash recomputed or not."""
    record = load(line)
    event = json.loads(record["leaf"])
    change(event)
    record["leaf"] = rfc8785.dumps(event).decode()
    if rehash:
        record["leaf_hash"] = leaf_hash(record["leaf"])
    return dump(record)


def renamed(event: dict[str, Any]) -> None:
    event["object"]["id"] = "forged-service"


def renumbered(line: str, index: int) -> str:
    """``line`` moved to ``index``: outer and inner index changed, leaf hash recomputed."""
    record = load(line)
    record["index"] = index
    return with_event(dump(record), lambda event: event.update(index=index), rehash=True)


def with_signature(line: str, value: object) -> str:
    record = load(line)
    record["checkpoint_signature"] = value
    return dump(record)


def flipped(signature_value: str) -> str:
    raw = bytearray(base64.b64decode(signature_value))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


Tampered = tuple[list[str], int]


def edit_leaf_keep_hash(lines: list[str]) -> Tampered:
    lines[5] = with_event(lines[5], renamed, rehash=False)
    return lines, 5


def edit_leaf_recompute_hash(lines: list[str]) -> Tampered:
    lines[7] = with_event(lines[7], renamed, rehash=True)
    return lines, 7


def edit_first_leaf_recompute_hash(lines: list[str]) -> Tampered:
    lines[0] = with_event(lines[0], lambda event: event.update(action="forged"), rehash=True)
    return lines, 0


def edit_last_leaf_recompute_hash(lines: list[str]) -> Tampered:
    lines[-1] = with_event(lines[-1], renamed, rehash=True)
    return lines, LOG_SIZE - 1


def edit_leaf_bytes_only(lines: list[str]) -> Tampered:
    """Same JSON value, different text (not canonical any more), hash recomputed."""
    record = load(lines[9])
    record["leaf"] = record["leaf"].replace(":", ": ", 1)
    record["leaf_hash"] = leaf_hash(record["leaf"])
    lines[9] = dump(record)
    return lines, 9


def edit_leaf_hash_only(lines: list[str]) -> Tampered:
    record = load(lines[4])
    record["leaf_hash"] = leaf_hash("something else")
    lines[4] = dump(record)
    return lines, 4


def edit_inner_index(lines: list[str]) -> Tampered:
    lines[6] = with_event(lines[6], lambda event: event.update(index=7), rehash=True)
    return lines, 6


def delete_middle(lines: list[str]) -> Tampered:
    del lines[6]
    return lines, 6


def delete_first(lines: list[str]) -> Tampered:
    del lines[0]
    return lines, 0


def swap_two(lines: list[str]) -> Tampered:
    lines[4], lines[9] = lines[9], lines[4]
    return lines, 4


def swap_neighbours(lines: list[str]) -> Tampered:
    lines[10], lines[11] = lines[11], lines[10]
    return lines, 10


def insert_forged(lines: list[str]) -> Tampered:
    """A self-consistent forged entry 8 (the real entry 8's signature), the rest moved up."""
    lines.insert(8, with_event(lines[8], renamed, rehash=True))
    return lines, 8


def insert_forged_and_renumber(lines: list[str]) -> Tampered:
    forged = with_event(lines[3], renamed, rehash=True)
    following = [renumbered(line, index + 1) for index, line in enumerate(lines[3:], start=3)]
    return [*lines[:3], forged, *following], 3


def append_forged(lines: list[str]) -> Tampered:
    """A self-consistent entry past the checkpoint, carrying the last real signature."""
    lines.append(renumbered(with_event(lines[-1], renamed, rehash=True), LOG_SIZE))
    return lines, LOG_SIZE


def truncate(lines: list[str]) -> Tampered:
    return lines[:-3], LOG_SIZE - 3


def truncate_one(lines: list[str]) -> Tampered:
    return lines[:-1], LOG_SIZE - 1


def truncate_all(_lines: list[str]) -> Tampered:
    return [], 0


def delete_and_renumber(lines: list[str]) -> Tampered:
    following = [renumbered(line, index) for index, line in enumerate(lines[7:], start=6)]
    return [*lines[:6], *following], 6


def flip_signature_bit(lines: list[str]) -> Tampered:
    lines[10] = with_signature(lines[10], flipped(load(lines[10])["checkpoint_signature"]))
    return lines, 10


def copy_next_signature(lines: list[str]) -> Tampered:
    lines[10] = with_signature(lines[10], load(lines[11])["checkpoint_signature"])
    return lines, 10


def garble_signature(lines: list[str]) -> Tampered:
    lines[10] = with_signature(lines[10], "not base64!")
    return lines, 10


def empty_signature(lines: list[str]) -> Tampered:
    lines[10] = with_signature(lines[10], "")
    return lines, 10


def numeric_signature(lines: list[str]) -> Tampered:
    lines[10] = with_signature(lines[10], 10)
    return lines, 10


def drop_signature(lines: list[str]) -> Tampered:
    record = load(lines[10])
    del record["checkpoint_signature"]
    lines[10] = dump(record)
    return lines, 10


def flip_last_signature_bit(lines: list[str]) -> Tampered:
    lines[-1] = with_signature(lines[-1], flipped(load(lines[-1])["checkpoint_signature"]))
    return lines, LOG_SIZE - 1


def signature_then_leaf(lines: list[str]) -> Tampered:
    """Two edits: the first bad index is the earlier one, whatever the later one is."""
    lines[3] = with_signature(lines[3], flipped(load(lines[3])["checkpoint_signature"]))
    lines[12] = with_event(lines[12], renamed, rehash=True)
    return lines, 3


def leaf_then_garbage(lines: list[str]) -> Tampered:
    lines[2] = with_event(lines[2], renamed, rehash=True)
    lines[12] = "garbage"
    return lines, 2


def insert_empty_line(lines: list[str]) -> Tampered:
    lines.insert(3, "")
    return lines, 3


def insert_blank_line(lines: list[str]) -> Tampered:
    lines.insert(3, "   ")
    return lines, 3


def insert_garbage_line(lines: list[str]) -> Tampered:
    lines.insert(3, "garbage")
    return lines, 3


def replace_with_garbage(lines: list[str]) -> Tampered:
    lines[3] = lines[3][: len(lines[3]) // 2]  # a line cut in half
    return lines, 3


def append_empty_line(lines: list[str]) -> Tampered:
    lines.append("")
    return lines, LOG_SIZE


def append_garbage_line(lines: list[str]) -> Tampered:
    lines.append("{")
    return lines, LOG_SIZE


TAMPERINGS = [
    edit_leaf_keep_hash,
    edit_leaf_recompute_hash,
    edit_first_leaf_recompute_hash,
    edit_last_leaf_recompute_hash,
    edit_leaf_bytes_only,
    edit_leaf_hash_only,
    edit_inner_index,
    delete_middle,
    delete_first,
    swap_two,
    swap_neighbours,
    insert_forged,
    insert_forged_and_renumber,
    append_forged,
    truncate,
    truncate_one,
    truncate_all,
    delete_and_renumber,
    flip_signature_bit,
    copy_next_signature,
    garble_signature,
    empty_signature,
    numeric_signature,
    drop_signature,
    flip_last_signature_bit,
    signature_then_leaf,
    leaf_then_garbage,
    insert_empty_line,
    insert_blank_line,
    insert_garbage_line,
    replace_with_garbage,
    append_empty_line,
    append_garbage_line,
]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def failed_at(result: CliResult, index: int) -> None:
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith(f"FAILED: entry {index}: "), result.err


def failed_without_index(result: CliResult, words: str) -> None:
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith("FAILED: "), result.err
    assert not result.err.startswith("FAILED: entry "), result.err
    assert words in result.err


def cannot_read(result: CliResult) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.startswith("attestd audit verify: cannot read input: "), result.err


# The untouched export.


def test_a_real_export_verifies(real_export, verify):
    result = verify(real_export.entries, real_export.checkpoint)

    assert result.code == 0, result.err
    root = base64.b64decode(real_export.note().split("\n")[2]).hex()
    assert result.out == (
        f"OK: {LOG_SIZE} entries verified against the checkpoint of {DEFAULT_AUDIT_ORIGIN}"
        f" at size {LOG_SIZE}, root {root}\n"
    )
    assert result.err == ""


def test_an_export_with_crlf_line_ends_still_verifies(real_export, verify, tmp_path):
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(real_export.entries.read_bytes().replace(b"\n", b"\r\n"))

    assert verify(crlf, real_export.checkpoint).code == 0


def test_an_export_without_a_final_newline_still_verifies(real_export, verify, tmp_path):
    unterminated = tmp_path / "unterminated.jsonl"
    unterminated.write_text("\n".join(real_export.lines()), encoding="utf-8")

    assert verify(unterminated, real_export.checkpoint).code == 0


# Tampered entries: exit 1, naming the first bad index.


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__)
def test_a_tampered_export_fails_at_the_first_bad_index(real_export, verify, tmp_path, tamper):
    lines, first_bad = tamper(real_export.lines())
    tampered = write_lines(tmp_path / "tampered.jsonl", lines)

    failed_at(verify(tampered, real_export.checkpoint), first_bad)


def malformed_samples() -> list[str]:
    text = MALFORMED_LINES.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("sample", malformed_samples())
def test_a_malformed_line_fails_at_its_index(real_export, verify, tmp_path, sample):
    lines = real_export.lines()
    lines[3] = sample
    tampered = write_lines(tmp_path / "tampered.jsonl", lines)

    failed_at(verify(tampered, real_export.checkpoint), 3)


def test_each_malformed_sample_says_what_is_wrong_with_it():
    """Known-bad samples stay readable: a comment line right above every one."""
    lines = MALFORMED_LINES.read_text(encoding="utf-8").splitlines()
    samples = [n for n, line in enumerate(lines) if line.strip() and not line.startswith("#")]

    assert len(samples) >= 20
    assert all(lines[n - 1].startswith("# ") for n in samples)


def test_an_edited_leaf_message_says_the_entry_was_edited(real_export, verify, tmp_path):
    lines, _ = edit_leaf_keep_hash(real_export.lines())

    result = verify(write_lines(tmp_path / "t.jsonl", lines), real_export.checkpoint)

    assert "does not hash to its leaf hash" in result.err


def test_a_truncated_export_message_says_it_was_truncated(real_export, verify, tmp_path):
    lines, _ = truncate(real_export.lines())

    result = verify(write_lines(tmp_path / "t.jsonl", lines), real_export.checkpoint)

    assert f"the checkpoint covers {LOG_SIZE} entries" in result.err
    assert "truncated" in result.err


def test_a_reordered_export_message_names_the_found_index(real_export, verify, tmp_path):
    lines, _ = swap_two(real_export.lines())

    result = verify(write_lines(tmp_path / "t.jsonl", lines), real_export.checkpoint)

    assert "expected index 4 here, found 9" in result.err


# Tampered or mismatched checkpoints: exit 1, no index.


def rewrite_note_line(note: str, number: int, value: str) -> str:
    lines = note.split("\n")
    lines[number] = value
    return "\n".join(lines)


def test_a_checkpoint_with_an_edited_size_fails(real_export, verify, tmp_path):
    edited = tmp_path / "edited.checkpoint"
    edited.write_text(rewrite_note_line(real_export.note(), 1, str(LOG_SIZE - 1)), encoding="utf-8")

    failed_without_index(verify(real_export.entries, edited), "the checkpoint does not verify")


def test_a_checkpoint_with_an_edited_root_fails(real_export, verify, tmp_path):
    edited = tmp_path / "edited.checkpoint"
    other_root = base64.b64encode(hashlib.sha256(b"another tree").digest()).decode()
    edited.write_text(rewrite_note_line(real_export.note(), 2, other_root), encoding="utf-8")

    failed_without_index(verify(real_export.entries, edited), "the checkpoint does not verify")


def test_a_checkpoint_with_an_edited_origin_fails(real_export, verify, tmp_path):
    edited = tmp_path / "edited.checkpoint"
    edited.write_text(rewrite_note_line(real_export.note(), 0, OTHER_ORIGIN), encoding="utf-8")

    failed_without_index(verify(real_export.entries, edited), "the checkpoint does not verify")


def test_a_checkpoint_without_its_signature_fails(real_export, verify, tmp_path):
    unsigned = tmp_path / "unsigned.checkpoint"
    unsigned.write_text(real_export.note().split("\n\n")[0] + "\n", encoding="utf-8")

    failed_without_index(verify(real_export.entries, unsigned), "the checkpoint does not verify")


def test_an_empty_checkpoint_file_fails(real_export, verify, tmp_path):
    empty = tmp_path / "empty.checkpoint"
    empty.write_text("", encoding="utf-8")

    failed_without_index(verify(real_export.entries, empty), "the checkpoint does not verify")


def test_a_checkpoint_checked_with_another_public_key_fails(real_export, verify, tmp_path):
    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    result = verify(real_export.entries, real_export.checkpoint, public_key=stranger)

    failed_without_index(result, "carries no signature by the given key")


def test_a_checkpoint_re_signed_by_another_key_fails(real_export, verify, tmp_path):
    """An attacker's key can sign the export's own root; the right public key refuses it."""
    lines = real_export.note().split("\n")
    head = Checkpoint(lines[0], int(lines[1]), base64.b64decode(lines[2]))
    forger = ServiceKey(Ed25519PrivateKey.generate())
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(signed_note(head, signature(head, forger)), encoding="utf-8")

    failed_without_index(verify(real_export.entries, forged), "no signature by the given key")


def test_a_checkpoint_of_another_history_fails_without_an_index(
    real_export, verify, tmp_path, signing_key_file
):
    """Same key, same size, another root: every entry is signed, yet the root differs."""
    key = load_service_key(signing_key_file)
    head = Checkpoint(DEFAULT_AUDIT_ORIGIN, LOG_SIZE, hashlib.sha256(b"a fork").digest())
    fork = tmp_path / "fork.checkpoint"
    fork.write_text(signed_note(head, signature(head, key)), encoding="utf-8")

    failed_without_index(verify(real_export.entries, fork), "different histories")


# Unreadable input: exit 2.


def test_a_missing_entries_file_cannot_be_read(real_export, verify, tmp_path):
    cannot_read(verify(tmp_path / "missing.jsonl", real_export.checkpoint))


def test_a_missing_checkpoint_file_cannot_be_read(real_export, verify, tmp_path):
    cannot_read(verify(real_export.entries, tmp_path / "missing.checkpoint"))


def test_a_missing_public_key_cannot_be_read(real_export, verify, tmp_path):
    cannot_read(verify(real_export.entries, real_export.checkpoint, public_key=tmp_path / "no.pub"))


def test_a_missing_previous_checkpoint_cannot_be_read(real_export, verify, tmp_path):
    result = verify(
        real_export.entries, real_export.checkpoint, previous=tmp_path / "no.checkpoint"
    )

    cannot_read(result)


def test_a_directory_as_entries_cannot_be_read(real_export, verify, tmp_path):
    cannot_read(verify(tmp_path, real_export.checkpoint))


@pytest.mark.parametrize(
    "content",
    [b"", b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
    ids=["empty", "text", "bad-pem"],
)
def test_a_public_key_that_is_not_a_pem_key_cannot_be_read(real_export, verify, tmp_path, content):
    bad = tmp_path / "bad.pub"
    bad.write_bytes(content)

    cannot_read(verify(real_export.entries, real_export.checkpoint, public_key=bad))


def test_a_private_key_is_not_taken_for_the_public_key(real_export, verify, signing_key_file):
    cannot_read(verify(real_export.entries, real_export.checkpoint, public_key=signing_key_file))


def test_a_checkpoint_that_is_not_utf8_cannot_be_read(real_export, verify, tmp_path):
    binary = tmp_path / "binary.checkpoint"
    binary.write_bytes(b"\xff\xfe\x00checkpoint")

    cannot_read(verify(real_export.entries, binary))


# Previous checkpoints.


@pytest.fixture
def grown(client, admin_headers, export) -> tuple[Export, Export]:
    """An export at one size, then the log grows and is exported again."""
    add_services(client, admin_headers, ["early-a", "early-b"])
    old = export("old")
    add_services(client, admin_headers, ["late-a", "late-b", "late-c"])
    new = export("new")
    assert len(old.lines()) == 7
    assert len(new.lines()) == 16
    assert new.lines()[:7] == old.lines()
    return old, new


def test_a_grown_log_extends_its_previous_checkpoint(grown, verify):
    old, new = grown

    result = verify(new.entries, new.checkpoint, previous=old.checkpoint)

    assert result.code == 0, result.err
    assert result.out.startswith("OK: 16 entries verified")
    assert result.out.endswith("; it extends the previous checkpoint of size 7\n")


def test_the_api_checkpoint_serves_as_a_previous_checkpoint(
    client, admin_headers, export, verify, tmp_path
):
    add_services(client, admin_headers, ["first"])
    served = client.get("/v1/audit/checkpoint").json()
    previous = tmp_path / "served.checkpoint"
    previous.write_text(served["signed_note"], encoding="utf-8")
    add_services(client, admin_headers, ["second"])
    new = export("new")

    result = verify(new.entries, new.checkpoint, previous=previous)

    assert served["tree_size"] == 4
    assert result.code == 0, result.err
    assert result.out.endswith("; it extends the previous checkpoint of size 4\n")


def test_a_checkpoint_extends_itself(grown, verify):
    _, new = grown

    result = verify(new.entries, new.checkpoint, previous=new.checkpoint)

    assert result.code == 0, result.err
    assert result.out.endswith("; it extends the previous checkpoint of size 16\n")


def test_every_log_extends_the_empty_checkpoint(export, verify, client, make_token):
    empty = export("empty")
    add_services(client, bearer(make_token("admin")), ["only"])
    new = export("new")

    result = verify(new.entries, new.checkpoint, previous=empty.checkpoint)

    assert result.code == 0, result.err
    assert result.out.endswith("; it extends the previous checkpoint of size 0\n")


def test_an_older_export_verifies_but_not_against_a_newer_previous(grown, verify):
    old, new = grown

    assert verify(old.entries, old.checkpoint).code == 0
    failed_without_index(
        verify(old.entries, old.checkpoint, previous=new.checkpoint),
        "the previous checkpoint is larger than the checkpoint",
    )


def test_a_previous_checkpoint_of_another_origin_fails(grown, verify, export):
    _, new = grown
    renamed_log = export("renamed", audit_origin=OTHER_ORIGIN)
    assert renamed_log.note().startswith(f"{OTHER_ORIGIN}\n")

    result = verify(new.entries, new.checkpoint, previous=renamed_log.checkpoint)

    failed_without_index(result, "different logs (origins differ)")


def test_a_previous_checkpoint_by_another_key_fails(grown, verify, tmp_path):
    old, new = grown
    lines = old.note().split("\n")
    head = Checkpoint(lines[0], int(lines[1]), base64.b64decode(lines[2]))
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(
        signed_note(head, signature(head, ServiceKey(Ed25519PrivateKey.generate()))),
        encoding="utf-8",
    )

    result = verify(new.entries, new.checkpoint, previous=forged)

    failed_without_index(result, "the previous checkpoint does not verify")


@pytest.fixture
def other_database_url(database_template, tmp_path) -> Iterator[str]:
    """A second, unrelated attestd database (same template, its own history)."""
    directory = tmp_path / "other"
    directory.mkdir()
    url = database_template.clone(directory)
    yield url
    database_template.drop(url)


def test_a_previous_checkpoint_of_another_history_fails(
    grown, verify, attestd, other_database_url, tmp_path
):
    """Same key, same origin, a different log: the new tree does not extend it."""
    _, new = grown
    for number in range(3):
        made = attestd(
            "token", "create", "--role", "auditor", "--name", f"other-{number}",
            database_url=other_database_url,
        )  # fmt: skip
        assert made.code == 0, made.err
    other = Export(tmp_path / "other.jsonl", tmp_path / "other.checkpoint")
    exported = attestd(
        "audit", "export", "--out", str(other.entries), "--checkpoint-out", str(other.checkpoint),
        database_url=other_database_url,
    )  # fmt: skip
    assert exported.code == 0, exported.err
    assert verify(other.entries, other.checkpoint).code == 0  # a genuine log of its own
    assert other.note().split("\n")[:2] == [DEFAULT_AUDIT_ORIGIN, "3"]

    result = verify(new.entries, new.checkpoint, previous=other.checkpoint)

    failed_without_index(result, "does not extend the previous checkpoint of size 3")


# An export newer than its checkpoint.


def test_a_newer_export_verifies_against_an_older_checkpoint(grown, verify):
    old, new = grown

    result = verify(new.entries, old.checkpoint)

    assert result.code == 0, result.err
    assert result.out.startswith("OK: 16 entries verified against the checkpoint of")
    assert " at size 7, " in result.out


def test_an_edit_past_the_checkpoint_is_still_located(grown, verify, tmp_path):
    """Entries past the checkpoint are vouched for by their own signed tree heads only."""
    old, new = grown
    lines = new.lines()
    lines[11] = with_event(lines[11], renamed, rehash=True)

    failed_at(verify(write_lines(tmp_path / "t.jsonl", lines), old.checkpoint), 11)


def test_a_forged_signature_past_the_checkpoint_is_located(grown, verify, tmp_path):
    old, new = grown
    lines = new.lines()
    lines[9] = with_signature(lines[9], flipped(load(lines[9])["checkpoint_signature"]))

    failed_at(verify(write_lines(tmp_path / "t.jsonl", lines), old.checkpoint), 9)


# The empty log.


def test_the_export_of_an_empty_log_verifies(export, verify):
    empty = export("empty")

    result = verify(empty.entries, empty.checkpoint)

    assert result.code == 0, result.err
    assert result.out.startswith("OK: 0 entries verified")
    assert f"at size 0, root {EMPTY_ROOT.hex()}" in result.out


# No database needed.


def child_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("ATTESTD_")}


def run_verify_script(
    entries: Path, checkpoint: Path, public_key: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """scripts/verify_audit.py run from ``cwd`` by a child with no attestd settings at all."""
    argv = [
        sys.executable,
        str(VERIFY_SCRIPT),
        "--entries", str(entries),
        "--checkpoint", str(checkpoint),
        "--public-key", str(public_key),
    ]  # fmt: skip
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        argv, cwd=cwd, env=child_environment(), capture_output=True, text=True, check=False
    )


def test_the_verify_script_runs_without_a_database(real_export, public_key_file, tmp_path):
    """scripts/verify_audit.py from another directory, with no attestd settings at all."""
    done = run_verify_script(real_export.entries, real_export.checkpoint, public_key_file, tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {LOG_SIZE} entries verified")


def test_the_verify_script_reports_tampering(real_export, public_key_file, tmp_path):
    lines, first_bad = edit_leaf_recompute_hash(real_export.lines())
    tampered = write_lines(tmp_path / "tampered.jsonl", lines)

    done = run_verify_script(tampered, real_export.checkpoint, public_key_file, tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"FAILED: entry {first_bad}: ")


def test_the_verifier_imports_no_database_or_web_code():
    probe = "import json, sys\nimport app.audit.verify\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe],
        cwd=REPOSITORY_ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(done.stdout)

    assert "app.audit.verify" in loaded
    forbidden = ("sqlalchemy", "fastapi", "starlette", "pydantic", "app.db", "app.config")
    assert [name for name in loaded if name.startswith(forbidden)] == []
