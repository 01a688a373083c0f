"""Parsing bundles: media types, hardened JSON, strict fields, refusals needing no trust root."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from sigstore_models._core import ProtoBytes, ProtoU64
from sigstore_models.bundle.v1 import Bundle as BundleModel

from app.attestations.bundles import (
    BUNDLE_SHAPE,
    BundleKind,
    BundleMalformed,
    BundleMediaType,
    BundleRejected,
    Route,
    UnsupportedBundle,
    parse_bundle,
)
from tests.sigstore_local import (
    BundleVersion,
    LocalSigstore,
    dsse_bundle,
    message_signature_bundle,
    statement,
    with_invalid_base64,
    with_media_type,
)

BAD = Path(__file__).parent / "bundles"
DIGEST = hashlib.sha256(b"attestd-1.0.0.tar.gz").digest()
STATEMENT = statement({"attestd-1.0.0.tar.gz": DIGEST})
V01, V02, V03, V03_ALT = BundleVersion
JSON = "application/json"


@pytest.fixture(scope="session")
def local_sigstore() -> LocalSigstore:
    return LocalSigstore.generate()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts: list[str] = []

    def refused(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args))
        raise OSError("network access refused in tests")

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refused)
    yield
    assert attempts == []


def edited(content: bytes, edit: Callable[[dict[str, Any]], object]) -> bytes:
    """The bundle with ``edit`` applied to its parsed document."""
    document = json.loads(content)
    edit(document)
    return json.dumps(document, indent=2).encode()


def malformed(content: bytes, content_type: str | None = JSON) -> BundleMalformed:
    with pytest.raises(BundleMalformed) as raised:
        parse_bundle(content, content_type)
    assert raised.value.status == 400
    assert raised.value.slug == "bundle-malformed"
    assert raised.value.reasons
    return raised.value


def rejected(content: bytes, content_type: str | None = JSON) -> BundleRejected:
    with pytest.raises(BundleRejected) as raised:
        parse_bundle(content, content_type)
    assert raised.value.status == 422
    assert raised.value.slug == "bundle-rejected"
    for reason, slug in zip(raised.value.reasons, raised.value.slugs, strict=True):
        assert reason.startswith(f"{slug}: ")
        assert len(reason) < 300
    return raised.value


def unsupported(content: bytes, content_type: str | None) -> UnsupportedBundle:
    with pytest.raises(UnsupportedBundle) as raised:
        parse_bundle(content, content_type)
    assert raised.value.status == 415
    assert raised.value.slug == "unsupported-bundle"
    return raised.value


# --- accepted bundles -----------------------------------------------------------------------


@pytest.mark.parametrize("version", list(BundleVersion), ids=lambda version: version.name)
@pytest.mark.parametrize(
    "content_type",
    [
        "own",
        JSON,
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.dev.sigstore.bundle+json",
    ],
)
def test_message_signature_bundles_parse(
    local_sigstore: LocalSigstore, version: BundleVersion, content_type: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version)
    parsed = parse_bundle(built.content, version.value if content_type == "own" else content_type)
    assert parsed.media_type is BundleMediaType(version.value)
    assert parsed.kind is BundleKind.MESSAGE_SIGNATURE
    assert parsed.digest == "sha256:" + hashlib.sha256(built.content).hexdigest()
    assert parsed.message_digest == DIGEST
    assert parsed.payload_type is None
    assert parsed.certificate == built.certificate
    entry = built.log_entry
    assert entry is not None
    assert parsed.log_entry.kind == "hashedrekord"
    assert parsed.log_entry.version == "0.0.1"
    assert parsed.log_entry.log_index == entry.log_index
    assert parsed.log_entry.log_id == entry.log_id.hex()
    assert parsed.log_entry.integrated_time == datetime.fromtimestamp(entry.integrated_time, UTC)


@pytest.mark.parametrize("version", list(BundleVersion), ids=lambda version: version.name)
def test_dsse_bundles_parse(local_sigstore: LocalSigstore, version: BundleVersion) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, version=version)
    parsed = parse_bundle(built.content, version.value)
    assert parsed.kind is BundleKind.DSSE
    assert parsed.message_digest is None
    assert parsed.payload_type == "application/vnd.in-toto+json"
    assert parsed.log_entry.kind == "dsse"


@pytest.mark.parametrize(
    ("version", "content_type"),
    [
        (V01, 'application/vnd.dev.sigstore.bundle+json; version="0.1"'),
        (V02, "application/vnd.dev.sigstore.bundle+json ; version=0.2"),
        (V03, "application/vnd.dev.sigstore.bundle+json;version=0.3"),
        (V03_ALT, "application/vnd.dev.sigstore.bundle.v0.3+json"),
    ],
    ids=["quoted", "spaced", "v0.3-spelled-alt", "v0.3-alt-spelled-v0.3"],
)
def test_content_type_and_media_type_agree_on_the_version(
    local_sigstore: LocalSigstore, version: BundleVersion, content_type: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version)
    assert parse_bundle(built.content, content_type).media_type is BundleMediaType(version.value)


# --- media types (415) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "says"),
    [
        (None, "a Content-Type is required"),
        ("", "a Content-Type is required"),
        ("text/plain", "is not a Sigstore bundle"),
        ("application/xml", "is not a Sigstore bundle"),
        ("application/vnd.dev.sigstore.bundle+json;version=0.4", "version '0.4'"),
        ("application/vnd.dev.sigstore.bundle.v0.4+json", "is not a Sigstore bundle"),
        ("application/json; charset=latin-1", "charset"),
        ("application/json; version=0.3", "parameters attestd does not know"),
        ("application/json; profile=x", "parameters attestd does not know"),
        ("application/json; =", "malformed parameters"),
        ("json", "not a media type"),
    ],
)
def test_other_media_types_are_unsupported(
    local_sigstore: LocalSigstore, content_type: str | None, says: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = unsupported(built.content, content_type)
    assert says in problem.reasons[0]
    assert "accepted Content-Types" in problem.reasons[-1]


@pytest.mark.parametrize(
    ("version", "content_type"),
    [
        (V01, "application/vnd.dev.sigstore.bundle+json;version=0.3"),
        (V03, "application/vnd.dev.sigstore.bundle+json;version=0.1"),
        (V02, "application/vnd.dev.sigstore.bundle.v0.3+json"),
    ],
)
def test_a_content_type_version_the_document_contradicts_is_refused(
    local_sigstore: LocalSigstore, version: BundleVersion, content_type: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version)
    problem = unsupported(built.content, content_type)
    assert "the Content-Type says version" in problem.reasons[0]


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.dev.sigstore.bundle+json;version=0.4",
        "application/vnd.dev.sigstore.bundle.v0.4+json",
        "application/json",
    ],
)
def test_an_unknown_bundle_version_is_unsupported(
    local_sigstore: LocalSigstore, media_type: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = unsupported(with_media_type(built.content, media_type), JSON)
    assert "is not a bundle version" in problem.reasons[0]


# --- not a bundle at all (400) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("garbage.bin", "utf-8"),
        ("empty.json", "input"),
        ("truncated.json", "unexpected"),
        ("duplicate-key.json", 'duplicate key "mediaType"'),
        ("nan.json", "unexpected"),
        ("nul.json", "NUL"),
        ("bom.json", ""),
        ("not-utf8.json", "utf-8"),
        ("a-list.json", "a bundle is a JSON object"),
        ("too-deep.json", "nesting is deeper than"),
        ("no-media-type.json", "mediaType"),
    ],
)
def test_known_bad_bodies_are_malformed(name: str, says: str) -> None:
    problem = malformed((BAD / name).read_bytes())
    assert says.lower() in " ".join(problem.reasons).lower()


def test_known_bad_bodies_are_all_listed() -> None:
    files = {path.name for path in BAD.iterdir() if path.name != "README.md"}
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    assert files
    assert all(f"`{name}`" in readme for name in files)


def test_garbage_sent_as_a_bundle_media_type_is_malformed() -> None:
    malformed((BAD / "garbage.bin").read_bytes(), BundleVersion.V0_3.value)


# --- the strict walk ------------------------------------------------------------------------

MESSAGE_V01_BYTES = [
    ("messageSignature", "messageDigest", "digest"),
    ("messageSignature", "signature"),
    ("verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes"),
    ("verificationMaterial", "tlogEntries", 0, "logId", "keyId"),
    ("verificationMaterial", "tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"),
    ("verificationMaterial", "tlogEntries", 0, "inclusionProof", "rootHash"),
    ("verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 1),
    ("verificationMaterial", "tlogEntries", 0, "canonicalizedBody"),
]
DSSE_V03_BYTES = [
    ("dsseEnvelope", "payload"),
    ("dsseEnvelope", "signatures", 0, "sig"),
    ("verificationMaterial", "certificate", "rawBytes"),
]


def _spell(path: tuple[str | int, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text.lstrip(".")


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    *parents, last = path
    holder: Any = document
    for step in parents:
        holder = holder[step]
    holder[last] = value


def _get(document: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    value: Any = document
    for step in path:
        value = value[step]
    return value


def _bytes_fields() -> list[Any]:
    return [
        *(pytest.param("message", path, id=_spell(path)) for path in MESSAGE_V01_BYTES),
        *(pytest.param("dsse", path, id=_spell(path)) for path in DSSE_V03_BYTES),
    ]


def _built(local_sigstore: LocalSigstore, kind: str) -> bytes:
    if kind == "message":
        return message_signature_bundle(local_sigstore, DIGEST, version=V01).content
    return dsse_bundle(local_sigstore, STATEMENT).content


@pytest.mark.parametrize("style", ["alphabet", "truncated"])
@pytest.mark.parametrize(("kind", "path"), _bytes_fields())
def test_every_bytes_field_must_be_strict_base64(
    local_sigstore: LocalSigstore, kind: str, path: tuple[str | int, ...], style: Any
) -> None:
    spoiled = with_invalid_base64(_built(local_sigstore, kind), path, style=style)
    problem = malformed(spoiled)
    assert problem.reasons == [f"{_spell(path)}: not canonical, padded, standard base64"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda text: text.rstrip("="),
        lambda text: text.replace("+", "-").replace("/", "_"),
        lambda text: text + "\n",
        lambda text: text[:-2] + "B=",  # stray bits in the last character
    ],
    ids=["unpadded", "url-safe", "newline", "non-canonical"],
)
def test_lenient_base64_spellings_are_refused(
    local_sigstore: LocalSigstore, spoil: Callable[[str], str]
) -> None:
    path = ("messageSignature", "messageDigest", "digest")
    # A digest whose base64 has padding, '+' and '/' and ends in "A=".
    digest = bytes.fromhex("fbff" * 15 + "0000")
    built = message_signature_bundle(local_sigstore, digest)
    document = json.loads(built.content)
    text = _get(document, path)
    assert text.endswith("A=")
    assert "+" in text
    assert "/" in text
    spoiled = spoil(text)
    assert spoiled != text
    assert base64.b64decode(spoiled + "==", altchars=b"-_") == digest
    _set(document, path, spoiled)
    malformed(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (("verificationMaterial", "tlogEntries", 0, "logIndex"), "+5", "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "logIndex"), " 5", "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "logIndex"), "5_0", "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "logIndex"), "\u0665", "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "logIndex"), 5, "must be a string"),
        (("verificationMaterial", "tlogEntries", 0, "integratedTime"), str(2**64), "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "inclusionProof", "treeSize"), "-1", "uint64"),
        (("verificationMaterial", "tlogEntries", 0, "kindVersion", "kind"), 7, "must be a string"),
        (("verificationMaterial", "tlogEntries"), {}, "must be an array"),
        (("verificationMaterial", "certificate"), "MIIB", "must be an object"),
        (("verificationMaterial", "certificate", "raw_bytes"), "MIIB", "unknown field 'raw_bytes'"),
        (("verificationMaterial", "certificates"), [], "unknown field 'certificates'"),
        (("extra",), {}, "unknown field 'extra'"),
    ],
)
def test_fields_are_checked_strictly(
    local_sigstore: LocalSigstore, path: tuple[str | int, ...], value: object, says: str
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = malformed(edited(built.content, lambda document: _set(document, path, value)))
    assert says in problem.reasons[0]


def test_a_field_given_twice_under_its_snake_case_name_is_refused(
    local_sigstore: LocalSigstore,
) -> None:
    """sigstore-models reads both spellings; attestd reads only the protobuf JSON one."""
    built = message_signature_bundle(local_sigstore, DIGEST)

    def add_snake_case_twin(document: dict[str, Any]) -> None:
        signature = document["messageSignature"]
        signature["message_digest"] = dict(signature["messageDigest"])

    problem = malformed(edited(built.content, add_snake_case_twin))
    assert problem.reasons == ["messageSignature: unknown field 'message_digest'"]


def _shape(annotation: Any) -> Any:
    """The BUNDLE_SHAPE entry a sigstore-models field annotation stands for."""
    metadata: list[Any] = []
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *metadata = typing.get_args(annotation)
    if annotation is bytes and metadata == list(typing.get_args(ProtoBytes)[1:]):
        return "base64"
    if annotation is int and metadata == list(typing.get_args(ProtoU64)[1:]):
        return "uint64"
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is type(int | None):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _shape(inner)
    if origin is list:
        return (_shape(typing.get_args(annotation)[0]),)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        hints = typing.get_type_hints(annotation, include_extras=True)
        return {
            field.alias or to_camel(name): _shape(hints[name])
            for name, field in annotation.model_fields.items()
        }
    return "string"  # str, Literal and str enums


def _plain(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _plain(value) for key, value in shape.items()}
    if isinstance(shape, tuple):
        return tuple(_plain(item) for item in shape)
    return shape.value


def test_the_strict_walk_covers_the_whole_sigstore_models_bundle() -> None:
    """Every field sigstore-models reads is known to attestd, bytes and uint64 as such."""
    assert _plain(BUNDLE_SHAPE) == _shape(BundleModel)


# --- structure (400) ------------------------------------------------------------------------


def test_a_bundle_with_both_kinds_is_malformed(local_sigstore: LocalSigstore) -> None:
    message = json.loads(message_signature_bundle(local_sigstore, DIGEST).content)
    envelope = json.loads(dsse_bundle(local_sigstore, STATEMENT).content)
    both = {**message, "dsseEnvelope": envelope["dsseEnvelope"]}
    problem = malformed(json.dumps(both).encode())
    assert "exactly one of messageSignature and dsseEnvelope" in problem.reasons[0]


def test_a_bundle_with_neither_kind_is_malformed(local_sigstore: LocalSigstore) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = malformed(edited(built.content, lambda document: document.pop("messageSignature")))
    assert "exactly one of messageSignature and dsseEnvelope" in problem.reasons[0]


def test_a_bundle_without_verification_material_is_malformed(
    local_sigstore: LocalSigstore,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    edit = edited(built.content, lambda document: document.pop("verificationMaterial"))
    assert malformed(edit).reasons == ["verificationMaterial: required"]


def test_a_schema_failure_names_the_field_without_echoing_values(
    local_sigstore: LocalSigstore,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)

    def drop_kind(document: dict[str, Any]) -> None:
        del document["verificationMaterial"]["tlogEntries"][0]["kindVersion"]

    problem = malformed(edited(built.content, drop_kind))
    assert problem.reasons == ["verificationMaterial.tlogEntries.0.kindVersion: Field required"]


@pytest.mark.parametrize("version", [V01, V03], ids=lambda version: version.name)
def test_a_certificate_that_is_not_der_is_malformed(
    local_sigstore: LocalSigstore, version: BundleVersion
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version)
    path: tuple[str | int, ...] = (
        ("verificationMaterial", "certificate", "rawBytes")
        if version is V03
        else ("verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes")
    )
    not_der = base64.b64encode(b"not a certificate").decode()
    problem = malformed(edited(built.content, lambda document: _set(document, path, not_der)))
    assert "not DER X.509" in problem.reasons[0]


# --- refused before any signature is checked (422) -------------------------------------------


def test_no_tlog_entry_is_refused(local_sigstore: LocalSigstore) -> None:
    for version in (V01, V03):
        built = message_signature_bundle(
            local_sigstore, DIGEST, version=version, omit_log_entry=True
        )
        assert rejected(built.content).slugs == ("no-tlog-entry",)


def test_several_tlog_entries_are_refused(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)

    def twice(document: dict[str, Any]) -> None:
        entries = document["verificationMaterial"]["tlogEntries"]
        entries.append(dict(entries[0]))

    problem = rejected(edited(built.content, twice))
    assert problem.slugs == ("tlog-entries",)
    assert "2 transparency-log entries" in problem.reasons[0]


def _without_proof(drop: str) -> Callable[[dict[str, Any]], None]:
    def without(document: dict[str, Any]) -> None:
        entry = document["verificationMaterial"]["tlogEntries"][0]
        del (entry if drop == "inclusionProof" else entry["inclusionProof"])[drop]

    return without


@pytest.mark.parametrize("drop", ["inclusionProof", "checkpoint"])
@pytest.mark.parametrize("version", [V02, V03], ids=lambda version: version.name)
def test_an_entry_without_inclusion_proof_is_refused_after_v0_1(
    local_sigstore: LocalSigstore, version: BundleVersion, drop: str
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, version=version)
    problem = rejected(edited(built.content, _without_proof(drop)))
    assert problem.slugs == ("no-inclusion-proof",)
    assert f"version 0.{version.name[-1]}" in problem.reasons[0]


@pytest.mark.parametrize("drop", ["inclusionProof", "checkpoint"])
def test_a_v0_1_entry_without_inclusion_proof_goes_to_attestd_resting_on_its_set(
    local_sigstore: LocalSigstore, drop: str
) -> None:
    # Whether the service accepts it is the policy's decision, made at verification.
    built = dsse_bundle(local_sigstore, STATEMENT, version=V01)
    parsed = parse_bundle(edited(built.content, _without_proof(drop)), JSON)
    assert parsed.route is Route.ATTESTD
    assert parsed.bundle is None
    assert parsed.log_entry.inclusion_proof is None
    assert parsed.log_entry.signed_entry_timestamp is not None
    assert parsed.certificate == built.certificate


def test_a_v0_1_entry_with_neither_proof_nor_promise_has_no_signed_time(
    local_sigstore: LocalSigstore,
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, version=V01)

    def bare(document: dict[str, Any]) -> None:
        entry = document["verificationMaterial"]["tlogEntries"][0]
        del entry["inclusionProof"], entry["inclusionPromise"]

    assert rejected(edited(built.content, bare)).slugs == ("no-signed-time",)


@pytest.mark.parametrize(("kind", "version"), [("intoto", "0.0.1"), ("intoto", "0.0.2")])
def test_intoto_entries_of_dsse_bundles_go_to_attestd(
    local_sigstore: LocalSigstore, kind: str, version: str
) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=(kind, version))
    parsed = parse_bundle(built.content, JSON)
    assert parsed.route is Route.ATTESTD
    assert (parsed.log_entry.kind, parsed.log_entry.version) == (kind, version)
    assert parsed.log_entry.inclusion_proof is not None
    assert parsed.signature == base64.b64decode(
        built.document["dsseEnvelope"]["signatures"][0]["sig"]
    )


@pytest.mark.parametrize("version", [V01, V02, V03], ids=lambda version: version.name)
def test_an_entry_without_inclusion_promise_or_timestamp_is_refused(
    local_sigstore: LocalSigstore, version: BundleVersion
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version)

    def without(document: dict[str, Any]) -> None:
        del document["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]

    assert rejected(edited(built.content, without)).slugs == ("no-signed-time",)


@pytest.mark.parametrize(
    ("kind", "entry_kind"),
    [
        ("dsse", ("rekord", "0.0.1")),
        ("message", ("intoto", "0.0.2")),
        ("message", ("hashedrekord", "0.0.3")),
        ("message", ("dsse", "0.0.1")),
        ("dsse", ("hashedrekord", "0.0.1")),
    ],
    ids=lambda value: "/".join(value) if isinstance(value, tuple) else value,
)
def test_unsupported_entry_kinds_are_refused_by_name(
    local_sigstore: LocalSigstore, kind: str, entry_kind: tuple[str, str]
) -> None:
    if kind == "dsse":
        content = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=entry_kind).content
    else:
        content = message_signature_bundle(
            local_sigstore, DIGEST, log_entry_kind=entry_kind
        ).content
    problem = rejected(content)
    assert problem.slugs == ("unsupported-entry-kind",)
    assert "/".join(repr(part) for part in entry_kind) in problem.reasons[0]


def test_two_dsse_signatures_are_refused(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, extra_signature=True)
    problem = rejected(built.content)
    assert problem.slugs == ("dsse-signatures",)
    assert "this one has 2" in problem.reasons[0]


def test_zero_dsse_signatures_are_refused(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    edit = edited(
        built.content, lambda document: _set(document, ("dsseEnvelope", "signatures"), [])
    )
    assert rejected(edit).slugs == ("dsse-signatures",)


@pytest.mark.parametrize(
    "edit",
    [
        lambda signature: signature["messageDigest"].update(algorithm="SHA2_384"),
        lambda signature: signature["messageDigest"].update(
            digest=base64.b64encode(DIGEST[:31]).decode()
        ),
        lambda signature: signature.pop("messageDigest"),
    ],
    ids=["sha384", "short", "absent"],
)
def test_a_message_digest_other_than_sha256_is_refused(
    local_sigstore: LocalSigstore, edit: Callable[[dict[str, Any]], object]
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    problem = rejected(edited(built.content, lambda document: edit(document["messageSignature"])))
    assert problem.slugs == ("message-digest",)


@pytest.mark.parametrize("version", [V01, V02], ids=lambda version: version.name)
def test_a_root_ca_in_the_chain_is_refused(
    local_sigstore: LocalSigstore, version: BundleVersion, caplog: pytest.LogCaptureFixture
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=version, include_root_ca=True)
    assert rejected(built.content).slugs == ("root-in-chain",)
    # Refused before sigstore-python's loader, which would only have warned.
    assert not caplog.records


def test_an_intermediate_in_the_chain_is_tolerated(local_sigstore: LocalSigstore) -> None:
    """Older bundles carry intermediates; sigstore-python ignores them when it builds the chain."""
    built = message_signature_bundle(local_sigstore, DIGEST, version=V01, include_root_ca=True)

    def drop_root(document: dict[str, Any]) -> None:
        document["verificationMaterial"]["x509CertificateChain"]["certificates"].pop()

    parsed = parse_bundle(edited(built.content, drop_root), JSON)
    assert parsed.certificate == built.certificate


def _keyed(document: dict[str, Any]) -> None:
    material = document["verificationMaterial"]
    del material["certificate"]
    material["publicKey"] = {"hint": "npm-registry"}


def test_a_key_signed_bundle_goes_to_attestd_with_its_hint(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)
    parsed = parse_bundle(edited(built.content, _keyed), JSON)
    assert parsed.route is Route.ATTESTD
    assert parsed.certificate is None
    assert parsed.key_hint == "npm-registry"


def test_a_key_hint_beside_a_certificate_is_malformed(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT)

    def both(document: dict[str, Any]) -> None:
        document["verificationMaterial"]["publicKey"] = {"hint": "npm-registry"}

    assert "key hint or a certificate" in malformed(edited(built.content, both)).reasons[0]


def test_a_keyed_bundle_in_a_rekor_v2_entry_is_refused(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(local_sigstore, STATEMENT, log_entry_kind=("hashedrekord", "0.0.2"))
    problem = rejected(edited(built.content, _keyed))
    assert problem.slugs == ("unsupported-entry-kind",)
    assert "keyed bundle" in problem.reasons[0]


def test_a_certificate_authority_in_the_leaf_position_is_an_invalid_bundle(
    local_sigstore: LocalSigstore,
) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST, version=V01, include_root_ca=True)

    def intermediate_first(document: dict[str, Any]) -> None:
        chain = document["verificationMaterial"]["x509CertificateChain"]["certificates"]
        chain[:] = chain[1:2]

    problem = rejected(edited(built.content, intermediate_first))
    assert problem.slugs == ("invalid-bundle",)
    assert "leaf" in problem.reasons[0]


def test_an_integrated_time_beyond_any_calendar_is_refused(local_sigstore: LocalSigstore) -> None:
    built = message_signature_bundle(local_sigstore, DIGEST)
    path = ("verificationMaterial", "tlogEntries", 0, "integratedTime")
    edit = edited(built.content, lambda document: _set(document, path, str(2**64 - 1)))
    assert rejected(edit).slugs == ("integrated-time-future",)


def test_several_refusals_are_reported_together(local_sigstore: LocalSigstore) -> None:
    built = dsse_bundle(
        local_sigstore, STATEMENT, extra_signature=True, log_entry_kind=("rekord", "0.0.1")
    )
    assert rejected(built.content).slugs == ("unsupported-entry-kind", "dsse-signatures")
