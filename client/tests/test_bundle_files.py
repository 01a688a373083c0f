"""``--bundle`` files that hold several bundles: PEP 740 provenance files and JSON Lines.

The conversion and the splitting are checked on their own, then through ``submit.run``
against a scripted server: what is sent, what is printed, and that a malformed file
sends nothing. (The server's verdict on a converted real attestation is tested with the
server, in tests/attestations/test_submit_bundle_files.py.)
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from builders import SERVER, TOKEN, Script

from attestd_client import errors, submit
from attestd_client.bundle_files import split_bundles
from attestd_client.pep740 import BUNDLE_V03, IN_TOTO_PAYLOAD_TYPE, Pep740Malformed, convert

CERTIFICATE = b"0\x82\x01\x00 a DER certificate"
STATEMENT = b'{"_type":"https://in-toto.io/Statement/v1"}'
SIGNATURE = b"0E\x02\x21 an ECDSA signature"
ENTRY = {"logIndex": "7", "kindVersion": {"kind": "dsse", "version": "0.0.1"}}
GITHUB = {
    "kind": "GitHub",
    "repository": "acme/app",
    "workflow": "release.yml",
    "environment": None,
}
GITLAB = {"kind": "GitLab", "repository": "acme/lib", "workflow_filepath": ".gitlab-ci.yml"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attestation(signature: bytes = SIGNATURE) -> dict[str, Any]:
    return {
        "version": 1,
        "verification_material": {"certificate": b64(CERTIFICATE), "transparency_entries": [ENTRY]},
        "envelope": {"statement": b64(STATEMENT), "signature": b64(signature)},
    }


def provenance(*groups: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """A provenance object: per (publisher, count), that many attestations."""
    return {
        "version": 1,
        "attestation_bundles": [
            {
                "publisher": publisher,
                "attestations": [attestation(SIGNATURE + bytes([n])) for n in range(count)],
            }
            for publisher, count in groups
        ],
    }


def edited(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``document`` with the value at the dotted ``path`` replaced (``...`` deletes it)."""
    document = copy.deepcopy(document)
    *steps, last = path.split(".")
    holder: Any = document
    for step in steps:
        holder = holder[int(step)] if isinstance(holder, list) else holder[step]
    key: Any = int(last) if isinstance(holder, list) else last
    if value is ...:
        del holder[key]
    else:
        holder[key] = value
    return document


# --- the conversion ----------------------------------------------------------------------


def test_an_attestation_becomes_a_bundle_v03_with_its_parts_unchanged() -> None:
    (converted,) = convert(provenance((GITHUB, 1)))
    assert converted.publisher == "GitHub (repository=acme/app, workflow=release.yml)"
    assert converted.position == "attestation_bundles[0].attestations[0]"
    bundle = json.loads(converted.content)
    assert bundle == {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(CERTIFICATE)},
            "tlogEntries": [ENTRY],
        },
        "dsseEnvelope": {
            "payload": b64(STATEMENT),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": b64(SIGNATURE + b"\x00")}],
        },
    }


def test_the_conversion_is_deterministic() -> None:
    document = provenance((GITHUB, 1))
    reordered = json.loads(json.dumps(document, sort_keys=True))
    assert convert(document)[0].content == convert(reordered)[0].content


def test_every_attestation_of_every_publisher_is_converted_in_file_order() -> None:
    converted = convert(provenance((GITHUB, 2), (GITLAB, 1)))
    assert [(str(item.publisher).split()[0], item.position) for item in converted] == [
        ("GitHub", "attestation_bundles[0].attestations[0]"),
        ("GitHub", "attestation_bundles[0].attestations[1]"),
        ("GitLab", "attestation_bundles[1].attestations[0]"),
    ]
    assert converted[0].content != converted[1].content


def test_a_lone_attestation_object_is_converted_too() -> None:
    (converted,) = convert(attestation())
    assert (converted.publisher, converted.position) == (None, "the attestation")
    assert json.loads(converted.content)["dsseEnvelope"]["payload"] == b64(STATEMENT)


def test_publisher_text_is_made_printable() -> None:
    (converted,) = convert(provenance(({"kind": "GitHub\n::set-output", "repository": "a"}, 1)))
    assert converted.publisher == "GitHub\\n::set-output (repository=a)"


