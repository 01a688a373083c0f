"""``attestd audit export``: the JSON Lines file and the checkpoint it matches."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from app.audit.merkle import EMPTY_ROOT
from app.config import DEFAULT_AUDIT_ORIGIN
from app.signing import load_service_key
from tests.builders.credentials import bearer

SERVICES = "/v1/services"
EXPORT_FIELDS = {"index", "leaf", "leaf_hash", "checkpoint_signature"}


@pytest.fixture
def public_key_file(tmp_path, signing_key_file) -> Path:
    path = tmp_path / "attestd.pub"
    path.write_text(load_service_key(signing_key_file).public.pem, encoding="utf-8")
    return path


def add_services(client, headers, names: list[str], owner: str = "team-a") -> None:
    """Two leaves per service: created, then its owner changed."""
    for name in names:
        body = {"name": name, "repository": f"https://git.example.com/acme/{name}"}
        assert client.post(SERVICES, json=body, headers=headers).status_code == 201
        changed = client.patch(f"{SERVICES}/{name}", json={"owner": owner}, headers=headers)
        assert changed.status_code == 200, changed.text


def leaf_hash(leaf: str) -> str:
    return hashlib.sha256(b"\x00" + leaf.encode()).hexdigest()


def note_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_the_export_of_an_empty_log_is_an_empty_file_and_a_size_0_checkpoint(
    cli, tmp_path, public_key_file
):
    entries, checkpoint = tmp_path / "audit.jsonl", tmp_path / "audit.checkpoint"

    exported = cli("audit", "export", "--out", str(entries), "--checkpoint-out", str(checkpoint))

    assert exported.code == 0, exported.err
    assert exported.out == ""
    assert exported.err.endswith(f"exported 0 entries to {entries}\n")
    assert entries.read_bytes() == b""
    origin, size, root, blank, signature_line, end = note_lines(checkpoint)
    assert (origin, size, blank, end) == (DEFAULT_AUDIT_ORIGIN, "0", "", "")
    assert base64.b64decode(root) == EMPTY_ROOT
    assert signature_line.startswith(f"\u2014 {DEFAULT_AUDIT_ORIGIN} ")
    verified = cli(
        "audit", "verify", "--entries", str(entries), "--checkpoint", str(checkpoint),
        "--public-key", str(public_key_file),
    )  # fmt: skip
    assert verified.code == 0, verified.err
    assert verified.out.startswith("OK: 0 entries verified")


def test_each_line_is_one_json_object_with_index_leaf_hash_and_signature(
    cli, client, admin_headers, tmp_path
):
    add_services(client, admin_headers, ["alpha", "beta", "gamma"])
    entries, checkpoint = tmp_path / "audit.jsonl", tmp_path / "audit.checkpoint"

    exported = cli("audit", "export", "--out", str(entries), "--checkpoint-out", str(checkpoint))

    assert exported.code == 0, exported.err
    assert exported.err.endswith(f"exported 7 entries to {entries}\n")
    text = entries.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert len(lines) == 7
    assert note_lines(checkpoint)[1] == "7"
    for position, line in enumerate(lines):
        record = json.loads(line)
        assert set(record) == EXPORT_FIELDS
        assert record["index"] == position
        assert json.loads(record["leaf"])["index"] == position
        assert record["leaf_hash"] == leaf_hash(record["leaf"])
        assert len(base64.b64decode(record["checkpoint_signature"], validate=True)) == 4 + 64
        # compact, keys sorted: one line that a line-oriented tool can diff
        assert line == json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    actions = [json.loads(json.loads(line)["leaf"])["action"] for line in lines]
    assert actions == ["token.created"] + ["service.created", "service.updated"] * 3


def test_the_exported_leaf_is_exactly_the_text_the_api_returns(
    cli, client, admin_headers, auditor_headers, tmp_path
):
    add_services(client, admin_headers, ["alpha", "beta"], owner="\u00e9quipe \u2603")
    entries = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--out", str(entries)).code == 0

    served = client.get("/v1/audit/entries", params={"limit": 1000}, headers=auditor_headers)

    assert served.status_code == 200
    exported = [json.loads(line) for line in entries.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 6  # two tokens, then two services created and changed
    for record, entry in zip(exported, served.json()["entries"], strict=True):
        assert record == {
            "index": entry["index"],
            "leaf": entry["leaf"],
            "leaf_hash": entry["leaf_hash"],
            "checkpoint_signature": entry["checkpoint_signature"],
        }
    assert "\u00e9quipe \u2603" in exported[-1]["leaf"]  # written as UTF-8, not as \\u escapes
    assert "\u00e9quipe \u2603" in entries.read_text(encoding="utf-8")


def test_the_exported_checkpoint_is_the_one_the_api_serves(cli, client, admin_headers, tmp_path):
    add_services(client, admin_headers, ["alpha"])
    entries, checkpoint = tmp_path / "audit.jsonl", tmp_path / "audit.checkpoint"
    served = client.get("/v1/audit/checkpoint").json()

    exported = cli("audit", "export", "--out", str(entries), "--checkpoint-out", str(checkpoint))

    assert exported.code == 0, exported.err
    assert checkpoint.read_text(encoding="utf-8") == served["signed_note"]
    assert served["tree_size"] == 3


def test_export_without_checkpoint_out_writes_the_entries_only(cli, make_token, tmp_path):
    make_token("admin")
    out = tmp_path / "only" / "audit.jsonl"
    out.parent.mkdir()

    exported = cli("audit", "export", "--out", str(out))

    assert exported.code == 0, exported.err
    assert sorted(path.name for path in out.parent.iterdir()) == ["audit.jsonl"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_export_replaces_an_older_export_and_leaves_no_temporary_file(
    cli, client, make_token, tmp_path
):
    directory = tmp_path / "exports"
    directory.mkdir()
    out, checkpoint = directory / "audit.jsonl", directory / "audit.checkpoint"
    out.write_text("stale\n", encoding="utf-8")
    checkpoint.write_text("stale\n", encoding="utf-8")
    add_services(client, bearer(make_token("admin")), ["alpha"])

    exported = cli("audit", "export", "--out", str(out), "--checkpoint-out", str(checkpoint))

    assert exported.code == 0, exported.err
    assert sorted(path.name for path in directory.iterdir()) == ["audit.checkpoint", "audit.jsonl"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert note_lines(checkpoint)[:2] == [DEFAULT_AUDIT_ORIGIN, "3"]


def test_exports_of_an_unchanged_log_are_identical(cli, make_token, tmp_path):
    make_token("admin")
    make_token("auditor")
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        directory.mkdir()
        done = cli(
            "audit", "export", "--out", str(directory / "audit.jsonl"),
            "--checkpoint-out", str(directory / "audit.checkpoint"),
        )  # fmt: skip
        assert done.code == 0, done.err

    for name in ("audit.jsonl", "audit.checkpoint"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


# A failed export leaves no file behind (app/cli.py _write_atomically).


def test_an_export_into_a_missing_directory_fails_and_writes_nothing(cli, make_token, tmp_path):
    make_token("admin")
    directory = tmp_path / "exports"
    directory.mkdir()
    missing = directory / "missing"

    exported = cli("audit", "export", "--out", str(missing / "audit.jsonl"))

    assert exported.code != 0
    assert exported.err.startswith("attestd: "), exported.err
    assert str(missing) in exported.err
    assert list(directory.iterdir()) == []


def test_an_export_onto_a_directory_fails_and_leaves_no_temporary_file(cli, make_token, tmp_path):
    make_token("admin")
    directory = tmp_path / "exports"
    target = directory / "audit.jsonl"
    target.mkdir(parents=True)

    exported = cli("audit", "export", "--out", str(target))

    assert exported.code != 0
    assert exported.err.startswith("attestd: "), exported.err
    assert target.is_dir()
    assert list(target.iterdir()) == []
    assert [path.name for path in directory.iterdir()] == ["audit.jsonl"]


def test_an_export_whose_checkpoint_cannot_be_written_leaves_no_entries_file(
    cli, make_token, tmp_path
):
    """Entries without the checkpoint they match are a partial export: nothing is kept."""
    make_token("admin")
    directory = tmp_path / "exports"
    directory.mkdir()
    out = directory / "audit.jsonl"

    exported = cli(
        "audit", "export", "--out", str(out),
        "--checkpoint-out", str(tmp_path / "missing" / "audit.checkpoint"),
    )  # fmt: skip

    assert exported.code != 0
    assert exported.err.startswith("attestd: "), exported.err
    assert list(directory.iterdir()) == []
