"""Dependency checks behind /health and /health/ready.

Each check is small, runs in a worker thread with HEALTH_CHECK_TIMEOUT_SECONDS, and
reports healthy or unhealthy with its latency. A required dependency down makes the
service unhealthy (and not ready); an optional one makes it degraded.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lakechat.errors import LakechatError
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.warehouse.base import Warehouse

log = logging.getLogger(__name__)

Status = Literal["healthy", "degraded", "unhealthy"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Literal["healthy", "unhealthy"]
    required: bool
    latency_ms: float
    detail: str

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "required": self.required,
            "latency_ms": round(self.latency_ms, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DependencyCheck:
    """One dependency: a function that returns a detail string or raises."""

    name: str
    required: bool
    probe: Callable[[], str]


@dataclass(frozen=True)
class HealthReport:
    status: Status
    checks: tuple[CheckResult, ...]

    @property
    def ready(self) -> bool:
        return all(c.status == "healthy" for c in self.checks if c.required)

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "checks": [c.as_json() for c in self.checks]}


class HealthMonitor:
    """Runs the dependency checks concurrently; results are reused for one second."""

    def __init__(self, checks: list[DependencyCheck], timeout_seconds: float) -> None:
        self.checks = checks
        self.timeout = timeout_seconds
        self._last: tuple[float, HealthReport] | None = None

    async def report(self, max_age: float = 1.0) -> HealthReport:
        if self._last is not None and time.monotonic() - self._last[0] < max_age:
            return self._last[1]
        results = await asyncio.gather(*(self._run(check) for check in self.checks))
        if any(r.status != "healthy" and r.required for r in results):
            status: Status = "unhealthy"
        elif any(r.status != "healthy" for r in results):
            status = "degraded"
        else:
            status = "healthy"
        report = HealthReport(status, tuple(results))
        self._last = (time.monotonic(), report)
        return report

    async def _run(self, check: DependencyCheck) -> CheckResult:
        started = time.perf_counter()
        try:
            detail = await asyncio.wait_for(asyncio.to_thread(check.probe), self.timeout)
            ok = True
        except TimeoutError:
            detail, ok = f"no answer within {self.timeout:g} s", False
        except LakechatError as exc:
            detail, ok = exc.message, False
        except Exception as exc:
            detail, ok = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                False,
            )
        if not ok:
            log.warning("health check %s failed: %s", check.name, detail)
        return CheckResult(
            check.name,
            "healthy" if ok else "unhealthy",
            check.required,
            (time.perf_counter() - started) * 1000,
            detail,
        )


def state_store_check(store: StateStore) -> DependencyCheck:
    def probe() -> str:
        store.ping()
        return f"{store.backend} reachable"

    return DependencyCheck("state_store", True, probe)


def warehouse_check(warehouse: Warehouse) -> DependencyCheck:
    """The configured warehouse answers a trivial statement."""
    return DependencyCheck("warehouse", True, warehouse.ping)


def cache_check(settings: Settings) -> DependencyCheck:
    def probe() -> str:
        if not settings.redis_url:
            return "in-process memory"
        import redis

        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=1, socket_connect_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
        return "redis reachable"

    return DependencyCheck("cache", False, probe)


def file_store_check(settings: Settings) -> DependencyCheck:
    def probe() -> str:
        location = settings.files_location
        if "://" in location and not location.startswith("file://"):
            import fsspec  # type: ignore[import-not-found, unused-ignore]

            fs, _, paths = fsspec.get_fs_token_paths(location)
            try:
                fs.ls(paths[0])
            except FileNotFoundError:
                # a prefix holds nothing until the first upload: its bucket must exist
                bucket = paths[0].split("/", 1)[0]
                if not fs.exists(bucket):
                    raise
            return (
                f"{fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]} store reachable"
            )
        root = Path(location.removeprefix("file://"))
        root.mkdir(parents=True, exist_ok=True)
        probe_file = root / f".health-{uuid.uuid4().hex}"
        probe_file.write_bytes(b"ok")
        probe_file.unlink()
        return "local folder writable"  # /health is public: no paths or URLs in details

    return DependencyCheck("file_store", False, probe)
