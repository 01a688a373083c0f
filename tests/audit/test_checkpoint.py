"""Checkpoints as C2SP signed notes: the text, key IDs, signing, and what opening refuses.

The notes in notes/ are known-bad for reasons that do not depend on the key
(structure, size, root), plus good.txt, the note the fixed test key signs for
CHECKPOINT. Ed25519 is deterministic, so that file is stable byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.audit.checkpoint import (
    MAX_NOTE_BYTES,
    Checkpoint,
    NoteError,
    key_id,
    open_signed_note,
    parse_checkpoint_text,
    signature,
    signed_note,
    verifier_key,
    verify_signature,
)
from app.audit.merkle import EMPTY_ROOT
from app.signing import PublicKey, ServiceKey

NOTES = Path(__file__).parent / "notes"
EM_DASH = "\u2014"

KEY = ServiceKey(Ed25519PrivateKey.from_private_bytes(b"attestd checkpoint test key 0001"))
OTHER_KEY = ServiceKey(Ed25519PrivateKey.from_private_bytes(b"attestd checkpoint other key 002"))
ORIGIN = "attestd.test/audit"
ROOT = hashlib.sha256(b"attestd test tree of 42 leaves").digest()
CHECKPOINT = Checkpoint(origin=ORIGIN, size=42, root=ROOT)
ROOT_B64 = "zrsQtnvXyTi4oxUyuuwUF8FrjZ++Z8x9CQO8oR9eWWI="

# golang.org/x/mod sumdb/note (note.go example and note_test.go): an independent
# implementation's signer key, verifier keys and the signature of one text.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
# The signer key's base64 (which itself contains a "+") is 0x01 || the Ed25519 seed.
GO_PETER = ServiceKey(
    Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])[1:])
)
GO_ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)


def expected_key_id(name: str, public: PublicKey) -> bytes:
    """c2sp.org/signed-note: SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\x0a\x01" + public.raw).digest()[:4]


def signature_line(text: str, key: ServiceKey = KEY, name: str = ORIGIN) -> str:
    """A genuine signature line over arbitrary ``text``, built without the module."""
    raw = expected_key_id(name, key.public) + key.sign(text.encode())
    return f"{EM_DASH} {name} {base64.b64encode(raw).decode()}\n"


def note_of(text: str, *lines: str) -> str:
    return text + "\n" + "".join(lines or (signature_line(text),))


def good_note() -> str:
    return signed_note(CHECKPOINT, signature(CHECKPOINT, KEY))


# --- the text and the signature line ------------------------------------------------------


def test_text_is_origin_size_and_base64_root_each_on_a_line():
    assert CHECKPOINT.text() == f"{ORIGIN}\n42\n{ROOT_B64}\n"
    assert base64.b64decode(ROOT_B64) == ROOT


def test_text_of_the_empty_tree():
    empty = Checkpoint(origin=ORIGIN, size=0, root=EMPTY_ROOT)

    assert empty.text() == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert open_signed_note(signed_note(empty, signature(empty, KEY)), KEY.public) == empty


def test_signed_note_is_text_blank_line_and_an_em_dash_signature_line_named_for_the_origin():
    note = good_note()
    lines = note.split("\n")

    assert len(lines) == 6
    assert "\n".join(lines[:3]) + "\n" == CHECKPOINT.text()
    assert lines[3] == ""  # the blank line
    assert lines[5] == ""  # the signature line ends in a newline
    dash, name, value = lines[4].split(" ")
    assert dash == EM_DASH
    assert name == ORIGIN
    raw = base64.b64decode(value, validate=True)
    assert len(raw) == 4 + 64
    assert raw[:4] == expected_key_id(ORIGIN, KEY.public)
    # Checked with the cryptography package directly, over the exact text bytes.
    Ed25519PublicKey.from_public_bytes(KEY.public.raw).verify(raw[4:], CHECKPOINT.text().encode())
    assert note == note_of(CHECKPOINT.text())


def test_the_good_note_file_is_what_the_test_key_signs():
    assert NOTES.joinpath("good.txt").read_bytes() == good_note().encode()
    assert open_signed_note(NOTES.joinpath("good.txt").read_text(), KEY.public) == CHECKPOINT


