"""Platform health as the API, the CLI and the assistant use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lakechat.errors import BadRequest
from lakechat.monitor.base import Analysis, Analyzer, Window
from lakechat.monitor.factory import build_runner
from lakechat.monitor.memory import PreferenceStore
from lakechat.monitor.registry import all_analyzers, find_workspace, resolve_window, run_analyzer
from lakechat.monitor.report import HealthReport, Progress, build_report
from lakechat.monitor.runner import AnalysisRunner
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.types import utcnow
from lakechat.warehouse.base import Warehouse

#: the system tables every analysis needs
REQUIRED_CATALOG = "system"
#: no system table holds days before this
EARLIEST = dt.date(2000, 1, 1)


@dataclass
class PlatformHealth:
    runner: AnalysisRunner
    parallel: int = 4
    clock: Callable[[], dt.datetime] = utcnow
    #: each user's long-term preferences (none: nothing is remembered)
    preferences: PreferenceStore | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        warehouse: Warehouse,
        clock: Callable[[], dt.datetime] = utcnow,
        store: StateStore | None = None,
    ) -> PlatformHealth:
        memory = PreferenceStore(store, settings.health_memory_days) if store else None
        return cls(
            build_runner(settings, warehouse), settings.warehouse_max_concurrency, clock, memory
        )

    def analyzers(self) -> list[Analyzer]:
        return sorted(all_analyzers().values(), key=lambda a: (a.domain, a.name))

    def window(self, as_of: dt.date | str | None = None) -> Window:
        """The window for ``as_of``; BadRequest when it is not a date or has no data."""
        self._require_system()
        day = parse_day(as_of)
        today = self.clock().date()
        if day is not None and day > today:
            raise BadRequest(f"as_of {day} is in the future; the latest day is today ({today})")
        window = resolve_window(self.runner, day, self.clock())
        self._require_data(window.as_of)
        return window

    def workspace(self, given: str | None) -> tuple[str, str] | None:
        return find_workspace(self.runner, given) if given and given.strip() else None

    def report(
        self,
        *,
        as_of: dt.date | str | None = None,
        domains: Sequence[str] | None = None,
        workspace: str | None = None,
        progress: Progress | None = None,
    ) -> HealthReport:
        window = self.window(as_of)
        return build_report(
            self.runner,
            window,
            domains=domains,
            workspace=self.workspace(workspace),
            parallel=self.parallel,
            progress=progress,
        )

    def analyze(
        self,
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        as_of: dt.date | str | None = None,
        workspace: str | None = None,
    ) -> Analysis:
        return run_analyzer(
            self.runner,
            name,
            params=params,
            window=self.window(as_of),
            workspace=self.workspace(workspace),
        )

    def analyze_many(
        self, days: Mapping[str, dt.date | None], *, workspace: str | None = None
    ) -> list[Analysis]:
        """Several analyzers (name -> as-of day, None for today) with their defaults; the
        workspace and each day's window are looked up once, not once per analyzer."""
        scope = self.workspace(workspace)
        windows = {day: self.window(day) for day in set(days.values())}
        return [
            run_analyzer(self.runner, name, window=windows[day], workspace=scope)
            for name, day in days.items()
        ]

    def _require_system(self) -> None:
        if REQUIRED_CATALOG not in {c.lower() for c in self.runner.warehouse.catalogs()}:
            raise BadRequest(
                "platform health reads Databricks system tables, and this warehouse has no "
                "'system' catalog: build the demo lakehouse (lakechat demo build) or point "
                "WAREHOUSE_URL at Databricks with system tables enabled"
            )

    def _require_data(self, day: dt.date) -> None:
        """BadRequest when neither billing nor the audit log holds ``day``."""
        _, rows = self.runner.rows(
            "SELECT min(first_day) AS first_day, max(last_day) AS last_day FROM ("
            "SELECT min(usage_date) AS first_day, max(usage_date) AS last_day "
            "FROM system.billing.usage UNION ALL "
            "SELECT min(event_date), max(event_date) FROM system.access.audit) AS spans"
        )
        first, last = (rows[0]["first_day"], rows[0]["last_day"]) if rows else (None, None)
        if first is None or last is None:
            raise BadRequest(
                "system.billing.usage and system.access.audit hold nothing yet: "
                "there is nothing to report"
            )
        # billing data reach the system tables up to a day late
        if not first <= day <= last + dt.timedelta(days=1):
            raise BadRequest(
                f"there is no data for {day}: the system tables hold {first} to {last}; "
                "pass an as-of day in that range"
            )


def parse_day(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"as_of {value!r} is not a date; write it as YYYY-MM-DD") from None
    if day < EARLIEST:
        raise BadRequest(f"as_of {day} is before {EARLIEST}: system tables hold no such days")
    return day
