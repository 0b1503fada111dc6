"""lakechat's HTTP overhead beside a bare FastAPI app, measured side by side in one run.

Both are served by uvicorn (one worker each, same flags) and driven by the same
keep-alive load generator in this process. lakechat's route is GET /api/ping (the same body as the bare route):
authenticated with an API key, rate-limited, logged, counted in /metrics and written
to the request log, exactly as in production. Rounds alternate bare/lakechat so
machine noise hits both. Goal: at least 0.7 of the bare app's throughput.

    python bench/http_overhead.py [--seconds 5] [--rounds 3] [--connections 16] [--redis]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import LoadResult, run_load

ROOT = Path(__file__).resolve().parent.parent
UVICORN_FLAGS = ["--workers", "1", "--no-access-log", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def start_bare() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--app-dir",
            str(ROOT / "bench"),
            "--port",
            str(port),
            *UVICORN_FLAGS,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, "/noop")
    return process, port


def start_lakechat(
    home: Path, redis_url: str | None, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int, str]:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RATE_LIMIT", "REDIS", "DATABASE_URL", "LOG_"))
    }
    env.update(LAKECHAT_HOME=str(home), RATE_LIMIT_PER_MINUTE="1000000000", LOG_LEVEL="INFO")
    if redis_url:
        env.update(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"lakechat-bench-{os.getpid()}")
    env.update(extra_env)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lakechat", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )

    run("db", "upgrade")
    key = json.loads(run("keys", "create", "--name", "bench", "--json").stdout)["key"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "lakechat.api.app:app_from_environment",
            "--factory",
            "--port",
            str(port),
            *UVICORN_FLAGS,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, "/health/live")
    return process, port, key


def merge(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        [ms for r in results for ms in r.latencies_ms],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measured round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server, alternating")
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent keep-alive connections"
    )
    parser.add_argument(
        "--redis", default=None, help="REDIS_URL for lakechat's rate limits (default: in memory)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting for lakechat (repeat)",
    )
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)

    variants = [
        ("lakechat", extra_env),
        ("lakechat LOG_REQUESTS=false", {**extra_env, "LOG_REQUESTS": "false"}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        bare, bare_port = start_bare()
        servers = [
            start_lakechat(Path(tmp) / str(i), args.redis, env)
            for i, (_, env) in enumerate(variants)
        ]
        try:
            run_load(bare_port, "/noop", seconds=1.0)  # warm up every server
            for _, port, key in servers:
                run_load(port, "/api/ping", {"X-API-Key": key}, seconds=1.0)
            bare_runs: list[LoadResult] = []
            our_runs: list[list[LoadResult]] = [[] for _ in servers]
            for _ in range(args.rounds):  # alternate, so machine noise hits every server alike
                bare_runs.append(
                    run_load(bare_port, "/noop", connections=args.connections, seconds=args.seconds)
                )
                for runs, (_, port, key) in zip(our_runs, servers, strict=True):
                    runs.append(
                        run_load(
                            port,
                            "/api/ping",
                            {"X-API-Key": key},
                            connections=args.connections,
                            seconds=args.seconds,
                        )
                    )
        finally:
            for process in [bare] + [s[0] for s in servers]:
                process.terminate()
                process.wait(30)

    bare_all = merge(bare_runs)
    storage = "redis" if args.redis else "memory"
    print(
        f"HTTP overhead: {args.rounds} x {args.seconds:g} s per server, {args.connections} connections, uvicorn 1 worker each, {os.cpu_count()} cores"
    )
    if extra_env:
        print("lakechat settings: " + " ".join(f"{k}={v}" for k, v in extra_env.items()))
    print(f"{'server':<72} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>7} {'ratio':>6}")
    print(
        f"{'bare FastAPI, GET /noop':<72} {bare_all.rps:>8.0f} {bare_all.percentile(50):>7.2f} {bare_all.percentile(99):>7.2f} {bare_all.errors:>7} {1:>6.2f}"
    )
    for (label, _), runs in zip(variants, our_runs, strict=True):
        result = merge(runs)
        name = f"{label}, GET /api/ping (key auth, {storage} rate limit)"
        print(
            f"{name:<72} {result.rps:>8.0f} {result.percentile(50):>7.2f} {result.percentile(99):>7.2f} {result.errors:>7} {result.rps / bare_all.rps:>6.2f}"
        )
    print("goal: lakechat (default settings) at >= 0.70 of the bare app's requests/s")


if __name__ == "__main__":
    main()
