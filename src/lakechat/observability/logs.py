"""JSON log lines with request ids, secrets redacted, optional rotating file.

Every line is one JSON object: timestamp, level, message, module, function,
request_id (plus logger and any ``extra=`` fields). Secrets from the settings and
anything shaped like a credential are replaced by ``***`` before a line is written.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lakechat.observability.context import current_request_id
from lakechat.settings import Settings, secret_values

#: Credential shapes redacted even when they are not in the settings.
CREDENTIAL_PATTERNS = (
    re.compile(r"lc_[A-Za-z0-9]{8}_[A-Za-z0-9_\-]{16,}"),  # our API keys
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"dapi[0-9a-f]{32}(-\d+)?"),  # Databricks personal access tokens
    re.compile(r"sk-(ant-)?[A-Za-z0-9_\-]{16,}"),  # Anthropic / OpenAI keys
    re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"),  # passwords in URLs
)


#: Cheap first look: the full patterns only run on text that contains one of these.
_MAYBE_CREDENTIAL = re.compile(r"lc_|bearer|dapi|sk-|api.?key|://", re.IGNORECASE)


class SecretRedactor(logging.Filter):
    """Replaces known secret values and credential-shaped text in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        if _MAYBE_CREDENTIAL.search(text):
            for pattern in CREDENTIAL_PATTERNS:
                text = pattern.sub(_keep_prefix, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                record.__dict__[key] = self.redact(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def _keep_prefix(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None and not g.startswith("ant-")]
    if len(groups) >= 2 and groups[-1] == "@":
        return f"{groups[0]}***@"
    if groups and not groups[0].startswith("-"):
        return f"{groups[0]}***"
    return "***"


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


class JsonLineFormatter(logging.Formatter):
    """One JSON object a line: timestamp, level, message, module, function, request_id,
    logger, any ``extra=`` fields, and ``exc_info`` when there is a traceback.

    Written here rather than taken from python-json-logger: a log line is written for
    every request, and this costs a quarter of what that library's formatter does.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "message": record.getMessage(),
            "module": record.module,
            "function": record.funcName,
            "request_id": getattr(record, "request_id", "-"),
            "logger": record.name,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


def _json_formatter() -> logging.Formatter:
    return JsonLineFormatter()


def _text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")


class _Enqueue(logging.handlers.QueueHandler):
    """The only handler on the request path: capture what depends on the moment, then queue.

    Formatting, redaction and writing happen on the listener thread, so a log line
    costs a request little and a slow disk or pipe never blocks the event loop.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.request_id = current_request_id.get()
        record.msg, record.args = record.getMessage(), None
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


class BatchingLogWriter:
    """Writes queued records on one thread, waking every ``interval`` seconds to drain a batch.

    The standard QueueListener wakes once per record, so every request would hand the GIL
    to the logging thread and back; waking on an interval keeps that off the request path.
    """

    def __init__(
        self,
        records: queue.SimpleQueue[logging.LogRecord],
        handlers: list[logging.Handler],
        interval: float = 0.05,
    ) -> None:
        self.records = records
        self.handlers = handlers
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain()
        self.drain()

    def drain(self) -> None:
        batch: list[logging.LogRecord] = []
        while True:
            try:
                batch.append(self.records.get_nowait())
            except queue.Empty:
                break
        for record in batch:
            for handler in self.handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)

    def stop(self) -> None:
        """Write everything queued, then stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.drain()


_listener: BatchingLogWriter | None = None


def configure_logging(settings: Settings) -> None:
    """Route lakechat's and uvicorn's loggers through one queue to redacting JSON handlers."""
    global _listener  # noqa: PLW0603 - logging is process-wide by nature
    formatter = _json_formatter() if settings.log_format == "json" else _text_formatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings.log_to_file:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        if settings.server_workers > 1:
            # several processes must not each rotate one file: append, and reopen when an
            # outside tool (logrotate) moves it
            handlers.append(
                logging.handlers.WatchedFileHandler(settings.log_file, encoding="utf-8")
            )
        else:
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    settings.log_file,
                    maxBytes=settings.log_file_max_bytes,
                    backupCount=settings.log_file_backup_count,
                    encoding="utf-8",
                )
            )
    redactor = SecretRedactor(secret_values(settings))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redactor)
    root = logging.getLogger()
    shutdown_logging()
    for old in list(root.handlers):
        if getattr(old, "_lakechat", False):
            root.removeHandler(old)
            old.close()
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    enqueue = _Enqueue(records)
    enqueue._lakechat = True  # type: ignore[attr-defined]
    root.addHandler(enqueue)
    _listener = BatchingLogWriter(records, handlers)
    _listener.start()
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # lakechat's middleware logs every request (with route, status and latency) itself
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False


def flush_logs() -> None:
    """Write every queued line now (tests, and before a process exits)."""
    if _listener is not None:
        _listener.stop()
        _listener.start()


def shutdown_logging() -> None:
    """Write what is queued and stop the writer thread."""
    global _listener  # noqa: PLW0603
    if _listener is not None:
        _listener.stop()
        for handler in _listener.handlers:
            handler.close()
        _listener = None


atexit.register(shutdown_logging)


def uvicorn_log_config() -> dict[str, Any]:
    """Tell uvicorn to leave logging alone; the app configures it in every worker."""
    return {"version": 1, "disable_existing_loggers": False}
