"""JSON log lines with request ids, secrets redacted, optional rotating file.

Every line is one JSON object: timestamp, level, message, module, function,
request_id (plus logger and any ``extra=`` fields). Secrets from the settings and
anything shaped like a credential are replaced by ``***`` before a line is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

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


class SecretRedactor(logging.Filter):
    """Replaces known secret values and credential-shaped text in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
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
}


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{asctime}{levelname}{message}{module}{funcName}{request_id}{name}",
        style="{",
        rename_fields={
            "asctime": "timestamp",
            "levelname": "level",
            "funcName": "function",
            "name": "logger",
        },
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def _text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")


def configure_logging(settings: Settings) -> None:
    """Route lakechat's, uvicorn's and SQLAlchemy's loggers through one redacting handler."""
    formatter = _json_formatter() if settings.log_format == "json" else _text_formatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings.log_to_file:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
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
        handler.addFilter(RequestIdFilter())
        handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_lakechat", False):
            root.removeHandler(old)
            old.close()
    for handler in handlers:
        handler._lakechat = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # lakechat's middleware logs every request (with route, status and latency) itself
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False


def uvicorn_log_config() -> dict[str, Any]:
    """Tell uvicorn to leave logging alone; the app configures it in every worker."""
    return {"version": 1, "disable_existing_loggers": False}
