"""The alerts one process runs: the rules in force, running them, their state and history.

The rules in force are alerts.yaml's over the built-ins. When an edit breaks the file, the
process keeps running the last rules that loaded (the built-ins alone, when none ever did)
and says what is wrong: logged once per distinct problem, and in ``GET /api/alerts``'s
``error``. Asking for the file's rules explicitly (``rules()``: ``POST /api/alerts/run``,
the CLI) is refused with ``AlertRulesInvalid`` until it is fixed.
"""

from __future__ import annotations

import functools
import logging
import threading
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
from lakechat.monitor.alerts.rules import (
    BUILTIN_NAMES,
    AlertRule,
    AlertRulesInvalid,
    EmailChannel,
)
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
        self._lock = threading.Lock()
        #: what the file's state was when last read (path, mtime, size), or its problem
        self._stamp: Any = _UNREAD
        #: the last rules that loaded, and what is wrong with the file now (if anything)
        self._good: RuleSet | None = None
        self._problem: AlertRulesInvalid | None = None

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
        """The rules alerts.yaml gives, read again when it changes; AlertRulesInvalid when
        it cannot be used (for whoever asked for them: an API call, the CLI)."""
        ruleset, problem = self.rules_in_force()
        if problem is not None:
            raise problem
        return ruleset

    def rules_in_force(self) -> tuple[RuleSet, AlertRulesInvalid | None]:
        """The rules this process runs, and what is wrong with alerts.yaml if anything: its
        rules when it loads, else the last ones that did (the built-ins if none ever did)."""
        with self._lock:
            stamp: Any = _UNREAD
            try:
                path = rules_file(self.settings)
                stamp = _stamp(path)
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._good = load_rules(path)
                    if self._problem is not None:
                        log.info("alert rules are valid again: %d in force", len(self._good.rules))
                    self._problem = None
            except AlertRulesInvalid as exc:
                self._stamp = stamp  # a broken file is read again once it changes
                if self._problem is None or self._problem.message != exc.message:
                    kept = "the last rules that loaded" if self._good else "the built-in rules"
                    log.error("%s; the alerts keep running %s", exc.message, kept)
                self._problem = exc
            return self._good or _builtins(), self._problem

    def run(
        self,
        names: Sequence[str] | None = None,
        *,
        now: datetime | None = None,
        strict: bool = False,
    ) -> dict[str, Any]:
        """Run the named rules (default: every enabled rule), then send what is pending.

        A job (``strict=False``) runs the rules in force and skips a name that is no longer
        a rule (renamed or removed since the job was queued), with a log line; ``strict``
        (the CLI) refuses a broken alerts.yaml and an unknown name instead.
        """
        now = now or self.clock()
        ruleset = self.rules() if strict else self.rules_in_force()[0]
        known = {rule.name: rule for rule in ruleset.rules}
        skipped = [name for name in names or () if name not in known]
        if skipped and strict:
            ruleset.get(skipped[0])  # NotFound, naming the rules there are
        if skipped:
            log.warning("alert rules %s are not rules any more; skipped", ", ".join(skipped))
        chosen = (
            [known[name] for name in names if name in known]
            if names
            else [r for r in ruleset.rules if r.enabled]
        )
        runs = [self._run_one(rule, now) for rule in chosen]
        deliveries = self.history.deliver_pending(self.notifier, now)
        failed = sum(1 for r in runs if r.error)
        return {"total": len(runs), "succeeded": len(runs) - failed, "failed": failed,
                "rules": [r.as_json() for r in runs], "skipped": skipped,
                "deliveries": deliveries}  # fmt: skip

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
        """The enabled rules in force due now, claimed for this process (see
        AlertHistory.claim_due)."""
        return self.history.claim_due(self.rules_in_force()[0].rules, now or self.clock())

    def listing(
        self, now: datetime | None = None, *, ruleset: RuleSet | None = None
    ) -> list[dict[str, Any]]:
        """Every rule (of ``ruleset``, default: the rules in force) with its current state,
        last value and next run."""
        now = now or self.clock()
        states = self.history.states()
        listed = []
        for rule in (ruleset or self.rules_in_force()[0]).rules:
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
                "next_run_at": None if not rule.enabled else _iso(next_run or _next(rule, now)),
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


#: ``_stamp`` before the first read
_UNREAD = object()


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError as exc:
        raise AlertRulesInvalid(f"cannot read {path}: {exc.strerror}") from None
    return (str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _builtins() -> RuleSet:
    return load_rules(None)


def _next(rule: AlertRule, now: datetime) -> datetime | None:
    """The rule's next slot; None rather than an error for one that has none (the file's
    check refuses such schedules, so this is a rule loaded before that check existed)."""
    try:
        return rule.timing.next_after(now)
    except (ValueError, OverflowError):
        return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