def test_key_id_is_the_c2sp_hash_of_name_type_and_key():
    assert key_id(ORIGIN, KEY.public) == expected_key_id(ORIGIN, KEY.public)
    assert key_id("other.name", KEY.public) != key_id(ORIGIN, KEY.public)
    assert key_id(ORIGIN, OTHER_KEY.public) != key_id(ORIGIN, KEY.public)


def test_verifier_key_is_name_hex_id_and_base64_of_type_and_key():
    value = verifier_key(ORIGIN, KEY.public)
    name, hex_id, encoded = value.split("+")

    assert name == ORIGIN
    assert re.fullmatch(r"[0-9a-f]{8}", hex_id)
    assert bytes.fromhex(hex_id) == expected_key_id(ORIGIN, KEY.public)
    assert base64.b64decode(encoded, validate=True) == b"\x01" + KEY.public.raw


def test_key_ids_and_verifier_keys_match_go_sumdb_note():
    assert base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])[0] == 1
    enoch_name, enoch_id, enoch_key = GO_ENOCH_VERIFIER_KEY.split("+")
    enoch = PublicKey(Ed25519PublicKey.from_public_bytes(base64.b64decode(enoch_key)[1:]))

    assert verifier_key("PeterNeumann", GO_PETER.public) == GO_VERIFIER_KEY
    assert verifier_key(enoch_name, enoch) == GO_ENOCH_VERIFIER_KEY
    assert key_id(enoch_name, enoch).hex() == enoch_id
    raw = base64.b64decode(GO_SIGNATURE)
    assert raw[:4] == key_id("PeterNeumann", GO_PETER.public)
    assert GO_PETER.sign(GO_TEXT.encode()) == raw[4:]
    assert GO_PETER.public.verify(raw[4:], GO_TEXT.encode())


def test_a_go_note_that_is_not_a_checkpoint_does_not_open():
    note = f"{GO_TEXT}\n{EM_DASH} PeterNeumann {GO_SIGNATURE}\n"

    with pytest.raises(NoteError, match="origin"):
        open_signed_note(note, GO_PETER.public)


# --- opening ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 42, 2**40 + 3, 2**63 - 1])
def test_open_signed_note_round_trips(size):
    checkpoint = Checkpoint(origin=ORIGIN, size=size, root=hashlib.sha256(b"%d" % size).digest())

    opened = open_signed_note(signed_note(checkpoint, signature(checkpoint, KEY)), KEY.public)

    assert opened == checkpoint


def test_a_note_signed_by_another_key_does_not_open():
    note = signed_note(CHECKPOINT, signature(CHECKPOINT, OTHER_KEY))

    with pytest.raises(NoteError, match="no signature by the given key"):
        open_signed_note(note, KEY.public)
    assert open_signed_note(note, OTHER_KEY.public) == CHECKPOINT


def test_a_note_signed_by_the_key_under_another_name_does_not_open():
    note = note_of(CHECKPOINT.text(), signature_line(CHECKPOINT.text(), name="someone.else/log"))

    with pytest.raises(NoteError, match="no signature by the given key"):
        open_signed_note(note, KEY.public)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("\n42\n", "\n43\n", id="size"),
        pytest.param("\n42\n", "\n4200\n", id="size grown"),
        pytest.param(ROOT_B64, base64.b64encode(hashlib.sha256(b"x").digest()).decode(), id="root"),
        # Same 32 bytes, but the two unused bits of the last base64 digit are set:
        # the text differs from the signed text, so the signature must not verify.
        pytest.param(ROOT_B64, ROOT_B64[:-2] + "J=", id="root base64 not canonical"),
    ],
)
def test_a_note_altered_after_signing_does_not_open(old, new):
    note = good_note()
    assert base64.b64decode(ROOT_B64[:-2] + "J=") == ROOT
    assert old in note
    altered = note.replace(old, new, 1)
    assert altered != note

    with pytest.raises(NoteError, match="does not verify"):
        open_signed_note(altered, KEY.public)


def test_a_note_with_a_changed_origin_has_no_signature_for_it():
    altered = good_note().replace(f"{ORIGIN}\n", "attestd.test/other\n", 1)

    with pytest.raises(NoteError, match="no signature by the given key"):
        open_signed_note(altered, KEY.public)


