"""The scheduler: each due slot of a rule is claimed once across replicas, a changed
schedule takes effect, and nothing a tick meets stops the thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from lakechat.monitor.alerts.rules import AlertRule, AlertRulesInvalid
from lakechat.monitor.alerts.scheduler import AlertScheduler
from lakechat.monitor.alerts.service import AlertService
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.models import AlertStateRow, JobRow
from tests.monitor.alerts.conftest import NOW, log_requests, write_rules

ENABLED = {"assistant_error_rate", "assistant_p95_latency", "cost_spike"}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_each_slot_is_claimed_once_across_replicas(
    make_settings: Callable[..., Settings], make_alerts: Callable[[Settings], AlertService]
) -> None:
    settings = make_settings()
    one, two = make_alerts(settings), make_alerts(settings)
    assert one.claim_due(NOW) == []  # the first look only schedules: next slots are ahead
    slot = NOW + timedelta(minutes=5)  # NOW is on a 5-minute boundary
    assert set(one.claim_due(slot)) == {"assistant_error_rate", "assistant_p95_latency"}
    assert two.claim_due(slot) == []  # the other replica finds them taken
    assert two.claim_due(slot + timedelta(minutes=1)) == []
    assert set(two.claim_due(slot + timedelta(minutes=5))) == {
        "assistant_error_rate", "assistant_p95_latency",
    }  # fmt: skip
    assert set(one.claim_due(NOW + timedelta(hours=1))) == ENABLED  # the hourly one too
    listed = {a["name"]: a for a in one.listing(now=NOW)}
    assert listed["cost_spike"]["next_run_at"] == (NOW + timedelta(hours=2)).isoformat()


def test_a_changed_schedule_and_a_disabled_rule(
    make_settings: Callable[..., Settings], make_alerts: Callable[[Settings], AlertService]
) -> None:
    settings = make_settings()
    alerts = make_alerts(settings)
    alerts.claim_due(NOW)
    write_rules(settings, """
alerts:
  - {name: cost_spike, enabled: false}
  - {name: assistant_error_rate, schedule: "*/10 * * * *"}
