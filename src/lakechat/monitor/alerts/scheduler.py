"""The alert scheduler: a daemon thread in each server process that, every
ALERTS_TICK_SECONDS, claims the rules that are due and hands them to the job runner as one
``alerts.run`` job.

The claim is a conditional UPDATE of the rule's next run in the state store, so with many
replicas (or workers) each due slot of a rule runs once. Nothing a tick meets stops the
thread: a broken alerts.yaml, a store that is down or a runner that refuses is logged, and
the next tick tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lakechat.monitor.alerts.evaluate import SYSTEM
from lakechat.monitor.alerts.service import AlertService

if TYPE_CHECKING:
    from lakechat.jobs.runners import JobRunner

log = logging.getLogger(__name__)

#: submits an ``alerts.run`` job for these rules; returns the job's id
Submit = Callable[[list[str]], str]

JOB_KIND = "alerts.run"


def job_submitter(runner: JobRunner) -> Submit:
    """``Submit`` for a job runner, as the alerts' system principal."""

    def submit(names: list[str]) -> str:
        return runner.submit(JOB_KIND, {"rules": names}, SYSTEM, total=len(names))

    return submit


class AlertScheduler:
    def __init__(self, alerts: AlertService, submit: Submit, tick_seconds: float) -> None:
        self.alerts = alerts
        self.submit = submit
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_problem: str | None = None

    def tick(self) -> list[str]:
        """Claim the due rules and submit them; the names submitted (empty when none)."""
        now = self.alerts.clock()
        due = self.alerts.claim_due(now)
        if due:
            try:
                job_id = self.submit(due)
            except Exception:
                self.alerts.history.release(due, now)  # the next tick tries these again
                raise
            log.info("alert rules %s submitted as job %s", ", ".join(due), job_id)
        return due

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception as exc:  # never kill the thread; say it once per distinct problem
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._last_problem:
                log.exception("the alert scheduler's tick failed; it tries again")
            self._last_problem = problem
        else:
            self._last_problem = None

    def _loop(self) -> None:
        # the first look is one tick after start: a short-lived process runs nothing
        while not self._stop.wait(self.tick_seconds):
            self._safe_tick()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="alert-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
