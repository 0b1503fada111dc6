"""Run eval files through the assistant: each case in its own conversation, gold SQL on
the same warehouse, scored by ``evaluation``. Shared by ``lakechat eval``, the CI gate and
``bench/ask_latency.py``.

"Today" is the lakehouse's as-of day (its system tables end there), so relative questions
("yesterday", "the last 7 days") mean the same days to the assistant and to the gold SQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lakechat.assistant.evaluation import EvalCase, EvalReport, run_eval
from lakechat.assistant.plans import SemanticPlan
from lakechat.assistant.service import Assistant
from lakechat.lakehouse.build import INCIDENTS_FILE
from lakechat.security.principals import Principal
from lakechat.warehouse.base import Warehouse

#: gold queries may return more rows than an answer shows; they are compared whole
GOLD_MAX_ROWS = 100_000


def lakehouse_today(lakehouse: Path) -> date | None:
    """The as-of day of the demo lakehouse at ``lakehouse``, if it has one."""
    path = lakehouse / INCIDENTS_FILE
    if not path.is_file():
        return None
    return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["as_of"])


def noon_of(day: date) -> Callable[[], datetime]:
    """A clock stopped at noon UTC of ``day``."""
    return lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def evaluate(
    cases: Iterable[EvalCase],
    assistant: Assistant,
    principal: Principal,
    warehouse: Warehouse,
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Ask every case; conversations keep their previous plan as a chat session does."""
    plans: dict[str, SemanticPlan] = {}

    def ask(message: str, session_id: str | None) -> dict[str, Any]:
        session = session_id or uuid.uuid4().hex
        answer = assistant.ask(message, principal, previous=plans.get(session), session_id=session)
        if answer["status"] == "answered" and answer["plan"]["type"] == "semantic":
            plans[session] = SemanticPlan.model_validate(answer["plan"])
        return answer

    def gold(sql: str) -> list[tuple[Any, ...]]:
        result = warehouse.execute(sql, max_rows=GOLD_MAX_ROWS, timeout_seconds=300)
        return [tuple(row) for row in result.rows]

    return run_eval(cases, ask, gold, today=today, progress=progress)
