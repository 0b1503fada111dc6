"""The assistant's cost, measured side by side in one run, over the shipped eval questions.

1. Interpreter time: p50 and p99 of turning each question into a plan (goal: p50 < 5 ms).
2. End to end: every answered eval question asked of the assistant in process (interpret,
   compile, guard, DuckDB, answer text, chart, suggestions; result cache off) beside its
   gold SQL run on the same DuckDB lakehouse, at SF 1 (goal: ratio of total time <= 1.15).
   Both sides alternate question by question; each side's time is the sum of per-question
   medians over --rounds.

    python bench/ask_latency.py [--sf 1] [--home DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lakechat.assistant.benchmark import lakehouse_today, noon_of
from lakechat.assistant.evaluation import load_cases
from lakechat.assistant.plans import SemanticPlan
from lakechat.assistant.service import Assistant
from lakechat.lakehouse.build import build_lakehouse
from lakechat.security.principals import LOCAL_ADMIN
from lakechat.semantic.loader import SHIPPED_MODELS
from lakechat.semantic.registry import ModelRegistry
from lakechat.settings import Settings
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

EVAL_DIR = Path(__file__).parents[1] / "tests" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--home", type=Path, default=None, help="reuse a lakehouse here")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--show", type=int, default=3, help="list this many slowest questions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = (args.home or Path(tmp)) / "lakehouse"
        build_lakehouse(lakehouse, scale_factor=args.sf)
        today = lakehouse_today(lakehouse)
        assert today is not None
        warehouse = DuckDBWarehouse(lakehouse)
        settings = Settings(_env_file=None, cache_enabled=False)  # type: ignore[call-arg]
        assistant = Assistant(
            ModelRegistry([SHIPPED_MODELS]), warehouse, settings, None, clock=noon_of(today)
        )
        started = time.perf_counter()
        interpreter, _ = assistant.interpreter()
        print(f"value index and interpreter built in {time.perf_counter() - started:.1f} s")

        cases = [c for c in load_cases(EVAL_DIR) if c.gold_sql is not None]
        # a conversation's last turn needs the plan of the turns before it
        asked: list[tuple[str, SemanticPlan | None, str]] = []
        for case in cases:
            previous = None
            for turn in case.turns[:-1]:
                plan = interpreter.interpret(turn, today=today, previous=previous)
                previous = plan if isinstance(plan, SemanticPlan) else previous
            gold = case.gold_query(today)
            assert gold is not None
            asked.append((case.turns[-1], previous, gold))

        timings = []
        for _ in range(20):
            for question, previous, _gold in asked:
                t0 = time.perf_counter()
                interpreter.interpret(question, today=today, previous=previous)
                timings.append((time.perf_counter() - t0) * 1000)
        p50, p99 = statistics.median(timings), sorted(timings)[int(0.99 * len(timings))]
        verdict = "OK" if p50 < 5 else "over the goal"
        print(f"interpreter: {len(timings)} interpretations of {len(asked)} questions: "
              f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (goal p50 < 5 ms) {verdict}")  # fmt: skip

        for question, previous, gold in asked:  # warm both sides
            assistant.ask(question, LOCAL_ADMIN, previous=previous)
            warehouse.execute(gold, max_rows=100_000, timeout_seconds=600)
        ours: list[list[float]] = [[] for _ in asked]
        raw: list[list[float]] = [[] for _ in asked]
        for _ in range(args.rounds):
            for i, (question, previous, gold) in enumerate(asked):
                t0 = time.perf_counter()
                warehouse.execute(gold, max_rows=100_000, timeout_seconds=600)
                raw[i].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                assistant.ask(question, LOCAL_ADMIN, previous=previous)
                ours[i].append(time.perf_counter() - t0)
        warehouse.close()
        raw_s = sum(statistics.median(t) for t in raw)
        ours_s = sum(statistics.median(t) for t in ours)
        worst = sorted(
            range(len(asked)),
            key=lambda i: statistics.median(ours[i]) - statistics.median(raw[i]),
        )[-args.show :]
        for i in reversed(worst):
            print(f"  slowest beside its gold: {asked[i][0]!r}: lakechat "
                  f"{statistics.median(ours[i]) * 1000:.1f} ms, gold {statistics.median(raw[i]) * 1000:.1f} ms")  # fmt: skip
        verdict = "OK" if ours_s / raw_s <= 1.15 else "over the goal"
        print(f"end to end at SF {args.sf:g}, {len(asked)} questions, sum of medians over {args.rounds} rounds: "
              f"gold SQL on DuckDB {raw_s:.3f} s, lakechat {ours_s:.3f} s, ratio {ours_s / raw_s:.3f} "
              f"(goal <= 1.15) {verdict}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
