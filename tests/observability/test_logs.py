"""JSON log lines carry request ids; secrets never appear in a log line."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from lakechat.observability.logs import (
    SecretRedactor,
    configure_logging,
    flush_logs,
    shutdown_logging,
)
from lakechat.settings import Settings
from tests.conftest import issue_key


@pytest.fixture
def log_file(make_settings, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "logs" / "lakechat.log"
    yield path
    shutdown_logging()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_lakechat", False)]:
        root.removeHandler(handler)
        handler.close()


def lines(path) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    flush_logs()
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_json_lines_have_the_fields_and_request_id(make_client, make_settings, log_file) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(log_to_file=True, log_file_path=log_file)
    client: TestClient = make_client(settings)
    client.get("/nowhere", headers={"X-Request-ID": "req-log-1"})
    records = [r for r in lines(log_file) if r.get("request_id") == "req-log-1"]
    assert records, "the access line carries the request id"
    record = records[0]
    assert {"timestamp", "level", "message", "module", "function", "request_id"} <= set(record)
    assert record["level"] == "INFO" and "GET /nowhere 404" in str(record["message"])


def test_secrets_never_reach_the_log(make_client, make_settings, log_file) -> None:  # type: ignore[no-untyped-def]
    token = "dapi" + "0123456789abcdef" * 2
    settings: Settings = make_settings(
        log_to_file=True,
        log_file_path=log_file,
        databricks_token=token,
        database_url=None,
        anthropic_api_key="sk-ant-api03-supersecretvalue1234567890",
    )
    client: TestClient = make_client(settings)
    key = issue_key(client)
    client.get("/api/whoami", headers={"X-API-Key": key})
    log = logging.getLogger("lakechat.test")
    log.info("connecting with token %s and key %s", token, key)
    log.warning("url postgresql://app:hunter2secret@db/x, header X-API-Key: %s", key)
    log.error("anthropic key sk-ant-api03-supersecretvalue1234567890 rejected")
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        log.exception("boom")
    flush_logs()
    text = log_file.read_text()
    for secret in (token, key, "hunter2secret", "supersecretvalue1234567890"):
        assert secret not in text
    assert "***" in text


def test_redactor_keeps_the_useful_part() -> None:
    redactor = SecretRedactor(["s3cr3t-value"])
    assert redactor.redact("token s3cr3t-value here") == "token *** here"
    assert redactor.redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer ***"
    assert redactor.redact("postgresql://u:pw1234@h/db") == "postgresql://u:***@h/db"


def test_log_level_is_respected(make_settings, log_file) -> None:  # type: ignore[no-untyped-def]
    configure_logging(make_settings(log_to_file=True, log_file_path=log_file, log_level="WARNING"))
    logging.getLogger("lakechat.test").info("quiet")
    logging.getLogger("lakechat.test").warning("loud")
    messages = [r["message"] for r in lines(log_file)]
    assert "loud" in messages and "quiet" not in messages


def test_access_lines_can_be_turned_off(make_client, make_settings, log_file) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(log_to_file=True, log_file_path=log_file, log_requests=False)
    client: TestClient = make_client(settings)
    client.get("/health/live", headers={"X-Request-ID": "quiet-1"})
    logging.getLogger("lakechat.test").warning("still logged")
    records = lines(log_file)
    assert not [r for r in records if r.get("request_id") == "quiet-1"]
    assert "still logged" in [r["message"] for r in records]


def test_several_workers_share_the_file_without_rotating_it(make_settings, log_file) -> None:  # type: ignore[no-untyped-def]
    import logging.handlers

    from lakechat.observability import logs

    configure_logging(make_settings(log_to_file=True, log_file_path=log_file, server_workers=2))
    assert logs._listener is not None
    kinds = {type(h) for h in logs._listener.handlers}
    assert logging.handlers.WatchedFileHandler in kinds
    assert logging.handlers.RotatingFileHandler not in kinds
