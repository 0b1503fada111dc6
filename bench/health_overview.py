"""The platform-health overview at a real account's size, beside raw DuckDB, in one run.

A demo lakehouse whose system.billing.usage holds --rows rows (`lakechat demo build
--system-scale`, every incident intact) is built once and cached under bench/.data/. The
overview is lakechat's whole path: ``build_report`` (every overview analyzer of every
domain, findings ranked) through the analysis runner (Databricks SQL written for DuckDB,
the SQL guard) and the embedded DuckDB warehouse, analyzers side by side as the service
runs them. Raw DuckDB replays the exact statements the overview sent (recorded in the
warm-up) on a plain connection with the same catalog files attached under the same names,
each analyzer's statements in order, analyzers side by side with the same parallelism;
and once more everything one after another. Rounds alternate. Goal: ratio <= 1.5.

    python bench/health_overview.py [--rows 10M | --quick] [--rounds 5] [--home DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from lakechat.lakehouse.build import build_lakehouse
from lakechat.lakehouse.system.scale import parse_row_count
from lakechat.monitor.base import Window
from lakechat.monitor.factory import build_runner
from lakechat.monitor.registry import resolve_window
from lakechat.monitor.report import HealthReport, build_report
from lakechat.monitor.runner import AnalysisRunner, Statement
from lakechat.settings import Settings
from lakechat.warehouse.duckdb_names import attach_alias, to_duckdb
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

GOAL = 1.5
#: a fixed day, so the cached lakehouse stays current whatever the date
AS_OF = dt.date(2026, 3, 18)
DATA = Path(__file__).resolve().parent / ".data"


class RecordingRunner(AnalysisRunner):
    """The overview's runner, keeping every statement as written and as sent."""

    def __init__(self, runner: AnalysisRunner) -> None:
        super().__init__(
            runner.warehouse,
            watched_catalogs=runner.watched_catalogs,
            max_rows=runner.max_rows,
            timeout_seconds=runner.timeout_seconds,
        )
        self.statements: list[Statement] = []
        self._lock = threading.Lock()

    def run(self, sql: str, **values: Any) -> Statement:
        done = super().run(sql, **values)
        with self._lock:
            self.statements.append(done)
        return done


def replay_plan(report: HealthReport, recorded: Sequence[Statement]) -> list[list[Statement]]:
    """The recorded statements grouped by analyzer, in the order each analyzer ran them."""
    by_source: dict[str, Statement] = {s.source: s for s in recorded}
    groups = [[by_source[source] for source in a.sql] for a in report.analyses]
    unclaimed = Counter(s.source for s in recorded) - Counter(
        s.source for group in groups for s in group
    )
    if unclaimed:  # run by an analyzer but not listed in its analysis: replayed on their own
        print(f"note: {sum(unclaimed.values())} statements belong to no analysis")
        groups += [[by_source[source]] for source in unclaimed.elements()]
    return groups


def raw_connection(folder: Path) -> tuple[duckdb.DuckDBPyConnection, frozenset[str]]:
    """A plain DuckDB with every catalog file attached as DuckDBWarehouse attaches it."""
    conn = duckdb.connect(":memory:")
    files = sorted(p for p in folder.glob("*.duckdb") if not p.stem.startswith("."))
    for path in files:
        conn.execute(f"ATTACH '{path}' AS \"{attach_alias(path.stem)}\" (READ_ONLY)")
    conn.execute("SET TimeZone = 'UTC'")
    return conn, frozenset(p.stem for p in files)


def replay(conn: duckdb.DuckDBPyConnection, groups: list[list[str]], parallel: int) -> list[int]:
    """Run each group's statements in order, ``parallel`` groups at a time; row counts."""

    def one(group: list[str]) -> list[int]:
        cursor = conn.cursor()
        try:
            return [len(cursor.execute(sql).fetchall()) for sql in group]
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return [n for counts in pool.map(one, groups) for n in counts]


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="10M", help="billing.usage rows (10M, 500k, ...)")
    parser.add_argument("--quick", action="store_true", help="1M rows instead of --rows")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--parallel", type=int, default=None, help="analyzers side by side")
    parser.add_argument("--home", type=Path, default=None, help="reuse (or build) it here")
    args = parser.parse_args()
    rows = parse_row_count("1M" if args.quick else args.rows)
    folder = (args.home or DATA / f"health-{rows}") / "lakehouse"

    started = time.perf_counter()
    builds = build_lakehouse(folder, scale_factor=0.01, as_of=AS_OF, system_scale=rows)
    state = "reused" if all(b.skipped for b in builds) else "built"
    size = (folder / "system.duckdb").stat().st_size / 1e6
    print(
        f"demo lakehouse, system.billing.usage at {rows:,} rows: {state} in "
        f"{time.perf_counter() - started:.1f} s (system.duckdb {size:,.0f} MB) at {folder}"
    )

    settings = Settings(_env_file=None)
    parallel = args.parallel or settings.warehouse_max_concurrency
    warehouse = DuckDBWarehouse(folder, max_concurrency=settings.warehouse_max_concurrency)
    runner = build_runner(settings, warehouse)
    noon = dt.datetime.combine(AS_OF, dt.time(12), tzinfo=dt.UTC)
    window: Window = resolve_window(runner, AS_OF, noon)

    recorder = RecordingRunner(runner)  # the warm-up, recorded
    report = build_report(recorder, window, parallel=parallel)
    if report.failures:
        raise SystemExit(f"the overview failed: {report.failures}")
    plan = replay_plan(report, recorder.statements)
    raw, catalogs = raw_connection(folder)
    groups = [[to_duckdb(s.sent, catalogs) for s in group] for group in plan]
    flat = [[sql for group in groups for sql in group]]
    expected = [s.result.row_count for group in plan for s in group]
    got = replay(raw, groups, parallel)  # the raw warm-up, checked against lakechat's rows
    assert [min(n, runner.max_rows) for n in got] == expected, (got, expected)

    times: dict[str, list[float]] = {"ours": [], "raw": [], "ours_seq": [], "raw_seq": []}
    for _ in range(args.rounds):
        times["ours"].append(timed(lambda: build_report(runner, window, parallel=parallel)))
        times["raw"].append(timed(lambda: replay(raw, groups, parallel)))
        times["ours_seq"].append(timed(lambda: build_report(runner, window, parallel=1)))
        times["raw_seq"].append(timed(lambda: replay(raw, flat, 1)))
    warehouse.close()
    raw.close()

    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"overview: {len(report.analyses)} analyzers, {len(expected)} statements, "
        f"{len(report.findings)} findings; median of {args.rounds} rounds"
    )
    print(f"{'':<28} {'lakechat s':>10} {'raw s':>8} {'ratio':>6} {'usage rows/s':>14}")
    for label, ours, bare in (
        (f"side by side ({parallel} at a time)", "ours", "raw"),
        ("one after another", "ours_seq", "raw_seq"),
    ):
        ratio = median[ours] / median[bare]
        print(
            f"{label:<28} {median[ours]:>10.2f} {median[bare]:>8.2f} {ratio:>6.2f} "
            f"{rows / median[ours]:>14,.0f}"
        )
    ratio = median["ours"] / median["raw"]
    verdict = "OK" if ratio <= GOAL else "ABOVE GOAL"
    print(f"overview ratio {ratio:.3f} (goal <= {GOAL}) {verdict}")


if __name__ == "__main__":
    main()
