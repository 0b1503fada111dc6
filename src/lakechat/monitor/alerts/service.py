"""The alerts one process runs: the rules in force, running them, their state and history."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakechat.errors import LakechatError, first_line
from lakechat.monitor.alerts.evaluate import Sources, evaluate
from lakechat.monitor.alerts.history import AlertHistory
from lakechat.monitor.alerts.loading import RuleSet, load_rules, rules_file
from lakechat.monitor.alerts.notify import Notifier, shown_target
from lakechat.monitor.alerts.rules import BUILTIN_NAMES, AlertRule, EmailChannel
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.types import utcnow

if TYPE_CHECKING:
    from lakechat.semantic.registry import ModelRegistry
    from lakechat.warehouse.base import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleRun:
    """What one run of one rule found."""

    rule: str
    state: str
    value: float | None
    condition: str
    summary: str
    transition: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "state": self.state, "value": self.value,
                "condition": self.condition, "summary": self.summary,
                "transition": self.transition, "error": self.error}  # fmt: skip


class AlertService:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        sources: Sources,
        *,
        clock: Callable[[], datetime] = utcnow,
        notifier: Notifier | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sources = sources
        self.clock = clock
        self.notifier = notifier or Notifier(settings)
        self.history = AlertHistory(store, settings.alert_delivery_max_attempts)
        self._on_close = on_close
        self._loaded: tuple[Any, RuleSet] | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: StateStore,
        *,
        warehouse: Warehouse | None = None,
        models: ModelRegistry | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> AlertService:
        """Alerts over ``warehouse`` and ``models``, or ones opened from the settings on
        first use (and closed by ``close()``): the CLI and a jobs worker."""
        opened: list[Warehouse] = []

        def open_warehouse() -> Warehouse:
            if warehouse is not None:
                return warehouse
            if not opened:
                from lakechat.warehouse.factory import build_warehouse

                opened.append(build_warehouse(settings))
            return opened[0]

        given: list[ModelRegistry] = [models] if models is not None else []
        made: list[ModelRegistry] = []

        def open_models() -> ModelRegistry:
            if not given and not made:
                from lakechat.semantic.loader import model_folders
                from lakechat.semantic.registry import ModelRegistry
                from lakechat.warehouse.state_provider import StateStoreWarehouse

                folders = model_folders(settings.models_path, settings.home)
                # as the server does: models over the request log run on the state store
                made.append(
                    ModelRegistry(folders, {"state": StateStoreWarehouse(settings.state_url)})
                )
            return (given or made)[0]

        def close() -> None:
            for each in made:
                each.close()
            for warehouse_opened in opened:
                warehouse_opened.close()

        sources = Sources(settings, store, warehouse=open_warehouse, models=open_models)
        return cls(settings, store, sources, clock=clock, on_close=close)

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def rules(self) -> RuleSet:
        """The rules in force, read again when alerts.yaml changes."""
        path = rules_file(self.settings)
        stamp = _stamp(path)
        if self._loaded is None or self._loaded[0] != stamp:
            self._loaded = (stamp, load_rules(path))
        return self._loaded[1]

    def run(
        self, names: Sequence[str] | None = None, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Run the named rules (default: every enabled rule), then send what is pending."""
        now = now or self.clock()
        ruleset = self.rules()
        chosen = (
            [ruleset.get(name) for name in names]
            if names
            else [r for r in ruleset.rules if r.enabled]
        )
        runs = [self._run_one(rule, now) for rule in chosen]
        deliveries = self.history.deliver_pending(self.notifier, now)
        failed = sum(1 for r in runs if r.error)
        return {"total": len(runs), "succeeded": len(runs) - failed, "failed": failed,
                "rules": [r.as_json() for r in runs], "deliveries": deliveries}  # fmt: skip

    def _run_one(self, rule: AlertRule, now: datetime) -> RuleRun:
        condition = str(rule.condition)
        try:
            reading = evaluate(rule.query, self.sources, now)
        except Exception as exc:  # one rule's failure is recorded; the others still run
            if isinstance(exc, LakechatError):
                error = exc.message
            else:
                log.exception("alert rule %s could not be evaluated", rule.name)
                error = f"{type(exc).__name__}: {first_line(exc)}"
            recorded = self.history.record_error(rule, error, now)
            return RuleRun(rule.name, recorded.state, None, condition, "", error=error)
        met = reading.value is not None and rule.condition.met(reading.value)
        opening = rule.description or rule.name
        verdict = "breaks" if met else "is within"
        message = f"{opening}\n{reading.summary}: {verdict} the condition {condition}."
        recorded = self.history.record(rule, value=reading.value, met=met, message=message, now=now)
        return RuleRun(rule.name, recorded.state, reading.value, condition, reading.summary,
                       recorded.transition)  # fmt: skip

    def claim_due(self, now: datetime | None = None) -> list[str]:
        """The enabled rules due now, claimed for this process (see AlertHistory.claim_due)."""
        return self.history.claim_due(self.rules().rules, now or self.clock())

    def listing(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every rule with its current state, last value and next run."""
        now = now or self.clock()
        states = self.history.states()
        listed = []
        for rule in self.rules().rules:
            row = states.get(rule.name)
            next_run = row.next_run_at if row and row.schedule == rule.schedule else None
            listed.append({
                **describe(rule),
                "state": row.state if row else "ok",
                "since": row.since.isoformat() if row else None,
                "last_run_at": row.last_run_at.isoformat() if row and row.last_run_at else None,
                "last_value": row.last_value if row else None,
                "last_error": row.last_error if row else None,
                "runs": row.runs if row else 0,
                "next_run_at": (
                    None if not rule.enabled
                    else (next_run or rule.timing.next_after(now)).isoformat()
                ),
            })  # fmt: skip
        return listed


def describe(rule: AlertRule) -> dict[str, Any]:
    """A rule as JSON, with each webhook shown by its host only (its URL is a secret)."""
    channels = [
        {"type": c.type, "target": shown_target(c.type, ",".join(c.to) if isinstance(c, EmailChannel) else c.url)}
        for c in rule.notify
    ]  # fmt: skip
    return {
        "name": rule.name,
        "description": rule.description,
        "builtin": rule.name in BUILTIN_NAMES,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "query": rule.query.model_dump(mode="json", by_alias=True, exclude_none=True),
        "condition": str(rule.condition),
        "schedule": rule.schedule,
        "notify": channels,
    }


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)
