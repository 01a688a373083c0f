"""Token lifecycle through the database: create, authenticate, list, revoke, first admin."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.auth.credentials import Principal, Role, is_well_formed
from app.auth.models import ApiToken
from app.auth.tokens import (
    InvalidToken,
    TokenExists,
    TokenInfo,
    TokenNotFound,
    authenticate,
    create_token,
    ensure_first_admin,
    list_tokens,
    revoke_token,
)
from app.errors import Unauthenticated


def _stored_rows(run_in_session) -> list[dict[str, object]]:
    """Every api_tokens row exactly as stored, column by column."""
    table = ApiToken.__table__
    return run_in_session(
        lambda session: [dict(row) for row in session.execute(select(table)).mappings()]
    )


def _token_count(run_in_session) -> int:
    return run_in_session(
        lambda session: session.scalar(select(func.count()).select_from(ApiToken))
    )


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def test_create_token_returns_a_fresh_secret_and_what_is_stored(run_with_trail):
    before = datetime.now(UTC)

    secret, info = run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))

    assert is_well_formed(secret)
    assert info.name == "ci"
    assert info.role is Role.ADMIN
    assert info.services is None
    assert info.last_used_at is None
    assert info.revoked_at is None
    assert before <= info.created_at <= datetime.now(UTC)


def test_create_token_stores_only_the_sha256_of_the_secret(run_in_session, run_with_trail):
    secret, _ = run_with_trail(
        lambda trail: create_token(trail, name="deploy", role=Role.PIPELINE, services=["payments"])
    )

    [row] = _stored_rows(run_in_session)

    assert row["secret_sha256"] == hashlib.sha256(secret.encode()).digest()
    body = secret.removeprefix("atd_")
    for column, value in row.items():
        stored = _as_bytes(value)
        assert secret.encode() not in stored, column
        assert body.encode() not in stored, column
        assert body[:16].encode() not in stored, column


def test_create_token_keeps_pipeline_services_in_order_without_duplicates(
    run_in_session, run_with_trail
):
    _, info = run_with_trail(
        lambda trail: create_token(
            trail,
            name="deploy",
            role=Role.PIPELINE,
            services=["payments", "billing", "payments"],
        )
    )

    assert info.services == ("payments", "billing")
    [row] = _stored_rows(run_in_session)
    assert row["services"] == ["payments", "billing"]


def test_pipeline_token_without_services_may_write_everywhere(run_in_session, run_with_trail):
    secret, info = run_with_trail(
        lambda trail: create_token(trail, name="deploy", role=Role.PIPELINE)
    )

    principal = run_in_session(lambda session: authenticate(session, secret))

    assert info.services is None
    assert principal.services is None
    assert principal.may_write_to("anything")


def test_duplicate_token_name_is_a_conflict(run_in_session, run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))

    with pytest.raises(TokenExists) as caught:
        run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.AUDITOR))

    assert caught.value.status == 409
    assert caught.value.slug == "token-exists"
    assert "ci" in caught.value.detail
    [row] = _stored_rows(run_in_session)
    assert row["role"] == "admin"


@pytest.mark.parametrize("name", ["", "CI", "-ci", "a" * 65, "ci token"])
def test_invalid_token_name_is_refused_with_a_reason(run_in_session, name, run_with_trail):
    with pytest.raises(InvalidToken) as caught:
        run_with_trail(lambda trail: create_token(trail, name=name, role=Role.ADMIN))

    assert caught.value.status == 422
    assert caught.value.slug == "invalid-token-request"
    assert len(caught.value.reasons) == 1
    assert caught.value.reasons[0].startswith("name must be")
    assert _token_count(run_in_session) == 0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_only_pipeline_tokens_can_be_limited_to_services(run_in_session, role, run_with_trail):
    with pytest.raises(InvalidToken) as caught:
        run_with_trail(
            lambda trail: create_token(trail, name="x", role=role, services=["payments"])
        )

    assert caught.value.slug == "invalid-token-request"
    assert caught.value.reasons == ["only pipeline tokens can be limited to services"]
    assert _token_count(run_in_session) == 0


@pytest.mark.parametrize("service", ["Payments", "-payments", "pay_ments", "", "a" * 64])
def test_invalid_service_name_is_refused_with_a_reason(run_in_session, service, run_with_trail):
    with pytest.raises(InvalidToken) as caught:
        run_with_trail(
            lambda trail: create_token(
                trail, name="deploy", role=Role.PIPELINE, services=["billing", service]
            )
        )

    assert caught.value.reasons == [f"{service!r} is not a valid service name"]
    assert _token_count(run_in_session) == 0


def test_every_problem_of_a_token_request_is_reported_at_once(run_with_trail):
    with pytest.raises(InvalidToken) as caught:
        run_with_trail(
            lambda trail: create_token(
                trail, name="Bad Name", role=Role.AUDITOR, services=["ok", "Not OK"]
            )
        )

    reasons = caught.value.reasons
    assert len(reasons) == 3
    assert reasons[0].startswith("name must be")
    assert reasons[1] == "only pipeline tokens can be limited to services"
    assert reasons[2] == "'Not OK' is not a valid service name"


def test_authenticate_returns_the_principal_of_the_token(run_in_session, run_with_trail):
    secret, _ = run_with_trail(
        lambda trail: create_token(trail, name="deploy", role=Role.PIPELINE, services=["payments"])
    )

    principal = run_in_session(lambda session: authenticate(session, secret))

    assert isinstance(principal, Principal)
    assert principal.name == "deploy"
    assert principal.role is Role.PIPELINE
    assert principal.services == ("payments",)
    [row] = _stored_rows(run_in_session)
    assert principal.token_id == row["id"]


def test_authenticate_records_last_use_once_per_resolution(run_in_session, run_with_trail):
    secret, _ = run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))
    before = datetime.now(UTC)

    run_in_session(lambda session: authenticate(session, secret))
    [first] = _stored_rows(run_in_session)
    run_in_session(lambda session: authenticate(session, secret))
    [second] = _stored_rows(run_in_session)

    assert first["last_used_at"] is not None
    assert before <= first["last_used_at"] <= datetime.now(UTC)
    # A second use within LAST_USED_RESOLUTION does not write again.
    assert second["last_used_at"] == first["last_used_at"]


@pytest.mark.parametrize(
    "presented",
    [None, "", "atd_", "atd_" + "A" * 43, "Bearer atd_" + "A" * 43],
    ids=["none", "empty", "prefix only", "well-formed unknown", "with scheme"],
)
def test_authenticate_refuses_anything_but_a_stored_token(
    run_in_session, presented, run_with_trail
):
    run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))

    with pytest.raises(Unauthenticated) as caught:
        run_in_session(lambda session: authenticate(session, presented))

    assert caught.value.status == 401
    assert caught.value.slug == "unauthenticated"


def test_authenticate_refuses_a_token_differing_in_one_character(run_in_session, run_with_trail):
    secret, _ = run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))
    last = secret[-1]
    altered = secret[:-1] + ("A" if last != "A" else "B")

    with pytest.raises(Unauthenticated):
        run_in_session(lambda session: authenticate(session, altered))


def test_list_tokens_shows_every_token_by_name_and_no_secret(run_in_session, run_with_trail):
    secrets = [
        run_with_trail(lambda trail: create_token(trail, name="zeta", role=Role.AUDITOR))[0],
        run_with_trail(lambda trail: create_token(trail, name="alpha", role=Role.ADMIN))[0],
        run_with_trail(
            lambda trail: create_token(trail, name="mid", role=Role.PIPELINE, services=["payments"])
        )[0],
    ]

    tokens = run_in_session(list_tokens)

    assert [(t.name, t.role, t.services) for t in tokens] == [
        ("alpha", Role.ADMIN, None),
        ("mid", Role.PIPELINE, ("payments",)),
        ("zeta", Role.AUDITOR, None),
    ]
    assert {field.name for field in dataclasses.fields(TokenInfo)} == {
        "name",
        "role",
        "services",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    shown = repr(tokens)
    assert "atd_" not in shown
    for secret in secrets:
        assert secret.removeprefix("atd_")[:16] not in shown


def test_list_tokens_of_an_empty_database_is_empty(run_in_session):
    assert list(run_in_session(list_tokens)) == []


def test_revoke_token_sets_revoked_at_and_stops_authentication(run_in_session, run_with_trail):
    secret, _ = run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))
    before = datetime.now(UTC)

    info = run_with_trail(lambda trail: revoke_token(trail, "ci"))

    assert info.revoked_at is not None
    assert before <= info.revoked_at <= datetime.now(UTC)
    [row] = _stored_rows(run_in_session)
    assert row["revoked_at"] == info.revoked_at
    with pytest.raises(Unauthenticated):
        run_in_session(lambda session: authenticate(session, secret))


def test_revoking_twice_keeps_the_first_revocation_time(run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))

    first = run_with_trail(lambda trail: revoke_token(trail, "ci"))
    second = run_with_trail(lambda trail: revoke_token(trail, "ci"))

    assert second.revoked_at == first.revoked_at
    assert second == first


def test_revoking_an_unknown_token_is_not_found(run_in_session, run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="ci", role=Role.ADMIN))

    with pytest.raises(TokenNotFound) as caught:
        run_with_trail(lambda trail: revoke_token(trail, "cd"))

    assert caught.value.status == 404
    assert caught.value.slug == "token-not-found"
    [row] = _stored_rows(run_in_session)
    assert row["revoked_at"] is None


def test_ensure_first_admin_creates_one_admin_then_nothing(run_in_session, run_with_trail):
    secret = run_with_trail(ensure_first_admin)
    again = run_with_trail(ensure_first_admin)

    assert isinstance(secret, str)
    assert is_well_formed(secret)
    assert again is None
    tokens = run_in_session(list_tokens)
    assert [(t.name, t.role) for t in tokens] == [("initial-admin", Role.ADMIN)]
    principal = run_in_session(lambda session: authenticate(session, secret))
    assert principal.role is Role.ADMIN


def test_ensure_first_admin_does_nothing_when_an_admin_exists(run_in_session, run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="ops", role=Role.ADMIN))

    assert run_with_trail(ensure_first_admin) is None
    assert [t.name for t in run_in_session(list_tokens)] == ["ops"]


def test_ensure_first_admin_ignores_tokens_of_other_roles(run_in_session, run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="audit", role=Role.AUDITOR))
    run_with_trail(lambda trail: create_token(trail, name="deploy", role=Role.PIPELINE))

    secret = run_with_trail(ensure_first_admin)

    assert secret is not None
    assert run_in_session(lambda session: authenticate(session, secret)).role is Role.ADMIN


def test_ensure_first_admin_replaces_a_revoked_admin_under_a_new_name(
    run_in_session, run_with_trail
):
    first = run_with_trail(ensure_first_admin)
    run_with_trail(lambda trail: revoke_token(trail, "initial-admin"))

    second = run_with_trail(ensure_first_admin)
    third = run_with_trail(ensure_first_admin)

    assert second is not None
    assert second != first
    assert third is None
    tokens = {t.name: t for t in run_in_session(list_tokens)}
    assert set(tokens) == {"initial-admin", "initial-admin-2"}
    assert tokens["initial-admin"].revoked_at is not None
    assert tokens["initial-admin-2"].revoked_at is None
    assert tokens["initial-admin-2"].role is Role.ADMIN
    principal = run_in_session(lambda session: authenticate(session, second))
    assert principal.name == "initial-admin-2"


def test_ensure_first_admin_skips_names_already_taken(run_in_session, run_with_trail):
    run_with_trail(lambda trail: create_token(trail, name="initial-admin", role=Role.AUDITOR))
    run_with_trail(lambda trail: create_token(trail, name="initial-admin-2", role=Role.PIPELINE))

    secret = run_with_trail(ensure_first_admin)

    assert secret is not None
    principal = run_in_session(lambda session: authenticate(session, secret))
    assert principal.name == "initial-admin-3"
    assert principal.role is Role.ADMIN
