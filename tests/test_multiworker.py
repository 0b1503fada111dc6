"""`lakechat serve --workers 2` with Redis: one shared rate budget, summed metrics, no lost log rows."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from lakechat.settings import Settings
from tests.api.test_health import metric
from tests.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(extra)
    return env


@pytest.fixture
def server(
    redis_url: str, redis_prefix: str, home: Path
) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = clean_env(
        LAKECHAT_HOME=str(home),
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=redis_prefix,
        RATE_LIMIT_PER_MINUTE="10",
        LOG_LEVEL="WARNING",
        REQUEST_LOG_FLUSH_SECONDS="30",
    )
    subprocess.run(
        [sys.executable, "-m", "lakechat", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    created = subprocess.run(
        [sys.executable, "-m", "lakechat", "keys", "create", "--name", "load", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    import json

    key = json.loads(created.stdout)["key"]
    log_path = home / "server.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lakechat",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--no-migrate",
        ],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        log_file.close()
        pytest.fail("server did not start: " + log_path.read_text()[-2000:])
    yield base, key, process
    if process.poll() is None:
        process.kill()
        process.wait(10)
    log_file.close()


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children]


def test_two_workers_share_one_budget(server, home: Path) -> None:  # type: ignore[no-untyped-def]
    base, key, process = server

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            responses = await asyncio.gather(
                *(client.get("/api/whoami", headers={"X-API-Key": key}) for _ in range(30))
            )
        return [r.status_code for r in responses]

    codes = Counter(asyncio.run(burst()))
    assert codes == {200: 10, 429: 20}
    assert len(worker_pids(process.pid)) >= 2  # really two worker processes (plus uvicorn's parent)

    # /metrics sums both workers whichever one answers the scrape
    for _ in range(4):
        text = httpx.get(base + "/metrics", timeout=10).text
        assert (
            metric(text, "http_requests_total", method="GET", route="/api/whoami", status="200")
            == 10
        )
        assert (
            metric(text, "http_requests_total", method="GET", route="/api/whoami", status="429")
            == 20
        )
        assert metric(text, "lakechat_errors_total", code="rate_limited") == 20

    # a graceful shutdown writes every buffered request-log row (flush interval is 30 s)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    with sqlite3.connect(home / "lakechat.db") as conn:
        rows = conn.execute(
            "SELECT http_status, count(*) FROM request_log WHERE route = '/api/whoami' GROUP BY 1"
        ).fetchall()
    assert dict(rows) == {200: 10, 429: 20}
