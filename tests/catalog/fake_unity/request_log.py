"""What the fake was asked, in order, for tests to assert which SDK calls were made."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str  # without the query string, percent-decoded
    query: dict[str, str]
    body: dict[str, Any] | None
    status: int


@dataclass
class MutableRequestLog:
    """Every request, the refused ones too (wrong token, denied, unknown endpoint)."""

    entries: list[RequestLogEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self.entries.append(entry)

    def calls(self, method: str | None = None, path_prefix: str = "/api/") -> list[str]:
        """``"METHOD /path"`` of each API request (the SDK's start-up probe left out)."""
        with self._lock:
            return [
                f"{e.method} {e.path}"
                for e in self.entries
                if e.path.startswith(path_prefix) and method in (None, e.method)
            ]

    def find(self, method: str, path: str) -> list[RequestLogEntry]:
        with self._lock:
            return [e for e in self.entries if e.method == method and e.path == path]

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def __iter__(self) -> Iterator[RequestLogEntry]:
        with self._lock:
            return iter(list(self.entries))

    def __len__(self) -> int:
        with self._lock:
            return len(self.entries)
