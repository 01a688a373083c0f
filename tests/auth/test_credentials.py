"""Token secrets, digests, names and principals: pure code, no database."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from app.auth.credentials import (
    SECRET_BYTES,
    TOKEN_PREFIX,
    Principal,
    Role,
    digests_match,
    is_valid_token_name,
    is_well_formed,
    new_token,
    token_digest,
)
from tests.auth.token_samples import MALFORMED_TOKENS, WELL_FORMED_TOKENS

BASE64URL_43 = re.compile(r"[A-Za-z0-9_-]{43}")


def test_new_token_is_prefix_and_43_base64url_characters():
    token = new_token()

    assert token.startswith("atd_")
    assert TOKEN_PREFIX == "atd_"
    assert BASE64URL_43.fullmatch(token.removeprefix("atd_"))
    assert is_well_formed(token)


def test_new_token_carries_256_random_bits():
    body = new_token().removeprefix("atd_")

    raw = base64.urlsafe_b64decode(body + "=")  # 43 characters need one pad to decode

    assert SECRET_BYTES == 32
    assert len(raw) == 32
    # Unpadded and canonical: encoding the bytes again gives the same text.
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == body


def test_new_token_is_different_every_call():
    tokens = {new_token() for _ in range(2000)}

    assert len(tokens) == 2000


@pytest.mark.parametrize("token", WELL_FORMED_TOKENS)
def test_is_well_formed_accepts_token_shaped_strings(token):
    assert is_well_formed(token)


@pytest.mark.parametrize("token", [*MALFORMED_TOKENS, pytest.param("", id="empty string")])
def test_is_well_formed_rejects_malformed_strings(token):
    assert not is_well_formed(token)


def test_token_digest_is_sha256_of_the_token_text():
    token = new_token()

    digest = token_digest(token)

    assert digest == hashlib.sha256(token.encode("ascii")).digest()
    assert len(digest) == 32
    assert token.encode() not in digest


def test_token_digest_is_deterministic_and_distinct_per_token():
    first, second = new_token(), new_token()

    assert token_digest(first) == token_digest(first)
    assert token_digest(first) != token_digest(second)


def test_digests_match_compares_exactly():
    token = new_token()

    assert digests_match(token_digest(token), token_digest(token))
    assert not digests_match(token_digest(token), token_digest(new_token()))
    assert not digests_match(token_digest(token), token_digest(token)[:-1])


def _principal(role: Role, services: tuple[str, ...] | None) -> Principal:
    return Principal(token_id=1, name="p", role=role, services=services)


def test_unscoped_principal_may_write_to_any_service():
    principal = _principal(Role.PIPELINE, None)

    assert principal.may_write_to("payments")
    assert principal.may_write_to("billing")


def test_scoped_principal_may_write_only_to_its_services():
    principal = _principal(Role.PIPELINE, ("payments", "billing"))

    assert principal.may_write_to("payments")
    assert principal.may_write_to("billing")
    assert not principal.may_write_to("ledger")
    # Exact names only: no prefix or case folding.
    assert not principal.may_write_to("pay")
    assert not principal.may_write_to("payments-v2")
    assert not principal.may_write_to("Payments")


def test_principal_with_an_empty_scope_may_write_nowhere():
    assert not _principal(Role.PIPELINE, ()).may_write_to("payments")


def test_principal_is_immutable_and_holds_no_secret():
    principal = _principal(Role.ADMIN, None)

    with pytest.raises(AttributeError):
        principal.name = "other"  # type: ignore[misc]
    assert set(vars(principal)) == {"token_id", "name", "role", "services"}


@pytest.mark.parametrize(
    "name",
    ["a", "0", "ci", "ci-deploy", "release.bot", "team_a", "9lives", "a" * 64, "a.-_z"],
)
def test_valid_token_names(name):
    assert is_valid_token_name(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("a" * 65, id="65 characters"),
        pytest.param("CI", id="upper case"),
        pytest.param("-ci", id="leading hyphen"),
        pytest.param(".ci", id="leading dot"),
        pytest.param("_ci", id="leading underscore"),
        pytest.param("ci token", id="space"),
        pytest.param("ci/deploy", id="slash"),
        pytest.param("ci\n", id="trailing newline"),
        pytest.param(" ci", id="leading space"),
        pytest.param("café", id="non-ASCII"),
        pytest.param("ci;drop", id="semicolon"),
    ],
)
def test_invalid_token_names(name):
    assert not is_valid_token_name(name)


def test_roles_are_the_three_documented_ones():
    assert {role.value for role in Role} == {"admin", "pipeline", "auditor"}
