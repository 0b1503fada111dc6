"""The scheduler: each due slot of a rule is claimed once across replicas, a changed
schedule takes effect, and nothing a tick meets stops the thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

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