def test_a_signature_with_the_right_key_id_and_wrong_bytes_rejects_the_note():
    forged = base64.b64encode(expected_key_id(ORIGIN, KEY.public) + bytes(64)).decode()
    truncated = base64.b64encode(expected_key_id(ORIGIN, KEY.public) + bytes(10)).decode()
    other = base64.b64decode(signature(CHECKPOINT, OTHER_KEY))
    transplanted = base64.b64encode(expected_key_id(ORIGIN, KEY.public) + other[4:]).decode()

    for value in (forged, truncated, transplanted):
        note = f"{CHECKPOINT.text()}\n{EM_DASH} {ORIGIN} {value}\n"
        with pytest.raises(NoteError, match="does not verify"):
            open_signed_note(note, KEY.public)


def test_a_bad_signature_by_the_key_rejects_the_note_even_next_to_a_good_one():
    forged = base64.b64encode(expected_key_id(ORIGIN, KEY.public) + bytes(64)).decode()
    note = good_note() + f"{EM_DASH} {ORIGIN} {forged}\n"

    with pytest.raises(NoteError, match="does not verify"):
        open_signed_note(note, KEY.public)


def test_signature_lines_by_other_keys_and_names_are_ignored():
    text = CHECKPOINT.text()
    foreign = [
        signature_line(text, key=OTHER_KEY),  # same name, another key
        signature_line(text, key=OTHER_KEY, name="witness.example/w1"),
        signature_line(text, name="witness.example/w2"),  # same key, another name
        f"{EM_DASH} witness.example/w3 not*base64\n",  # not ours: never decoded
        # Our key ID under another name (c2sp: share a name or an ID, not both).
        f"{EM_DASH} witness.example/w4 "
        + base64.b64encode(expected_key_id(ORIGIN, KEY.public) + bytes(64)).decode()
        + "\n",
    ]
    note = note_of(text, *foreign[:3], signature_line(text), *foreign[3:])

    assert open_signed_note(note, KEY.public) == CHECKPOINT


def test_a_signed_extension_line_is_kept_under_the_signature():
    text = CHECKPOINT.text() + "extension line\n"

    assert open_signed_note(note_of(text), KEY.public) == CHECKPOINT
    with pytest.raises(NoteError, match="does not verify"):
        open_signed_note(note_of(CHECKPOINT.text(), signature_line(text)), KEY.public)
    with pytest.raises(NoteError, match="does not verify"):
        open_signed_note(note_of(text, signature_line(CHECKPOINT.text())), KEY.public)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(f"{ORIGIN}\n042\n{ROOT_B64}\n", "decimal", id="leading zero"),
        pytest.param(f"{ORIGIN}\n00\n{ROOT_B64}\n", "decimal", id="zero twice"),
        pytest.param(f"{ORIGIN}\n4.2e1\n{ROOT_B64}\n", "decimal", id="not an integer"),
        pytest.param(
            f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes", id="short root"
        ),
        pytest.param(
            f"{ORIGIN}\n42\n{base64.b64encode(ROOT * 2).decode()}\n", "32 bytes", id="long root"
        ),
        pytest.param(f"{ORIGIN}\n42\n\n", "32 bytes", id="empty root line"),
    ],
)
def test_a_genuinely_signed_note_with_a_bad_checkpoint_does_not_open(text, reason):
    with pytest.raises(NoteError, match=reason):
        open_signed_note(note_of(text), KEY.public)


@pytest.mark.parametrize("control", ["\x00", "\t", "\r", "\x1b", "\x0b", "\x1f"])
def test_control_characters_reject_the_note(control):
    good = good_note()
    for position in (0, len(ORIGIN), good.index(EM_DASH), len(good) - 1):
        note = good[:position] + control + good[position:]
        with pytest.raises(NoteError, match="control characters"):
            open_signed_note(note, KEY.public)


def test_crlf_line_endings_reject_the_note():
    with pytest.raises(NoteError, match="control characters"):
        open_signed_note(good_note().replace("\n", "\r\n"), KEY.public)


