"""Bundles timed by a timestamp authority: timestamp-only (GitHub's own instance) and Rekor v2.

Each test flips one step of verification on a bundle the local Sigstore and its
TSA make, next to the legitimate bundle that passes: the timestamp's signature,
imprint and authority, the authority's validity period (its end instant
included), the leaf at the timestamp's time, the SCT, the signature, the
identity, the log entry of a Rekor v2 bundle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sigstore.verify.policy import Identity

from app.attestations.bundles import BundleRejected, Route, parse_bundle
from app.attestations.trust import TrustRoot, load_trust_root, production_root_file
from app.attestations.verification import TIMESTAMP_AUTHORITY, Verified, verify
from app.policy.keys import TrustedKey
from tests.sigstore_local import (
    DEFAULT_SIGNER,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)
from tests.sigstore_local.entries import generate_key, keyed_bundle, public_pem
from tests.sigstore_local.timestamped import (
    Timestamping,
    timestamped_bundle,
    timestamped_root,
    write_root,
)
from tests.sigstore_local.timestamping import TimestampAuthority

JSON = "application/json"
DIGEST = hashlib.sha256(b"attestd timestamped artifact").digest()
STATEMENT = statement({"app.tar.gz": DIGEST})
POLICY = Identity(identity=DEFAULT_SIGNER.identity, issuer=DEFAULT_SIGNER.issuer)


@pytest.fixture(scope="module")
def roots(
    local_sigstore: LocalSigstore, tsa: TimestampAuthority, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, TrustRoot]:
    """GitHub-like (CA and TSA), the same with a CT log, and a Rekor v2 root (all of them)."""
    folder = tmp_path_factory.mktemp("timestamped-roots")
    shapes = {
        "github": {"tlog": False, "ct_log": False},
        "github-with-ct": {"tlog": False, "ct_log": True},
        "rekor-v2": {"tlog": True, "ct_log": True},
    }
    return {
        name: load_trust_root(
            write_root(timestamped_root(local_sigstore, [tsa], **shape), folder, f"{name}.json")
        )
        for name, shape in shapes.items()
    }


def _root_ending(
    sigstore: LocalSigstore, tsa: TimestampAuthority, end: datetime, folder: Path, **shape: Any
) -> TrustRoot:
    document = timestamped_root(sigstore, [tsa], valid_for=(sigstore.valid_from, end), **shape)
    return load_trust_root(write_root(document, folder, f"ending-{end.timestamp():.0f}.json"))


def _verify(content: bytes, roots: list[TrustRoot], **options: Any) -> Verified:
    return verify(
        parse_bundle(content, JSON),
        trust_roots=roots,
        policy=options.pop("policy", POLICY),
        policy_digest="sha256:" + "ab" * 32,
        artifact=None,
        now=datetime.now(UTC),
        **options,
    )


def _refused(content: bytes, roots: list[TrustRoot], **options: Any) -> list[str]:
    with pytest.raises(BundleRejected) as raised:
        _verify(content, roots, **options)
    return list(raised.value.slugs)


def _bundle(sigstore: LocalSigstore, tsa: TimestampAuthority, **options: Any) -> bytes:
    options.setdefault("timestamps", [Timestamping(tsa)])
    if "digest" not in options:
        options.setdefault("statement", STATEMENT)
    return timestamped_bundle(sigstore, **options).content


# --- timestamp-only bundles --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["statement", "digest"])
def test_a_timestamp_only_bundle_verifies_under_a_root_without_a_log(
    local_sigstore, tsa, roots, kind
):
    signed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    at = signed_at + timedelta(seconds=5)
    subject = {"statement": STATEMENT} if kind == "statement" else {"digest": DIGEST}
    content = _bundle(
        local_sigstore, tsa, signed_at=signed_at, timestamps=[Timestamping(tsa, at=at)], **subject
    )
    assert parse_bundle(content, JSON).route is Route.ATTESTD
    receipt = _verify(content, [roots["github"]]).receipt
    assert (receipt.log_index, receipt.log_id, receipt.integrated_time) == (None, None, None)
    assert receipt.signing_time == at
    assert receipt.time_proofs == (TIMESTAMP_AUTHORITY,)
    assert receipt.as_dict()["signing_time"] == {
        "time": at.isoformat(),
        "proven_by": ["timestamp-authority"],
    }


def test_a_timestamp_only_bundle_is_refused_under_a_root_with_a_log(
    local_sigstore, tsa, roots, trust_root
):
    content = _bundle(local_sigstore, tsa)
    assert _refused(content, [roots["rekor-v2"]]) == ["no-tlog-entry"]
    assert _refused(content, [trust_root]) == ["no-tlog-entry"]
    production = load_trust_root(production_root_file())
    assert _refused(content, [production]) == ["no-tlog-entry"]


def test_the_root_without_a_log_is_found_among_others(local_sigstore, tsa, roots, trust_root):
    verified = _verify(_bundle(local_sigstore, tsa), [trust_root, roots["github"]])
    assert verified.receipt.trust_root_digest == roots["github"].digest


def test_a_forged_timestamp_signature_is_refused(local_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, timestamps=[Timestamping(tsa, corrupt_signature=True)])
    assert _refused(content, [roots["github"]]) == ["timestamp-invalid"]


def test_a_timestamp_over_another_signature_is_refused(local_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, timestamps=[Timestamping(tsa, over=b"another")])
    assert _refused(content, [roots["github"]]) == ["timestamp-imprint-mismatch"]


def test_a_timestamp_from_another_tsa_is_refused(local_sigstore, tsa, roots):
    other = TimestampAuthority.generate(valid_from=local_sigstore.valid_from)
    content = _bundle(local_sigstore, tsa, timestamps=[Timestamping(other)])
    assert _refused(content, [roots["github"]]) == ["timestamp-untrusted"]


def test_a_bundle_with_neither_timestamp_nor_entry_is_refused_unread(local_sigstore, tsa):
    content = _bundle(local_sigstore, tsa, timestamps=[])
    with pytest.raises(BundleRejected) as raised:
        parse_bundle(content, JSON)
    assert raised.value.slugs == ("no-tlog-entry",)


@pytest.mark.parametrize(
    ("offset", "slugs"),
    [
        (timedelta(0), []),  # the validity period includes its end instant
        (timedelta(seconds=1), []),
        (timedelta(seconds=-1), ["timestamp-outside-validity"]),
    ],
)
def test_the_tsa_end_instant_is_inside_its_period(local_sigstore, tsa, tmp_path, offset, slugs):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    signed_at = at - timedelta(seconds=30)
    content = _bundle(
        local_sigstore, tsa, signed_at=signed_at, timestamps=[Timestamping(tsa, at=at)]
    )
    root = _root_ending(local_sigstore, tsa, at + offset, tmp_path, tlog=False, ct_log=False)
    if slugs:
        assert _refused(content, [root]) == slugs
    else:
        assert _verify(content, [root]).receipt.signing_time == at


def test_a_timestamp_before_the_tsa_period_is_refused(local_sigstore, tsa, tmp_path):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    content = _bundle(
        local_sigstore,
        tsa,
        signed_at=at - timedelta(seconds=30),
        timestamps=[Timestamping(tsa, at=at)],
    )
    late_start = timestamped_root(
        local_sigstore, [tsa], tlog=False, ct_log=False, valid_for=(at + timedelta(seconds=1), None)
    )
    root = load_trust_root(write_root(late_start, tmp_path, "late.json"))
    assert _refused(content, [root]) == ["timestamp-outside-validity"]


def test_a_timestamp_after_the_leaf_expired_is_refused(local_sigstore, tsa, roots):
    signed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    late = signed_at + timedelta(minutes=10, seconds=1)  # the leaf lives 10 minutes
    content = _bundle(
        local_sigstore, tsa, signed_at=signed_at, timestamps=[Timestamping(tsa, at=late)]
    )
    assert _refused(content, [roots["github"]]) == ["expired-certificate"]


def test_a_leaf_without_sct_is_refused_only_when_the_root_has_ct_logs(local_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, sct=False)
    assert _refused(content, [roots["github-with-ct"]]) == ["sct-invalid"]
    assert _verify(content, [roots["github"]]).receipt.log_index is None
    assert _verify(_bundle(local_sigstore, tsa), [roots["github-with-ct"]])


@pytest.mark.parametrize("kind", ["statement", "digest"])
def test_a_signature_that_does_not_verify_is_refused(local_sigstore, tsa, roots, kind):
    subject = {"statement": STATEMENT} if kind == "statement" else {"digest": DIGEST}
    content = _bundle(local_sigstore, tsa, corrupt_signature=True, **subject)
    assert _refused(content, [roots["github"]]) == ["signature-invalid"]


def test_another_signer_than_the_policy_allows_is_refused(local_sigstore, tsa, roots):
    other = SignerIdentity.github_workflow("attestd/another")
    content = _bundle(local_sigstore, tsa, signer=other)
    assert _refused(content, [roots["github"]]) == ["identity-mismatch"]


def test_a_leaf_of_another_ca_is_refused(local_sigstore, other_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, ca=other_sigstore.ca)
    assert _refused(content, [roots["github"]]) == ["untrusted-chain"]


def test_the_statement_is_checked_as_for_logged_bundles(local_sigstore, tsa, roots):
    unlisted = statement({"app.tar.gz": DIGEST}, predicate_type="https://example.com/unlisted")
    content = _bundle(local_sigstore, tsa, statement=unlisted)
    assert _refused(content, [roots["github"]]) == ["predicate-type"]


# --- Rekor v2 entries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "entry", "route"),
    [
        ("statement", ("dsse", "0.0.2"), Route.ATTESTD),
        ("statement", ("hashedrekord", "0.0.2"), Route.SIGSTORE),
        ("digest", ("hashedrekord", "0.0.2"), Route.SIGSTORE),
    ],
)
def test_a_rekor_v2_entry_timed_by_a_tsa_verifies(
    local_sigstore, tsa, roots, subject, entry, route
):
    options = {"statement": STATEMENT} if subject == "statement" else {"digest": DIGEST}
    content = _bundle(local_sigstore, tsa, rekor_v2=entry, **options)
    assert parse_bundle(content, JSON).route is route
    receipt = _verify(content, [roots["rekor-v2"]]).receipt
    assert receipt.integrated_time is None
    assert receipt.log_index is not None
    assert receipt.time_proofs == (TIMESTAMP_AUTHORITY,)


@pytest.mark.parametrize("entry", [("dsse", "0.0.2"), ("hashedrekord", "0.0.2")])
def test_a_rekor_v2_entry_without_a_timestamp_is_refused(local_sigstore, tsa, entry):
    content = _bundle(local_sigstore, tsa, rekor_v2=entry, timestamps=[])
    with pytest.raises(BundleRejected) as raised:
        parse_bundle(content, JSON)
    assert raised.value.slugs == ("no-signed-time",)


@pytest.mark.parametrize("entry", [("dsse", "0.0.2"), ("hashedrekord", "0.0.2")])
def test_a_rekor_v2_proof_that_does_not_lead_to_the_root_is_refused(
    local_sigstore, tsa, roots, entry
):
    content = _bundle(local_sigstore, tsa, rekor_v2=entry, corrupt_inclusion_proof=True)
    assert _refused(content, [roots["rekor-v2"]]) == ["inclusion-proof-invalid"]


def test_a_dsse_v2_entry_of_another_payload_is_refused(local_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, rekor_v2=("dsse", "0.0.2"), logged_payload=b"{}")
    assert _refused(content, [roots["rekor-v2"]]) == ["tlog-entry-mismatch"]


def test_a_rekor_v2_entry_under_a_root_without_its_log_is_refused(local_sigstore, tsa, roots):
    content = _bundle(local_sigstore, tsa, rekor_v2=("dsse", "0.0.2"))
    assert _refused(content, [roots["github-with-ct"]]) == ["unknown-log"]


@pytest.mark.parametrize(
    ("offset", "verified"),
    [(timedelta(0), True), (timedelta(seconds=1), True), (timedelta(seconds=-1), False)],
)
@pytest.mark.parametrize("entry", [("dsse", "0.0.2"), ("hashedrekord", "0.0.2")])
def test_the_tsa_end_instant_holds_on_both_routes(
    local_sigstore, tsa, tmp_path, entry, offset, verified
):
    # hashedrekord/0.0.2 goes to sigstore-python (whose TSA end is exclusive), dsse/0.0.2 not.
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    content = _bundle(
        local_sigstore,
        tsa,
        rekor_v2=entry,
        signed_at=at - timedelta(seconds=30),
        timestamps=[Timestamping(tsa, at=at)],
    )
    root = _root_ending(local_sigstore, tsa, at + offset, tmp_path)
    if verified:
        assert _verify(content, [root]).receipt.signing_time == at
    else:
        assert _refused(content, [root]) == ["timestamp-outside-validity"]


# --- one custom root, every entry kind -----------------------------------------------------------


def test_a_custom_root_verifies_every_entry_kind(local_sigstore, tsa, roots):
    root = roots["rekor-v2"]
    key = generate_key("p256")
    trusted = (TrustedKey(name="release-key", public_key_pem=public_pem(key)),)
    bundles = {
        "hashedrekord/0.0.1": message_signature_bundle(local_sigstore, DIGEST).content,
        "dsse/0.0.1": dsse_bundle(local_sigstore, STATEMENT).content,
        "intoto/0.0.2": dsse_bundle(
            local_sigstore, STATEMENT, log_entry_kind=("intoto", "0.0.2")
        ).content,
        "hashedrekord/0.0.2": _bundle(local_sigstore, tsa, rekor_v2=("hashedrekord", "0.0.2")),
        "dsse/0.0.2": _bundle(local_sigstore, tsa, rekor_v2=("dsse", "0.0.2")),
        "keyed intoto/0.0.2": keyed_bundle(local_sigstore, key, statement=STATEMENT),
    }
    for name, content in bundles.items():
        verified = _verify(content, [root], keys=trusted)
        assert verified.receipt.trust_root_digest == root.digest, name
    # The timestamp-only bundle needs a root without a log: the GitHub-like one.
    assert _verify(_bundle(local_sigstore, tsa), [roots["github"]]).receipt.verified


def test_a_keyed_bundle_in_a_rekor_v2_entry_is_refused_by_kind(local_sigstore, tsa):
    # Keyed bundles rest on Rekor v1 entries only; a dsse/0.0.2 one is refused unread.
    document = json.loads(_bundle(local_sigstore, tsa, rekor_v2=("dsse", "0.0.2")))
    material = document["verificationMaterial"]
    del material["certificate"]
    material["publicKey"] = {"hint": "release-key"}
    with pytest.raises(BundleRejected) as raised:
        parse_bundle(json.dumps(document).encode(), JSON)
    assert raised.value.slugs == ("unsupported-entry-kind",)
