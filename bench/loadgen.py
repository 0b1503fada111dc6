"""A small HTTP/1.1 keep-alive load generator (asyncio streams), for benchmarks on loopback.

Each connection sends one request at a time and reads the whole response; the
generator records every request's latency. Bounded in time, loopback only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return (
            ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")
        )


async def _connection(
    port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _run(
    port: int,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    body: bytes | None = None,
) -> LoadResult:
    method = "GET" if body is None else "POST"
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [
        f"{k}: {v}" for k, v in headers.items()
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(_connection(port, request, stop_at, latencies, errors) for _ in range(connections))
    )
    return LoadResult(len(latencies), len(errors), time.perf_counter() - started, latencies)


def run_load(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    connections: int = 16,
    seconds: float = 5.0,
    body: bytes | None = None,
) -> LoadResult:
    """GET ``path`` (or POST ``body`` as JSON) on every connection for ``seconds``."""
    return asyncio.run(_run(port, path, headers or {}, connections, seconds, body))
