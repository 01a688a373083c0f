"""The component search is an index range scan on both back ends, never a table scan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.sboms.repository import SbomRepository
from tests.builders.sbom_documents import cyclonedx
from tests.sboms.uploads import DIGEST_A, upload

INDEX = "ix_components_purl_lookup"


def _captured(session: Session, search: Any) -> list[tuple[str, Any]]:
    """The statements ``search`` sends, with their parameters."""
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):  # not the BEGIN IMMEDIATE
            statements.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        search(SbomRepository(session))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return statements


def _plan(session: Session, statement: str, parameters: Any) -> str:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # The test tables are tiny; forbid the sequential scan a planner would rightly
        # choose for them, so the plan shows whether the index can serve the query.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    else:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


def test_every_search_query_uses_the_purl_index(client, service, pipeline_headers, run_in_session):
    purls = [f"pkg:npm/lodash@4.17.{n}" for n in range(20)] + ["pkg:pypi/django@5.0"]
    assert upload(client, pipeline_headers, cyclonedx(*purls), artifact=DIGEST_A).status_code == 201

    searches = {
        "all versions": lambda r: r.purl_matches(
            "pkg:npm/lodash", versions=None, purl=None, after=None, limit=51
        ),
        "some versions, after a position": lambda r: r.purl_matches(
            "pkg:npm/lodash",
            versions=["4.17.3", "4.17.4"],
            purl=None,
            after=("4.17.3", "pkg:npm/lodash@4.17.3", 1),
            limit=51,
        ),
        "distinct versions": lambda r: r.purl_versions("pkg:npm/lodash"),
    }

    def check(session: Session) -> None:
        for name, search in searches.items():
            statements = _captured(session, search)
            assert statements, name
            for statement, parameters in statements:
                plan = _plan(session, statement, parameters)
                assert INDEX in plan, f"{name}: {plan}"
                assert "SCAN components" not in plan, f"{name}: {plan}"
                assert "Seq Scan" not in plan, f"{name}: {plan}"

    run_in_session(check)
