"""The semantic layer's cost, measured side by side in one run.

1. Compile time: p50 and p99 of compiling a set of semantic queries (goal: p50 < 2 ms).
2. Uncached POST /v1/query end to end (HTTP, auth, compile, guard, DuckDB, JSON) beside
   the same compiled SQL run on raw DuckDB, at SF 1 (goal: ratio of total time <= 1.10).
3. Cached POST /v1/query requests/s with two uvicorn workers (results in Redis when
   --redis is given, so both workers share them; else each worker caches its own).

    python bench/semantic_overhead.py [--sf 1] [--home DIR] [--seconds 5] [--redis URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from http_overhead import free_port, wait_ready
from lakechat.lakehouse.build import build_lakehouse
from lakechat.semantic.compiler import Access, compile_query
from lakechat.semantic.loader import SHIPPED_MODELS, load_models
from lakechat.semantic.query import parse_query
from loadgen import run_load

QUERIES: list[dict[str, Any]] = [
    {"dataset": "tpch_sales", "dimensions": [{"name": "customer_region"}], "metrics": [{"name": "revenue"}]},
    {"dataset": "tpch_sales", "dimensions": [{"name": "order_date", "timeGrain": "year"}, {"name": "ship_mode"}],
     "metrics": [{"name": "quantity"}, {"name": "order_count"}]},
    {"dataset": "tpch_sales", "dimensions": [{"name": "return_flag"}, {"name": "line_status"}],
     "metrics": [{"name": "revenue"}, {"name": "charge"}, {"name": "avg_discount"}],
     "filters": {"field": "ship_date", "op": "lte", "value": "1998-09-02"}},
    {"dataset": "tpch_sales", "dimensions": [{"name": "customer_nation"}, {"name": "supplier_nation"}],
     "metrics": [{"name": "revenue_per_order"}],
     "filters": {"and": [{"field": "customer_region", "op": "eq", "value": "EUROPE"},
                         {"field": "revenue_per_order", "op": "gt", "value": 1000}]},
     "orderBy": [{"field": "revenue_per_order", "direction": "desc"}], "limit": 20},
    {"dataset": "tpch_orders", "dimensions": [{"name": "order_priority"}, {"name": "order_date", "timeGrain": "month"}],
     "metrics": [{"name": "avg_order_value"}, {"name": "order_count"}]},
    {"dataset": "tpch_sales", "dimensions": [{"name": "part_brand"}], "metrics": [{"name": "customer_count"}],
     "filters": {"or": [{"field": "part_type", "op": "contains", "value": "BRASS"},
                        {"field": "part_container", "op": "starts_with", "value": "LG"}]}},
    {"dataset": "tpch_sales", "dimensions": [{"name": "customer_region"}],
     "metrics": [{"name": "revenue"}, {"name": "revenue", "calculation": "share_of_total"}],
     "timeRange": ["1995-01-01", "1995-12-31"]},
    {"dataset": "tpch_sales", "dimensions": [{"name": "order_date", "timeGrain": "year"}],
     "metrics": [{"name": "revenue"}, {"name": "revenue", "calculation": "growth"}]},
]  # fmt: skip


def compile_times(rounds: int) -> list[float]:
    models = load_models([SHIPPED_MODELS]).models
    access = Access("default", is_admin=True)
    parsed = [parse_query(q) for q in QUERIES]
    times = []
    for _ in range(rounds):
        for query in parsed:
            started = time.perf_counter()
            compile_query(models[query.dataset].view, query, dialect="duckdb", access=access)
            times.append((time.perf_counter() - started) * 1000)
    return times


def start_server(home: Path, lakehouse: Path, workers: int, redis_url: str | None, cache: bool):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RATE_LIMIT", "REDIS", "CACHE", "LOG_"))
    }
    env.update(
        LAKECHAT_HOME=str(home), LAKEHOUSE_PATH=str(lakehouse), RATE_LIMIT_PER_MINUTE="1000000000",
        CACHE_ENABLED=str(cache).lower(), LOG_REQUESTS="false", LOG_LEVEL="WARNING",
    )  # fmt: skip
    if redis_url:
        env.update(REDIS_URL=redis_url, REDIS_KEY_PREFIX=f"lakechat-bench-{os.getpid()}-{port}:")
    home.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lakechat", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )

    run("db", "upgrade")
    key = json.loads(run("keys", "create", "--name", "bench", "--role", "viewer", "--json").stdout)[
        "key"
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "lakechat", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_ready(port, "/health/live")
    return process, port, key


def post(port: int, key: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/query", data=json.dumps(body).encode(),
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument(
        "--home", type=Path, default=None, help="reuse a lakehouse under this folder"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--redis", default=None, help="REDIS_URL for the shared result cache")
    args = parser.parse_args()

    times = compile_times(200)
    p50, p99 = statistics.median(times), sorted(times)[int(0.99 * len(times))]
    print(
        f"compile: {len(times)} compilations of {len(QUERIES)} queries: p50 {p50:.3f} ms, p99 {p99:.3f} ms (goal p50 < 2 ms)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = args.home or Path(tmp)
        lakehouse = root / "lakehouse"
        build_lakehouse(lakehouse, scale_factor=args.sf)
        models = load_models([SHIPPED_MODELS]).models
        sqls = [compile_query(models[q["dataset"]].view, parse_query(q), dialect="duckdb",
                              access=Access("default", is_admin=False)).sql for q in QUERIES]  # fmt: skip
        raw = duckdb.connect()
        for name in ("samples",):
            raw.execute(f"ATTACH '{lakehouse / (name + '.duckdb')}' AS {name} (READ_ONLY)")
        server, port, key = start_server(Path(tmp) / "uncached", lakehouse, 1, None, cache=False)
        try:
            for body in QUERIES:  # warm both sides
                post(port, key, body)
            for sql in sqls:
                raw.execute(sql).fetchall()
            raw_times: list[list[float]] = [[] for _ in QUERIES]
            ours_times: list[list[float]] = [[] for _ in QUERIES]
            for _ in range(args.rounds):  # alternate query by query, so noise hits both
                for i, (sql, body) in enumerate(zip(sqls, QUERIES, strict=True)):
                    started = time.perf_counter()
                    raw.execute(sql).fetchall()
                    raw_times[i].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    post(port, key, body)
                    ours_times[i].append(time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(30)
        for i, body in enumerate(QUERIES):
            r, o = statistics.median(raw_times[i]), statistics.median(ours_times[i])
            shape = f"{body['dataset']}: {', '.join(m['name'] + (':' + m['calculation'] if 'calculation' in m else '') for m in body['metrics'])}"
            print(f"  query {i + 1} ({shape}): raw {r * 1000:.1f} ms, lakechat {o * 1000:.1f} ms, ratio {o / r:.3f}")  # fmt: skip
        raw_s = sum(statistics.median(t) for t in raw_times)
        ours_s = sum(statistics.median(t) for t in ours_times)
        verdict = "OK" if ours_s / raw_s <= 1.10 else "over the goal"
        print(f"uncached /v1/query at SF {args.sf:g}, {len(QUERIES)} queries, sum of medians over {args.rounds} rounds: "
              f"raw DuckDB {raw_s:.3f} s, lakechat {ours_s:.3f} s, ratio {ours_s / raw_s:.3f} (goal <= 1.10) {verdict}")  # fmt: skip

        server, port, key = start_server(Path(tmp) / "cached", lakehouse, 2, args.redis, cache=True)
        try:
            body = json.dumps(QUERIES[0]).encode()
            for _ in range(4):
                post(port, key, QUERIES[0])
            run_load(port, "/v1/query", {"X-API-Key": key}, connections=16, seconds=1.0, body=body)
            result = run_load(
                port,
                "/v1/query",
                {"X-API-Key": key},
                connections=16,
                seconds=args.seconds,
                body=body,
            )
        finally:
            server.terminate()
            server.wait(30)
        storage = "Redis" if args.redis else "per-worker memory"
        print(f"cached /v1/query, 2 workers, {storage} cache, 16 connections: {result.rps:.0f} req/s, "
              f"p50 {result.percentile(50):.2f} ms, p99 {result.percentile(99):.2f} ms, non-200 {result.errors}")  # fmt: skip


if __name__ == "__main__":
    main()