GOOD = provenance((GITHUB, 1))
FIRST = "attestation_bundles.0.attestations.0"
MALFORMED = {
    "provenance version": (edited(GOOD, "version", 2), "version is 2, not 1"),
    "no bundles": (edited(GOOD, "attestation_bundles", []), "attestation_bundles is [], not a"),
    "bundle not an object": (
        edited(GOOD, "attestation_bundles.0", "x"),
        "attestation_bundles[0] is not an object",
    ),
    "publisher without kind": (
        edited(GOOD, "attestation_bundles.0.publisher", {"repository": "acme/app"}),
        "attestation_bundles[0].publisher is not an object with a kind",
    ),
    "no attestations": (
        edited(GOOD, "attestation_bundles.0.attestations", ...),
        "attestation_bundles[0].attestations is null, not a non-empty list",
    ),
    "attestation version": (
        edited(GOOD, f"{FIRST}.version", "1"),
        'attestations[0].version is "1", not 1',
    ),
    "certificate not base64": (
        edited(GOOD, f"{FIRST}.verification_material.certificate", "MII*"),
        "attestations[0].verification_material.certificate is not valid base64",
    ),
    "certificate missing": (
        edited(GOOD, f"{FIRST}.verification_material.certificate", ...),
        "attestations[0].verification_material.certificate is not a base64 string",
    ),
    "no transparency entries": (
        edited(GOOD, f"{FIRST}.verification_material.transparency_entries", []),
        "verification_material.transparency_entries is [], not a non-empty list",
    ),
    "entry not an object": (
        edited(GOOD, f"{FIRST}.verification_material.transparency_entries.0", "entry"),
        "verification_material.transparency_entries[0] is not an object",
    ),
    "envelope missing": (
        edited(GOOD, f"{FIRST}.envelope", ...),
        "attestations[0].envelope is not an object",
    ),
    "statement empty": (
        edited(GOOD, f"{FIRST}.envelope.statement", ""),
        "attestations[0].envelope.statement is not a base64 string",
    ),
    "signature url-safe base64": (
        edited(GOOD, f"{FIRST}.envelope.signature", "ab-_"),
        "attestations[0].envelope.signature is not valid base64",
    ),
}


