"""The 22 TPC-H queries through lakechat beside raw DuckDB, side by side in one run.

lakechat's path is what every raw-SQL request takes: the SQL guard on the exact text, the
embedded DuckDB warehouse (read-only catalogs, timeout timer, slot, row cap) and the
conversion of rows to Python values. Raw DuckDB runs the same text on a connection with
the same catalog file attached and fetches all rows. Rounds alternate. Goal: total-time
ratio at most 1.05. Also prints the guard's throughput in statements per second.

    python bench/warehouse_overhead.py [--sf 1] [--rounds 3] [--home DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from lakechat.lakehouse.build import build_lakehouse
from lakechat.lakehouse.samples import tpch_kit
from lakechat.sqlguard.guard import GuardPolicy, check
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse
from lakechat.warehouse.guarded import lakehouse_allow_list, run_sql

MAX_ROWS = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine")
    parser.add_argument(
        "--home", type=Path, default=None, help="reuse (or build) the lakehouse here"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = (args.home or Path(tmp)) / "lakehouse"
        started = time.perf_counter()
        builds = build_lakehouse(folder, scale_factor=args.sf)
        print(
            f"demo lakehouse (samples.tpch at SF {args.sf:g}, system, main): "
            f"{'reused' if all(b.skipped for b in builds) else 'built'} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        queries = [kit.sql for kit in tpch_kit()]

        warehouse = DuckDBWarehouse(folder)
        allowed = lakehouse_allow_list(warehouse)
        raw = duckdb.connect(":memory:")
        raw.execute(f"ATTACH '{folder / 'samples.duckdb'}' AS samples (READ_ONLY)")

        ours_total: list[float] = []
        raw_total: list[float] = []
        per_query: dict[int, list[tuple[float, float]]] = {n: [] for n in range(1, 23)}
        for query in queries:  # warm both caches once
            raw.execute(query).fetchall()
            run_sql(
                warehouse, query, allowed_tables=allowed, max_rows=MAX_ROWS, timeout_seconds=600
            )
        for _ in range(args.rounds):
            round_ours = round_raw = 0.0
            for n, query in enumerate(queries, start=1):
                t = time.perf_counter()
                raw_rows = raw.execute(query).fetchall()
                raw_s = time.perf_counter() - t
                t = time.perf_counter()
                outcome = run_sql(
                    warehouse, query, allowed_tables=allowed, max_rows=MAX_ROWS, timeout_seconds=600
                )
                ours_s = time.perf_counter() - t
                assert outcome.result.row_count == len(raw_rows), n
                per_query[n].append((raw_s, ours_s))
                round_raw += raw_s
                round_ours += ours_s
            raw_total.append(round_raw)
            ours_total.append(round_ours)
        warehouse.close()
        raw.close()

    print(f"{'query':>5} {'raw ms':>9} {'lakechat ms':>12} {'ratio':>6}")
    for n, samples in per_query.items():
        r = statistics.median(s[0] for s in samples) * 1000
        o = statistics.median(s[1] for s in samples) * 1000
        print(f"Q{n:<4} {r:>9.1f} {o:>12.1f} {o / r:>6.2f}")
    r, o = statistics.median(raw_total), statistics.median(ours_total)
    print(
        f"total (median of {args.rounds} rounds): raw {r:.2f} s, lakechat {o:.2f} s, ratio {o / r:.3f} (goal <= 1.05) {'OK' if o / r <= 1.05 else 'ABOVE GOAL'}"
    )

    policy = GuardPolicy("duckdb", ("samples.*.*",), 10_000)
    count, t = 0, time.perf_counter()
    while time.perf_counter() - t < 2.0:
        for query in queries:
            check(query, policy)
            count += 1
    print(
        f"SQL guard: {count / (time.perf_counter() - t):,.0f} statements/s on the 22 TPC-H queries"
    )


if __name__ == "__main__":
    main()
