"""The application factory: nothing at import time, one transaction per request."""

from __future__ import annotations

import importlib
import sys

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.api.deps import SessionDep
from app.clock import utcnow
from app.services.models import Service


def test_importing_app_main_builds_nothing(monkeypatch, database_url):
    monkeypatch.setenv("ATTESTD_DATABASE_URL", database_url)
    sys.modules.pop("app.main", None)
    module = importlib.import_module("app.main")
    assert "app" not in vars(module), "app.main must not build an application on import"
    # `uvicorn app.main:app` asks for the attribute, which builds one from the environment.
    built = module.app
    assert isinstance(built, FastAPI)
    assert built.settings.database_url == database_url


def test_a_failing_request_leaves_nothing_written(app, run_in_session):
    def write_then_fail(session: SessionDep) -> None:
        now = utcnow()
        session.add(
            Service(
                name="half-written",
                repository="https://github.com/acme/x",
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        raise RuntimeError("fails after writing")

    app.add_api_route("/test/write-then-fail", write_then_fail, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/test/write-then-fail")
    assert response.status_code == 500
    assert response.json()["slug"] == "internal-error"
    count = run_in_session(lambda s: s.scalar(select(func.count()).select_from(Service)))
    assert count == 0


def test_a_commit_that_fails_is_never_reported_as_success(app, run_in_session):
    """The commit happens before the response is sent, so its failure becomes the answer."""

    def write(session: SessionDep) -> dict[str, str]:
        now = utcnow()
        session.add(
            Service(
                name="lost", repository="https://github.com/acme/x", created_at=now, updated_at=now
            )
        )
        session.info["fail_commit"] = True
        return {"status": "ok"}

    def refuse_commit(session: Session) -> None:
        if session.info.get("fail_commit"):
            raise RuntimeError("commit refused")

    app.add_api_route("/test/write", write, methods=["POST"])
    event.listen(Session, "before_commit", refuse_commit)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.post("/test/write")
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert response.status_code == 500
    assert run_in_session(lambda s: s.scalars(select(Service.name)).all()) == []