@pytest.mark.parametrize(("document", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_provenance_file_names_what_is_wrong(
    document: dict[str, Any], problem: str
) -> None:
    with pytest.raises(Pep740Malformed) as raised:
        convert(document)
    assert any(problem in found for found in raised.value.problems), raised.value.problems


def test_every_problem_is_named_not_only_the_first() -> None:
    document = edited(edited(GOOD, "version", None), f"{FIRST}.envelope.signature", "%%")
    with pytest.raises(Pep740Malformed) as raised:
        convert(document)
    assert len(raised.value.problems) == 2


# --- telling the format from the content ---------------------------------------------------


def test_one_bundle_is_sent_as_it_is_even_pretty_printed(tmp_path: Path) -> None:
    content = json.dumps({"mediaType": BUNDLE_V03, "dsseEnvelope": {}}, indent=2).encode()
    found = split_bundles(tmp_path / "a.sigstore.json", content)
    assert [(part.content, part.part) for part in found.parts] == [(content, None)]
    assert found.note is None


def test_json_lines_are_split_whatever_the_file_is_called(tmp_path: Path) -> None:
    lines = [b'{"mediaType": "a"}', b"", b'{"mediaType": "b"}\r', b"   ", b'{"mediaType": "c"}']
    found = split_bundles(tmp_path / "bundle.json", b"\n".join(lines) + b"\n")
    assert [(part.line, part.part, part.content) for part in found.parts] == [
        (1, "line 1", b'{"mediaType": "a"}'),
        (3, "line 3", b'{"mediaType": "b"}'),
        (5, "line 5", b'{"mediaType": "c"}'),
    ]
    assert (
        found.note
        == f"--bundle {tmp_path / 'bundle.json'}: JSON Lines, 3 bundles, each sent on its own"
    )


def test_a_line_that_is_not_a_json_object_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bundles.jsonl"
    content = b'{"mediaType": "a"}\n{"mediaType": \n\n[1, 2]\n{"mediaType": "b"}\n'
    with pytest.raises(errors.UsageError) as raised:
        split_bundles(path, content)
    assert raised.value.messages == (
        f"--bundle {path}: line 2 is not JSON (JSON Lines: one bundle per line)",
        f"--bundle {path}: line 4 is JSON but not an object (JSON Lines: one bundle per line)",
    )


def test_text_that_is_no_json_at_all_is_left_for_the_server_to_refuse(tmp_path: Path) -> None:
    content = b'{\n  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",\n  "dsse'
    found = split_bundles(tmp_path / "cut.json", content)
    assert [part.content for part in found.parts] == [content]


def test_a_malformed_pep740_file_is_a_usage_error_naming_the_place(tmp_path: Path) -> None:
    path = tmp_path / "app.whl.provenance"
    content = json.dumps(edited(GOOD, f"{FIRST}.envelope.statement", 7)).encode()
    with pytest.raises(errors.UsageError) as raised:
        split_bundles(path, content)
    assert raised.value.messages == (
        f"--bundle {path}: not a PEP 740 provenance file: "
        "attestation_bundles[0].attestations[0].envelope.statement is not a base64 string",
    )


# --- through a run ---------------------------------------------------------------------------


def stored(request: httpx.Request) -> httpx.Response:
    digest = "sha256:" + hashlib.sha256(request.content).hexdigest()
    return httpx.Response(201, json={"id": 1, "digest": digest, "kind": "attestation"})


def run(script: Script, *bundles: Path, json_lines: bool = False) -> tuple[int, str, str]:
    options = submit.SubmitOptions(
        server=SERVER, service="app", bundles=bundles, json_lines=json_lines
    )
    out, err = io.StringIO(), io.StringIO()
    code = submit.run(
        options,
        environ={"ATTESTD_TOKEN": TOKEN},
        out=out,
        err=err,
        transport=script.transport,
        name="attestd-client submit",
    )
    return code, out.getvalue(), err.getvalue()


def test_each_converted_attestation_is_sent_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "app-1.0.tar.gz.provenance"
    path.write_text(json.dumps(provenance((GITHUB, 2))))
    script = Script(stored, stored)
    code, out, err = run(script, path)
    assert code == 0
    assert [request.headers["content-type"] for request in script.requests] == [BUNDLE_V03] * 2
    assert [request.content for request in script.requests] == [
        item.content for item in convert(provenance((GITHUB, 2)))
    ]
    publisher = "GitHub (repository=acme/app, workflow=release.yml)"
    assert [line.split(": 201")[0] for line in out.splitlines()] == [
        f"bundle {path} attestation_bundles[0].attestations[{n}] (PEP 740, {publisher})"
        for n in range(2)
    ]
    assert err.splitlines() == [
        f"attestd-client submit: --bundle {path}: PEP 740 provenance, publisher {publisher}: "
        "2 attestations, each converted to a Sigstore bundle v0.3 and sent on its own",
        "attestd-client submit: 2 submissions: 2 accepted (2 created, 0 already stored); exit 0",
    ]


def test_json_lines_as_json_carry_the_line_of_each_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundles.jsonl"
    path.write_bytes(b'{"mediaType": "a"}\n\n{"mediaType": "b"}\n')
    code, out, _ = run(Script(stored, stored), path, json_lines=True)
    assert code == 0
    assert [(r["file"], r["line"], r["part"]) for r in map(json.loads, out.splitlines())] == [
        (str(path), 1, "line 1"),
        (str(path), 3, "line 3"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        b'{"mediaType": "a"}\nnot json\n',
        json.dumps(edited(GOOD, "attestation_bundles", "all of them")).encode(),
    ],
    ids=["json lines", "pep 740"],
)
def test_a_malformed_file_sends_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bundles"
    path.write_bytes(content)
    script = Script()
    code, out, err = run(script, path)
    assert code == errors.ExitCode.USAGE
    assert script.requests == []
    assert out == ""
    assert f"attestd-client submit: --bundle {path}: " in err
    assert err.endswith("attestd-client submit: nothing was sent\n")


def test_a_lone_attestation_file_is_converted_and_says_it_names_no_publisher(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app-1.0.tar.gz.publish.attestation"
    found = split_bundles(path, json.dumps(attestation()).encode())
    assert [(part.part, part.content) for part in found.parts] == [
        ("the attestation (PEP 740)", convert(attestation())[0].content)
    ]
    assert found.note is not None
    assert "PEP 740 provenance, publisher not named: 1 attestation" in found.note
