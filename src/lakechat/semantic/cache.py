"""Cached semantic results: in this process (TTL + LRU) or in Redis, shared by workers.

A result is keyed by the model file's digest, the caller's tenant and role, the warehouse
dialect and the query in a normal form, so an edited model, another tenant or another
role never gets someone else's rows. Results over CACHE_MAX_ROWS are not kept. Hits,
misses and evictions are counted for /metrics and /v1/health.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import TTLCache

from lakechat.observability.metrics import CACHE_EVENTS
from lakechat.settings import Settings

MEMORY_ENTRIES = 2048


@dataclass(frozen=True)
class CacheKey:
    model_digest: str
    tenant: str
    role: str
    dialect: str
    query: dict[str, Any]

    def text(self, prefix: str) -> str:
        body = json.dumps(
            [self.model_digest, self.tenant, self.role, self.dialect, self.query],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return f"{prefix}query:{hashlib.sha256(body.encode()).hexdigest()}"


class ResultCache(Protocol):
    backend: str

    def get(self, key: CacheKey) -> dict[str, Any] | None: ...

    def put(self, key: CacheKey, value: dict[str, Any]) -> None: ...

    def stats(self) -> dict[str, int]: ...


class _Counts:
    """This worker's hits, misses and evictions (and the Prometheus counter)."""

    def __init__(self) -> None:
        self.values = {"hit": 0, "miss": 0, "eviction": 0}
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self.values[outcome] += 1
        CACHE_EVENTS.labels(outcome).inc()

    def stats(self) -> dict[str, int]:
        with self._lock:
            v = dict(self.values)
        return {"hits": v["hit"], "misses": v["miss"], "evictions": v["eviction"]}


class _CountingTTLCache(TTLCache[str, dict[str, Any]]):
    """A TTLCache that reports what it drops (expired or least recently used)."""

    def __init__(self, maxsize: int, ttl: float, counts: _Counts) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl)
        self._counts = counts

    def popitem(self) -> tuple[str, dict[str, Any]]:
        item = super().popitem()
        self._counts.count("eviction")
        return item

    def expire(self, time: float | None = None) -> list[tuple[str, dict[str, Any]]]:
        expired = list(super().expire(time))
        for _ in expired:
            self._counts.count("eviction")
        return expired


class MemoryResultCache:
    backend = "memory"

    def __init__(self, ttl_seconds: float, prefix: str = "") -> None:
        self._counts = _Counts()
        self._entries = _CountingTTLCache(MEMORY_ENTRIES, ttl_seconds, self._counts)
        self._lock = threading.Lock()
        self._prefix = prefix

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key.text(self._prefix))
        self._counts.count("hit" if found is not None else "miss")
        return found

    def put(self, key: CacheKey, value: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key.text(self._prefix)] = value

    def stats(self) -> dict[str, int]:
        with self._lock:
            entries = len(self._entries)
        return {**self._counts.stats(), "entries": entries}


class RedisResultCache:
    """Results as JSON under ``<REDIS_KEY_PREFIX>query:<sha256>`` with the TTL set by Redis."""

    backend = "redis"

    def __init__(self, url: str, ttl_seconds: int, prefix: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._counts = _Counts()

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        import redis

        try:
            raw = self._client.get(key.text(self._prefix))
        except redis.RedisError:
            raw = None  # a cache that cannot answer is a miss, never a failed query
        self._counts.count("hit" if raw is not None else "miss")
        return json.loads(raw) if raw is not None else None

    def put(self, key: CacheKey, value: dict[str, Any]) -> None:
        import redis

        try:
            self._client.set(key.text(self._prefix), json.dumps(value), ex=self._ttl)
        except redis.RedisError:
            return

    def stats(self) -> dict[str, int]:
        return self._counts.stats()


def build_result_cache(settings: Settings) -> ResultCache | None:
    """None when CACHE_ENABLED is false; Redis when REDIS_URL is set; memory otherwise."""
    if not settings.cache_enabled:
        return None
    if settings.redis_url:
        return RedisResultCache(
            settings.redis_url, settings.cache_ttl_seconds, settings.redis_key_prefix
        )
    return MemoryResultCache(settings.cache_ttl_seconds)
