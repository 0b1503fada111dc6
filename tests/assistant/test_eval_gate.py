"""The CI gate of the issue: the shipped eval set (tests/eval) through the real assistant on
the test lakehouse passes at 95% or more, with no confident wrong number."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakechat.assistant.benchmark import evaluate, lakehouse_today, noon_of
from lakechat.assistant.evaluation import load_cases
from lakechat.assistant.service import Assistant
from lakechat.security.principals import LOCAL_ADMIN
from lakechat.semantic.loader import SHIPPED_MODELS
from lakechat.semantic.registry import ModelRegistry
from lakechat.settings import Settings, default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

EVAL_DIR = Path(__file__).parents[1] / "eval"


def test_the_eval_set_passes_with_no_confident_wrong_number(tpch_home: Path) -> None:
    lakehouse = default_lakehouse_path(tpch_home)
    today = lakehouse_today(lakehouse)
    assert today is not None
    warehouse = DuckDBWarehouse(lakehouse)
    try:
        assistant = Assistant(
            ModelRegistry([SHIPPED_MODELS]),
            warehouse,
            Settings(_env_file=None),
            clock=noon_of(today),
        )
        report = evaluate(load_cases(EVAL_DIR), assistant, LOCAL_ADMIN, warehouse, today=today)
    finally:
        warehouse.close()
    failures = "\n".join(f"{r.id}: {r.reason} {r.detail}" for r in report.failures)
    assert not report.gate_failures(), f"{report.gate_failures()}\n{failures}"
    assert report.total >= 200


@pytest.mark.parametrize(
    ("question", "status"),
    [("delete all orders from 1995", "refused"), ("what's the total for 1995?", "clarify")],
)
def test_statuses_that_are_not_numbers(tpch_home: Path, question: str, status: str) -> None:
    warehouse = DuckDBWarehouse(default_lakehouse_path(tpch_home))
    try:
        assistant = Assistant(ModelRegistry([SHIPPED_MODELS]), warehouse, Settings(_env_file=None))
        answer = assistant.ask(question, LOCAL_ADMIN)
    finally:
        warehouse.close()
    assert answer["status"] == status and answer["rows"] == [] and answer["sql"] is None
