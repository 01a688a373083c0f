"""Structured logs: one JSON object per line, with the request id of the context."""

from __future__ import annotations

import json
import logging
import sys

from app.logs import JsonFormatter, log_fields, request_id_var


def _record(
    message: str = "something happened",
    *,
    level: int = logging.INFO,
    fields: dict[str, object] | None = None,
    exc_info: object = None,
) -> logging.LogRecord:
    record = logging.LogRecord(
        name="attestd.test",
        level=level,
        pathname=__file__,
        lineno=1,
        msg=message,
        args=(),
        exc_info=exc_info,
    )
    if fields is not None:
        record.fields = fields
    return record


def test_a_record_is_one_line_of_json_with_time_level_logger_and_event():
    line = JsonFormatter().format(_record(level=logging.WARNING))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["logger"] == "attestd.test"
    assert entry["event"] == "something happened"
    assert entry["time"].endswith("+00:00")
    assert "request_id" not in entry


def test_the_request_id_comes_from_the_context():
    token = request_id_var.set("req-abc")
    try:
        entry = json.loads(JsonFormatter().format(_record()))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "req-abc"
    assert "request_id" not in json.loads(JsonFormatter().format(_record()))


def test_extra_fields_go_to_the_top_level():
    extra = log_fields(method="GET", status=200, duration_ms=1.5)
    entry = json.loads(JsonFormatter().format(_record(fields=extra["fields"])))
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert entry["duration_ms"] == 1.5


def test_fields_that_are_not_json_are_written_as_text():
    entry = json.loads(JsonFormatter().format(_record(fields={"ids": {3}})))
    assert entry["ids"] == "{3}"


def test_an_exception_is_written_with_its_traceback_on_the_same_line():
    error = ValueError("broken on purpose")
    try:
        raise error
    except ValueError:
        exc_info = sys.exc_info()
    line = JsonFormatter().format(_record("failed", level=logging.ERROR, exc_info=exc_info))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["event"] == "failed"
    assert "Traceback" in entry["exception"]
    assert "ValueError: broken on purpose" in entry["exception"]


def test_log_fields_builds_the_extra_argument(caplog):
    logger = logging.getLogger("attestd.test")
    with caplog.at_level(logging.INFO, logger="attestd.test"):
        logger.info("event", extra=log_fields(answer=42))
    [record] = caplog.records
    assert record.fields == {"answer": 42}