""")  # fmt: skip
    assert alerts.claim_due(NOW + timedelta(minutes=5)) == ["assistant_p95_latency"]
    listed = {a["name"]: a for a in alerts.listing(now=NOW)}
    assert (
        listed["assistant_error_rate"]["next_run_at"] == (NOW + timedelta(minutes=10)).isoformat()
    )
    assert listed["cost_spike"]["enabled"] is False and listed["cost_spike"]["next_run_at"] is None
    assert alerts.claim_due(NOW + timedelta(minutes=10)) == [
        "assistant_error_rate", "assistant_p95_latency",
    ]  # fmt: skip


def test_the_thread_survives_failing_ticks(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    settings = make_settings()
    alerts = make_alerts(settings)
    alerts.claim_due()  # schedules every rule
    submitted: list[list[str]] = []
    calls = threading.Semaphore(0)

    def submit(names: list[str]) -> str:
        calls.release()
        if len(submitted) == 0 and not getattr(submit, "failed", False):
            submit.failed = True  # type: ignore[attr-defined]
            raise RuntimeError("the queue is down")
        submitted.append(names)
        return "job-1"

    write_rules(settings, "alerts: [\n")  # a broken file: every tick fails until it is fixed
    scheduler = AlertScheduler(alerts, submit, tick_seconds=0.02)
    scheduler.start()
    try:
        time.sleep(0.1)
        assert scheduler.running
        write_rules(settings, "alerts:\n  - {name: cost_spike, enabled: false}\n")
        with migrated.session() as session:  # every rule is due
            session.execute(update(AlertStateRow).values(next_run_at=NOW))
        # the first submit fails; the claim is given back and the next tick submits again
        wait_for(lambda: bool(submitted), "a submitted job")
        assert set(submitted[0]) == {"assistant_error_rate", "assistant_p95_latency"}
        assert scheduler.running
    finally:
        scheduler.stop()
    assert not scheduler.running


def test_serve_runs_due_rules_as_jobs(
    make_settings: Callable[..., Settings], make_client: Callable[[Settings], TestClient]
) -> None:
    settings = make_settings(alerts_tick_seconds=0.05)
    client = make_client(settings)
    store: StateStore = client.app.state.services.store  # type: ignore[attr-defined]

    def scheduled() -> bool:
        with store.session() as session:
            return len(list(session.scalars(select(AlertStateRow)))) == 3

    wait_for(scheduled, "the scheduler's first look")
    log_requests(store, errors=2, at=NOW + timedelta(days=3650))  # none in the last hour
    with store.session() as session:
        session.execute(
            update(AlertStateRow)
            .where(AlertStateRow.rule == "assistant_error_rate")
            .values(next_run_at=NOW)
        )

    def finished_job() -> JobRow | None:
        with store.session() as session:
            return session.scalars(
                select(JobRow).where(JobRow.kind == "alerts.run", JobRow.status == "succeeded")
            ).first()

    wait_for(lambda: finished_job() is not None, "the alerts.run job")
    job = finished_job()
    assert job is not None and job.params == {"rules": ["assistant_error_rate"]}
    assert job.principal == "lakechat-alerts"
    assert job.result is not None and job.result["rules"][0]["state"] == "ok"
    with store.session() as session:
        state = session.get(AlertStateRow, "assistant_error_rate")
        assert state is not None and state.runs == 1 and state.next_run_at > NOW


def test_concurrent_replicas_claim_each_slot_once(
    make_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> None:
    from lakechat.store.migrate import upgrade

    url = request.getfixturevalue("postgres_url")
    settings = make_settings(database_url=url)
    stores = [StateStore(settings.state_url) for _ in range(6)]
    upgrade(stores[0])
    replicas = [AlertService.build(settings, store) for store in stores]
    try:
        replicas[0].claim_due(NOW)
        slot = NOW + timedelta(hours=1)
        won: list[list[str]] = [[] for _ in replicas]
        start = threading.Barrier(len(replicas))

        def claim(index: int) -> None:
            start.wait()
            won[index] = replicas[index].claim_due(slot)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(replicas))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        claimed = sorted(name for names in won for name in names)
        assert claimed == sorted(ENABLED)  # each rule by exactly one replica
    finally:
        for store in stores:
            store.dispose()


class Records(logging.Handler):
    """The log records of one logger (the tests run without pytest's logging plugin)."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Records:
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


CUSTOM = """
alerts:
  - name: failed_requests
    query: {type: assistant, metric: errors}
    condition: {operator: ">", threshold: 5}
    schedule: every 5m
"""


def test_a_broken_edit_keeps_the_last_good_rules_running(
    make_settings: Callable[..., Settings], make_alerts: Callable[[Settings], AlertService]
) -> None:
    settings = make_settings()
    write_rules(settings, CUSTOM)
    alerts = make_alerts(settings)
    alerts.claim_due(NOW)
    # croniter takes 30 February; it never comes, so the file is refused as a whole
    leap = CUSTOM + '  - {name: leap_day, schedule: "0 9 30 2 *", query: {type: assistant, ' \
        'metric: requests}, condition: {operator: ">", threshold: 0}}\n'  # fmt: skip
    with Records("lakechat.monitor.alerts.service") as logged:
        write_rules(settings, leap)
        slot = NOW + timedelta(minutes=5)
        assert set(alerts.claim_due(slot)) == {
            "failed_requests", "assistant_error_rate", "assistant_p95_latency",
        }  # fmt: skip
        listed = {a["name"] for a in alerts.listing(now=slot)}
        assert "failed_requests" in listed and "leap_day" not in listed
        problem = alerts.rules_in_force()[1]
        assert problem is not None and "rule 'leap_day': schedule:" in problem.message
        assert "never comes" in problem.message
        with pytest.raises(AlertRulesInvalid):
            alerts.rules()  # asked for explicitly (the CLI, POST /api/alerts/run): refused
        (ran,) = alerts.run(["failed_requests"], now=slot)["rules"]
        assert ran["error"] is None
        errors = logged.at(logging.ERROR)
        assert len(errors) == 1 and "leap_day" in errors[0]  # once, not on every tick

        write_rules(settings, "alerts: [\n")  # another problem: said once more
        alerts.claim_due(slot + timedelta(minutes=5))
        alerts.listing(now=slot)
        assert len(logged.at(logging.ERROR)) == 2
        write_rules(settings, CUSTOM)
        assert alerts.rules_in_force()[1] is None
        assert any("valid again" in m for m in logged.at(logging.INFO))


def test_with_no_good_file_ever_the_builtins_run(
    make_settings: Callable[..., Settings], make_alerts: Callable[[Settings], AlertService]
) -> None:
    settings = make_settings(alerts_file=make_settings().home / "missing.yaml")
    alerts = make_alerts(settings)
    ruleset, problem = alerts.rules_in_force()
    assert {r.name for r in ruleset.rules} == ENABLED and problem is not None
    assert "ALERTS_FILE names" in problem.message
    assert alerts.claim_due(NOW) == []  # scheduled
    assert set(alerts.claim_due(NOW + timedelta(minutes=5))) == {
        "assistant_error_rate", "assistant_p95_latency",
    }  # fmt: skip


def test_a_rule_that_cannot_be_claimed_is_skipped(
    make_settings: Callable[..., Settings], make_alerts: Callable[[Settings], AlertService]
) -> None:
    """A rule that got past the file's check (built before it existed): the others are
    claimed all the same, and it is logged once."""
    alerts = make_alerts(make_settings())
    good = list(alerts.rules().rules)
    never = good[0].model_copy(update={"name": "leap_day", "schedule": "0 9 30 2 *"})
    huge = good[0].model_copy(update={"name": "huge", "schedule": "every 99999999999999d"})
    with Records("lakechat.monitor.alerts.history") as logged:
        assert alerts.history.claim_due([never, huge, *good], NOW) == []
        slot = NOW + timedelta(minutes=5)
        assert set(alerts.history.claim_due([never, huge, *good], slot)) == {
            "assistant_error_rate", "assistant_p95_latency",
        }  # fmt: skip
        errors = logged.at(logging.ERROR)
    assert len(errors) == 2  # one per rule, not one per tick
    assert "leap_day" in errors[0] and "huge" in errors[1]


def test_claims_are_given_back_when_claiming_is_cut_short(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    alerts = make_alerts(make_settings())
    rules = list(alerts.rules().rules)
    alerts.claim_due(NOW)
    slot = NOW + timedelta(minutes=5)

    def cut_short() -> Iterator[AlertRule]:
        yield rules[0]
        raise RuntimeError("the rules could not be read")

    with pytest.raises(RuntimeError):
        alerts.history.claim_due(cut_short(), slot)
    with migrated.session() as session:
        state = session.get(AlertStateRow, rules[0].name)
        assert state is not None and state.next_run_at == slot  # due again: given back
    assert rules[0].name in alerts.claim_due(slot)
