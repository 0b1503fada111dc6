"""Ask the assistant: interpret, execute through the semantic layer or the SQL guard, and
answer in the one contract every surface uses.

    {status: answered|clarify|refused|error, answer, plan, sql, columns: [{name, type}],
     rows: [[...]], row_count, truncated, chart, sources, confidence, domain, suggestions,
     session_id, request_id, latency_ms}

The interpreter and the value index follow the model registry: an edited model is read
again, and its values are listed once per model version.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from lakechat.assistant.catalog_turn import catalog_turn
from lakechat.assistant.charts import ChartColumn, chart_for
from lakechat.assistant.docs_turn import asks_documents, docs_turn
from lakechat.assistant.health_turn import health_turn
from lakechat.assistant.interpreter import Interpreter
from lakechat.assistant.plans import (
    Clarify,
    Help,
    Plan,
    Refuse,
    SemanticPlan,
    SqlRun,
    blank_answer,
)
from lakechat.assistant.suggestions import suggest
from lakechat.assistant.values import ValueIndex, read_values
from lakechat.assistant.wording import describe
from lakechat.catalog.service import Governance
from lakechat.errors import LakechatError
from lakechat.security.principals import Principal
from lakechat.semantic.cache import ResultCache
from lakechat.semantic.model import Format
from lakechat.semantic.registry import ModelRegistry
from lakechat.semantic.service import answer as semantic_answer
from lakechat.semantic.timerange import today_in, zone
from lakechat.settings import Settings
from lakechat.store.types import utcnow
from lakechat.warehouse.base import Warehouse
from lakechat.warehouse.guarded import run_for

if TYPE_CHECKING:
    from lakechat.knowledge.service import KnowledgeBase
    from lakechat.monitor.service import PlatformHealth

log = logging.getLogger(__name__)


@dataclass
class _Built:
    stamp: tuple[str, ...]
    interpreter: Interpreter
    indexed: dict[str, set[str]]


@dataclass
class Assistant:
    registry: ModelRegistry
    warehouse: Warehouse
    settings: Settings
    cache: ResultCache | None = None
    clock: Callable[[], datetime] = utcnow
    #: the catalog, its proposals and jobs: catalog questions and commands go there
    governance: Governance | None = None
    #: the team's documents: document questions are answered from them, with citations
    knowledge: KnowledgeBase | None = None
    #: platform health over the system tables: health questions are answered there
    health: PlatformHealth | None = None
    _built: _Built | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # the interpreter over the current models ---------------------------------------------
    def interpreter(self) -> tuple[Interpreter, dict[str, set[str]]]:
        models = self.registry.all()
        stamp = tuple(f"{m.id}:{m.digest}" for m in models)
        with self._lock:
            if self._built is None or self._built.stamp != stamp:
                index = ValueIndex()
                indexed: dict[str, set[str]] = {}
                for model in models:
                    found = read_values(
                        model, self.warehouse, timeout_seconds=self.settings.query_timeout_seconds
                    )
                    # a copy: add() takes dict[str, Iterable[str]], and dict is invariant
                    index.add(model, found)
                    indexed[model.id] = set(found)
                self._built = _Built(stamp, Interpreter(models, index), indexed)
            return self._built.interpreter, self._built.indexed

    def today(self) -> date:
        return today_in(self.clock(), zone(self.settings.query_timezone))

    def interpret(self, message: str, previous: SemanticPlan | None = None) -> Plan:
        interpreter, _ = self.interpreter()
        return interpreter.interpret(message, today=self.today(), previous=previous)

    # asking ---------------------------------------------------------------------------------
    def ask(
        self,
        message: str,
        principal: Principal,
        *,
        previous: SemanticPlan | None = None,
        session_id: str | None = None,
        request_id: str | None = None,
        on_stage: Callable[[str], None] | None = None,
        pending_proposal: str | None = None,
        health_context: dict[str, Any] | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        stage = on_stage or (lambda _: None)
        stage("interpreting")
        if self.governance is not None:
            turn = catalog_turn(self.governance, message, principal, pending_proposal)
            if turn is not None:
                return self._finish(turn, session_id, request_id, started, stage)
        if asks_documents(message):  # "according to the handbook, ...": no data plan needed
            turn = docs_turn(self.knowledge, message, principal, None)
            if turn is not None:
                return self._finish(turn, session_id, request_id, started, stage)
        if self.health is not None and principal.has_scope("health:read"):
            turn = health_turn(self.health, message, health_context, principal, user)
            if turn is not None:
                stage("analyzing")
                return self._finish(turn, session_id, request_id, started, stage)
        interpreter, indexed = self.interpreter()
        today = self.today()
        plan = interpreter.interpret(message, today=today, previous=previous)
        turn = docs_turn(self.knowledge, message, principal, plan)
        if turn is not None:
            stage("searching documents")
            return self._finish(turn, session_id, request_id, started, stage)
        result = blank_answer(plan)
        try:
            if isinstance(plan, SemanticPlan):
                stage("compiling")
                result.update(self._semantic(plan, principal, stage))
                result["suggestions"] = suggest(
                    plan,
                    self.registry.get(plan.model),
                    indexed.get(plan.model, set()),
                    lambda text, prior: interpreter.interpret(text, today=today, previous=prior),
                )
            elif isinstance(plan, SqlRun):
                stage("executing")
                result.update(self._sql(plan, principal))
            elif isinstance(plan, Clarify):
                result.update(
                    status="clarify", answer=plan.question, suggestions=list(plan.options)
                )
            elif isinstance(plan, Help):
                text = plan.text
                if self.knowledge is not None and principal.has_scope("docs:read"):
                    text += (
                        " You can also ask the team's documents (runbooks, policies, "
                        'handbooks): "according to the docs, how do I rotate the encryption key?"'
                    )
                result.update(status="answered", answer=text, suggestions=list(plan.examples))
                result["confidence"] = 1.0
            elif isinstance(plan, Refuse):
                result.update(status="refused", answer=plan.reason)
                result["suggestions"] = list(interpreter.help().examples[:3])
        except LakechatError as exc:
            result.update(status="error", answer=exc.message, error={"code": exc.code})
            result["confidence"] = 0.0
        return self._finish(result, session_id, request_id, started, stage)

    def _finish(
        self,
        result: dict[str, Any],
        session_id: str | None,
        request_id: str | None,
        started: float,
        stage: Callable[[str], None],
    ) -> dict[str, Any]:
        result.update(
            session_id=session_id,
            request_id=request_id,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        stage("answer")
        encoded: dict[str, Any] = to_jsonable_python(result)
        return encoded

    def _semantic(
        self, plan: SemanticPlan, principal: Principal, stage: Callable[[str], None]
    ) -> dict[str, Any]:
        stage("executing")
        found = semantic_answer(
            self.registry,
            self.warehouse,
            plan.query,
            principal,
            self.settings,
            self.cache,
            self.clock,
        )
        model = self.registry.get(plan.model)
        columns = found["columns"]
        names = [c["name"] for c in columns]
        rows = [[row[n] for n in names] for row in found["rows"]]
        text = describe(model, plan.query, columns, rows, found.get("time_range"), plan.assumptions)
        if found["warnings"]:
            text += " " + " ".join(found["warnings"])
        return {
            "status": "answered",
            "answer": text,
            "sql": found["stats"]["sql"],
            "columns": [{"name": c["name"], "type": c["type"]} for c in columns],
            "rows": rows,
            "row_count": found["stats"]["row_count"],
            "truncated": found["stats"]["truncated"],
            "chart": chart_for(
                _chart_columns(model, plan, columns),
                rows,
                title=text.split(":")[0].split(".")[0],
                prefer=plan.chart,
            ),
            "sources": [
                {"type": "semantic_model", "name": plan.model, "source": model.view.source}
            ],
            "time_range": found.get("time_range"),
            "cached": found["stats"]["cached"],
        }

    def _sql(self, plan: SqlRun, principal: Principal) -> dict[str, Any]:
        if not principal.has_scope("data:sql"):
            return {
                "status": "refused",
                "answer": "Running your own SQL needs a key with the data:sql scope; "
                "ask in plain language instead.",
            }
        granted = self.governance.readable(principal) if self.governance is not None else ()
        outcome = run_for(principal, self.warehouse, plan.sql, self.settings, granted)
        shown = outcome.as_json()
        return {
            "status": "answered",
            "answer": f"The statement returned {shown['row_count']} row"
            f"{'s' if shown['row_count'] != 1 else ''}.",
            "sql": shown["sql"],
            "columns": shown["columns"],
            "rows": shown["rows"],
            "row_count": shown["row_count"],
            "truncated": shown["truncated"],
            "sources": [{"type": "table", "name": t} for t in outcome.verdict.tables],
            "confidence": 1.0,
        }


def _chart_columns(
    model: Any, plan: SemanticPlan, columns: list[dict[str, Any]]
) -> list[ChartColumn]:
    view = model.view
    dims = {d.name: d for d in view.dimensions}
    measures = {m.name: m for m in view.measures}
    outputs = {d.output: d for d in plan.query.dimensions}
    metric_outputs = {m.output: m for m in plan.query.metrics}
    charted = []
    for c in columns:
        fmt = Format.model_validate(c["format"]) if c.get("format") else None
        if c["name"] in outputs:
            ref = outputs[c["name"]]
            dim = dims[ref.name]
            is_time = dim.format is not None and dim.format.type in ("date", "date_time")
            charted.append(
                ChartColumn(
                    c["name"],
                    "dimension",
                    dim.display_name or dim.name,
                    ref.time_grain,
                    is_time,
                    fmt,
                )
            )
        else:
            ref_m = metric_outputs[c["name"]]
            measure = measures[ref_m.name]
            title = measure.display_name or measure.name
            if ref_m.calculation:
                title = f"{title} ({ref_m.calculation.replace('_', ' ')})"
            charted.append(
                ChartColumn(c["name"], "metric", title, None, False, fmt, ref_m.calculation)
            )
    return charted