def test_an_oversized_note_is_rejected_before_anything_else():
    text = CHECKPOINT.text()
    foreign = signature_line(text, key=OTHER_KEY, name="witness.example/w")
    fits = note_of(text, signature_line(text), *[foreign] * 100)
    assert len(fits.encode()) <= MAX_NOTE_BYTES
    oversized = note_of(text, signature_line(text), *[foreign] * 200)
    assert len(oversized.encode()) > MAX_NOTE_BYTES

    assert open_signed_note(fits, KEY.public) == CHECKPOINT
    with pytest.raises(NoteError, match="too large"):
        open_signed_note(oversized, KEY.public)
    with pytest.raises(NoteError, match="too large"):
        open_signed_note("\x00" * (MAX_NOTE_BYTES + 1), KEY.public)


def test_a_note_that_is_not_unicode_text_is_rejected():
    with pytest.raises(NoteError, match="UTF-8"):
        open_signed_note(good_note() + "\ud800", KEY.public)


BAD_NOTES = {
    "no_blank_line": "no blank line",
    "no_signature_lines": "no signature lines",
    "no_final_newline": "no signature lines",
    "signature_hyphen_instead_of_em_dash": "em dash",
    "signature_en_dash": "em dash",
    "signature_without_value": "lacks its key name or its signature",
    "signature_not_base64": "not base64",
    "blank_line_between_signatures": "extension line is empty",
    "empty_extension_line": "extension line is empty",
    "empty_origin": "origin line is empty",
    "origin_with_space": "has spaces",
    "origin_with_tab": "control characters",
    "size_leading_zero": "decimal",
    "size_negative": "decimal",
    "size_plus_sign": "decimal",
    "size_hex": "decimal",
    "size_space_padded": "decimal",
    "size_arabic_indic_digits": "decimal",
    "size_twenty_digits": "decimal",
    "size_empty": "decimal",
    "root_31_bytes": "32 bytes",
    "root_33_bytes": "32 bytes",
    "root_hex": "32 bytes",
    "root_unpadded": "not base64",
    "root_urlsafe_base64": "not base64",
    "missing_root_line": "origin, a size and a root",
}


def test_every_bad_note_file_has_an_expected_reason():
    files = {path.stem for path in NOTES.glob("*.txt")} - {"good"}

    assert files == set(BAD_NOTES)


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_NOTES.items()))
def test_bad_note_files_do_not_open(name, reason):
    note = NOTES.joinpath(f"{name}.txt").read_bytes().decode()

    with pytest.raises(NoteError, match=reason):
        open_signed_note(note, KEY.public)


def test_parse_checkpoint_text_reads_the_three_lines():
    assert parse_checkpoint_text(CHECKPOINT.text()) == CHECKPOINT
    with pytest.raises(NoteError):
        parse_checkpoint_text(CHECKPOINT.text().removesuffix("\n"))


# --- verify_signature ---------------------------------------------------------------------


def test_verify_signature_accepts_the_origin_keys_signature():
    assert verify_signature(CHECKPOINT, signature(CHECKPOINT, KEY), KEY.public)


@pytest.mark.parametrize(
    "checkpoint",
    [
        pytest.param(Checkpoint(ORIGIN, 43, ROOT), id="other size"),
        pytest.param(Checkpoint(ORIGIN, 42, EMPTY_ROOT), id="other root"),
        pytest.param(Checkpoint("attestd.test/other", 42, ROOT), id="other origin"),
    ],
)
def test_verify_signature_rejects_the_signature_of_another_checkpoint(checkpoint):
    assert not verify_signature(checkpoint, signature(CHECKPOINT, KEY), KEY.public)


def test_verify_signature_rejects_bad_values():
    good = base64.b64decode(signature(CHECKPOINT, KEY))
    flipped = good[:-1] + bytes([good[-1] ^ 1])

    assert not verify_signature(CHECKPOINT, signature(CHECKPOINT, OTHER_KEY), KEY.public)
    assert not verify_signature(CHECKPOINT, signature(CHECKPOINT, KEY), OTHER_KEY.public)
    assert not verify_signature(CHECKPOINT, base64.b64encode(flipped).decode(), KEY.public)
    assert not verify_signature(CHECKPOINT, base64.b64encode(good[:-1]).decode(), KEY.public)
    assert not verify_signature(CHECKPOINT, base64.b64encode(good[4:]).decode(), KEY.public)
    assert not verify_signature(CHECKPOINT, "not*base64", KEY.public)
    assert not verify_signature(CHECKPOINT, "", KEY.public)
