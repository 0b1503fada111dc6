"""The shipped benchmark (tests/eval/*.yaml): it loads, it is as large and as varied as CI
needs, its tags agree with its cases, and every gold query runs on the demo lakehouse and
returns rows (none where an empty answer is the point)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from lakechat.assistant.evaluation import KNOWN_TAGS, TODAY_PLACEHOLDER, EvalCase, load_cases
from lakechat.lakehouse.build import INCIDENTS_FILE
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

EVAL_DIR = Path(__file__).parents[1] / "eval"
FILES = ("tpch.yaml", "learning.yaml", "platform.yaml", "conversations.yaml", "clarify_refuse.yaml")
CASES = load_cases(EVAL_DIR)
GOLD_SQL = [case for case in CASES if case.gold_sql is not None]


def test_the_benchmark_is_large_and_varied() -> None:
    assert sorted(path.name for path in EVAL_DIR.glob("*.yaml")) == sorted(FILES)
    assert len(CASES) >= 200
    tags = Counter(tag for case in CASES for tag in case.tags)
    assert set(tags) == KNOWN_TAGS  # every tag has cases, and no case has another
    assert tags["followup"] >= 25
    assert tags["clarify"] >= 8
    assert tags["refuse"] >= 10
    # misspellings are a fair share of the questions, never most of them
    assert 10 <= tags["misspelling"] <= len(CASES) // 5
    assert len({case.turns[-1].lower() for case in CASES}) > 0.9 * len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_tags_agree_with_the_case(case: EvalCase) -> None:
    assert ("clarify" in case.tags) == (case.expect == "clarify")
    assert ("refuse" in case.tags) == (case.expect == "refused")
    assert ("followup" in case.tags) == (case.conversation is not None)
    uses_today = TODAY_PLACEHOLDER in (case.gold_sql or "")
    assert ("relative_time" in case.tags) == uses_today
    if case.expect is None:
        domains = {"tpch", "learning", "platform"} & set(case.tags)
        assert len(domains) == 1, "an answered case belongs to exactly one domain"


@pytest.fixture(scope="module")
def warehouse(tpch_home: Path) -> Iterator[DuckDBWarehouse]:
    provider = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    yield provider
    provider.close()


@pytest.fixture(scope="module")
def as_of(tpch_home: Path) -> date:
    """The day the lakehouse's system tables end: the evaluation's today."""
    document = json.loads((default_lakehouse_path(tpch_home) / INCIDENTS_FILE).read_text())
    return date.fromisoformat(document["as_of"])


@pytest.mark.parametrize("case", GOLD_SQL, ids=[case.id for case in GOLD_SQL])
def test_gold_sql_runs_and_returns_rows(
    case: EvalCase, warehouse: DuckDBWarehouse, as_of: date
) -> None:
    sql = case.gold_query(as_of)
    assert sql is not None and TODAY_PLACEHOLDER not in sql
    result = warehouse.execute(sql, max_rows=10_000, timeout_seconds=60)
    assert not result.truncated
    if "empty" in case.tags:
        assert result.rows == ()
    else:
        assert result.rows, f"{case.id}: the gold query returned no rows"
