"""The request log, written in the background so it never slows or breaks a request.

``RequestLogWriter.submit`` only appends to an in-memory buffer; a thread writes
batches every REQUEST_LOG_FLUSH_SECONDS, keeps rows while the store is down, and
``close()`` writes what is left on shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String

from lakechat.errors import LakechatError
from lakechat.observability.metrics import REQUEST_LOG_DROPPED, REQUEST_LOG_WRITTEN
from lakechat.store.database import StateStore
from lakechat.store.models import RequestLogRow

log = logging.getLogger(__name__)

BATCH_SIZE = 500


class RequestLogEntry(NamedTuple):
    """What one request did: the row of the request log (immutable, cheap to build)."""

    request_id: str
    time: datetime
    method: str
    route: str
    http_status: int
    status: str
    latency_ms: float
    principal: str | None = None
    tenant: str | None = None
    question: str | None = None
    plan_type: str | None = None
    domain: str | None = None
    sql: str | None = None
    tables: tuple[str, ...] | None = None
    error_code: str | None = None
    row_count: int | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    confidence: float | None = None

    def as_row(self) -> dict[str, object]:
        row = self._asdict()
        row["tables"] = list(self.tables) if self.tables is not None else None
        # a client controls some of these (an odd HTTP method, say): never let one row
        # fail a whole batch by overflowing its column
        for name, length in _STRING_LENGTHS.items():
            value = row[name]
            if isinstance(value, str) and len(value) > length:
                row[name] = value[:length]
        return row


_STRING_LENGTHS: dict[str, int] = {
    column.name: column.type.length
    for column in RequestLogRow.__table__.columns
    if isinstance(column.type, String) and column.type.length
}
_INSERT = RequestLogRow.__table__.insert()  # type: ignore[attr-defined]


class RequestLogWriter:
    """Buffers request-log rows and writes them in batches on a background thread."""

    def __init__(self, store: StateStore, flush_seconds: float, buffer_max: int) -> None:
        self._store = store
        self._flush_seconds = flush_seconds
        self._buffer: deque[RequestLogEntry] = deque()
        self._buffer_max = buffer_max
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._store_down = False
        self.written = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="request-log-writer", daemon=True
            )
            self._thread.start()

    def submit(self, entry: RequestLogEntry) -> None:
        with self._lock:
            if len(self._buffer) >= self._buffer_max:
                self._buffer.popleft()
                self.dropped += 1
                REQUEST_LOG_DROPPED.inc()
            self._buffer.append(entry)

    def flush(self) -> int:
        """Write everything buffered now; returns rows written. Keeps rows if the store is down."""
        total = 0
        while True:
            with self._lock:
                batch = [self._buffer.popleft() for _ in range(min(BATCH_SIZE, len(self._buffer)))]
            if not batch:
                return total
            try:
                with self._store.connection() as connection:
                    connection.execute(_INSERT, [entry.as_row() for entry in batch])
            except LakechatError as exc:
                with self._lock:
                    self._buffer.extendleft(reversed(batch))
                if not self._store_down:
                    log.warning(
                        "request log kept in memory, the store is unavailable: %s", exc.message
                    )
                self._store_down = True
                return total
            except Exception:
                # a bad row must not block the rest: write one by one, drop only what fails
                log.exception("request log batch failed; writing rows one at a time")
                total += self._write_each(batch)
                continue
            if self._store_down:
                log.info("request log writing resumed")
                self._store_down = False
            total += len(batch)
            self.written += len(batch)
            REQUEST_LOG_WRITTEN.inc(len(batch))

    def _write_each(self, batch: list[RequestLogEntry]) -> int:
        written = 0
        for entry in batch:
            try:
                with self._store.connection() as connection:
                    connection.execute(_INSERT, [entry.as_row()])
                written += 1
            except Exception:
                self.dropped += 1
                REQUEST_LOG_DROPPED.inc()
                log.error(
                    "request log row %s could not be written and was dropped", entry.request_id
                )
        self.written += written
        REQUEST_LOG_WRITTEN.inc(written)
        return written

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread and write what is left (graceful shutdown loses nothing)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()
        if self._buffer:
            log.error("request log: %d rows could not be written at shutdown", len(self._buffer))

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the writer must outlive any single failure
                log.exception("request log flush failed")
