"""Episodes and notifications against real local servers: notify once when a rule
triggers, never while it stays triggered, once when it resolves; a channel that is down is
recorded and retried on the next run until delivered (or given up)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from lakechat.errors import NotFound
from lakechat.monitor.alerts.notify import Notice, Notifier
from lakechat.monitor.alerts.service import AlertService
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.models import AlertDeliveryRow
from tests.conftest import free_port
from tests.monitor.alerts.conftest import NOW, Mailbox, Receiver, log_requests, write_rules

LATER = NOW + timedelta(minutes=5)
#: an hour and more after the failures: none in the rule's one-hour window
QUIET = NOW + timedelta(hours=2)


def error_rate_to(settings: Settings, *channels: str) -> None:
    notify = "\n".join(f"      - {c}" for c in channels)
    write_rules(settings, f"alerts:\n  - name: assistant_error_rate\n    notify:\n{notify}\n")


def test_one_notice_per_episode_on_each_channel(
    smtp_settings: Settings,
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    webhook: Receiver,
    smtp: Mailbox,
) -> None:
    error_rate_to(
        smtp_settings,
        f"{{type: webhook, url: '{webhook.url}'}}",
        "{type: email, to: [oncall@example.com, lead@example.com]}",
    )
    alerts = make_alerts(smtp_settings)
    log_requests(migrated, ok=6, errors=4)

    first = alerts.run(["assistant_error_rate"], now=NOW)
    (run,) = first["rules"]
    assert run["state"] == "triggered" and run["transition"] == "triggered"
    assert run["value"] == 0.4 and run["condition"] == "> 0.1"
    assert [d["status"] for d in first["deliveries"]] == ["delivered", "delivered"]
    (posted,) = webhook.received
    assert set(posted) == {"text", "blocks"}  # Slack-compatible
    assert "assistant_error_rate" in posted["text"] and "error_rate 40.0%" in posted["text"]
    assert posted["blocks"][0]["type"] == "header"
    (mail,) = smtp.messages
    assert mail[0] == "lakechat@example.com"
    assert sorted(mail[1]) == ["lead@example.com", "oncall@example.com"]
    assert "Subject: [lakechat] [HIGH] Alert: assistant_error_rate" in mail[2]

    # still failing five minutes later: the same episode, nobody is told again
    second = alerts.run(["assistant_error_rate"], now=LATER)
    assert second["rules"][0]["state"] == "triggered"
    assert second["rules"][0]["transition"] is None and second["deliveries"] == []
    assert len(webhook.received) == 1 and len(smtp.messages) == 1

    # no failures in the last hour: resolved, told once
    third = alerts.run(["assistant_error_rate"], now=QUIET)
    assert third["rules"][0]["transition"] == "resolved" and third["rules"][0]["state"] == "ok"
    assert len(webhook.received) == 2 and webhook.received[1]["text"].startswith("Resolved:")
    assert "Resolved: assistant_error_rate" in smtp.messages[1][2]
    assert (
        alerts.run(["assistant_error_rate"], now=QUIET + timedelta(minutes=5))["deliveries"] == []
    )
    assert len(webhook.received) == 2

    events = alerts.history.events("assistant_error_rate")
    assert [e["kind"] for e in events] == ["resolved", "triggered"]
    assert all(d["status"] == "delivered" for e in events for d in e["deliveries"])
    # the webhook's URL is its secret: listings show its host only
    assert all("secret-token" not in str(e) for e in events)
    listed = {a["name"]: a for a in alerts.listing(now=QUIET)}
    assert listed["assistant_error_rate"]["state"] == "ok"
    assert listed["assistant_error_rate"]["runs"] == 4
    assert (
        listed["assistant_error_rate"]["notify"][0]["target"]
        == "http://127.0.0.1:" + str(webhook.url.split(":")[2].split("/")[0]) + "/…"
    )


def test_a_webhook_that_is_down_is_retried_until_delivered(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    webhook: Receiver,
) -> None:
    settings = make_settings()
    error_rate_to(settings, f"{{type: webhook, url: '{webhook.url}'}}")
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)
    webhook.status = 503

    first = alerts.run(now=NOW)
    (delivery,) = first["deliveries"]
    assert delivery["status"] == "pending" and "HTTP 503" in delivery["error"]
    assert first["rules"][0]["transition"] == "triggered"  # the state is kept all the same

    webhook.status = 200
    second = alerts.run(now=LATER)
    (retried,) = second["deliveries"]
    assert (retried["status"], retried["attempts"], retried["event"]) == (
        "delivered", 2, "triggered",
    )  # fmt: skip
    assert len(webhook.received) == 1 and "assistant_error_rate" in webhook.received[0]["text"]
    (event,) = alerts.history.events("assistant_error_rate")
    assert event["deliveries"][0]["status"] == "delivered"
    assert event["deliveries"][0]["last_error"] is None
    assert alerts.run(now=LATER + timedelta(minutes=5))["deliveries"] == []


def test_a_closed_port_and_a_dead_mail_server_are_recorded_and_given_up_on(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    closed = free_port()
    settings = make_settings(
        alert_delivery_max_attempts=2, alert_webhook_timeout_seconds=2,
        smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False,
    )  # fmt: skip
    error_rate_to(
        settings,
        f"{{type: webhook, url: 'http://127.0.0.1:{closed}/hook'}}",
        "{type: email, to: oncall@example.com}",
    )
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)

    first = alerts.run(now=NOW)
    assert first["rules"][0]["state"] == "triggered"
    webhook_try, mail_try = first["deliveries"]
    assert webhook_try["status"] == "pending" and "ConnectError" in webhook_try["error"]
    assert mail_try["status"] == "pending" and mail_try["error"].startswith("SMTP 127.0.0.1:")
    second = alerts.run(now=LATER)
    assert [d["status"] for d in second["deliveries"]] == ["failed", "failed"]
    assert alerts.run(now=LATER + timedelta(minutes=5))["deliveries"] == []
    (event,) = alerts.history.events("assistant_error_rate")
    assert [(d["status"], d["attempts"]) for d in event["deliveries"]] == [
        ("failed", 2), ("failed", 2),
    ]  # fmt: skip


def test_email_without_smtp_host_says_so(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    settings = make_settings()
    error_rate_to(settings, "{type: email, to: oncall@example.com}")
    log_requests(migrated, errors=10)
    (delivery,) = make_alerts(settings).run(now=NOW)["deliveries"]
    assert delivery["status"] == "pending" and "SMTP_HOST is not set" in delivery["error"]


def test_a_rule_that_cannot_be_evaluated_is_recorded_and_the_others_still_run(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    settings = make_settings()
    write_rules(settings, """
alerts:
  - name: no_such_model
    query: {type: semantic, dataset: not_a_model, metrics: [{name: revenue}]}
    condition: {operator: "<", threshold: 1}
    schedule: every 1h
""")  # fmt: skip
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)
    outcome = alerts.run(["no_such_model", "assistant_error_rate"], now=NOW)
    broken, fine = outcome["rules"]
    assert broken["error"] and "not_a_model" in broken["error"] and broken["state"] == "ok"
    assert fine["transition"] == "triggered"
    assert (outcome["total"], outcome["failed"]) == (2, 1)
    alerts.run(["no_such_model"], now=LATER)  # the same error again is not a new event
    errors = [e for e in alerts.history.events("no_such_model") if e["kind"] == "error"]
    assert len(errors) == 1 and "not_a_model" in errors[0]["message"]
    listed = {a["name"]: a for a in alerts.listing(now=LATER)}
    assert "not_a_model" in listed["no_such_model"]["last_error"]
    assert listed["no_such_model"]["runs"] == 2


def test_p95_latency_builtin(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    alerts = make_alerts(make_settings())
    log_requests(migrated, ok=20, latency_ms=12_000)
    (run,) = alerts.run(["assistant_p95_latency"], now=NOW)["rules"]
    assert run["transition"] == "triggered" and run["value"] == 12_000
    (quiet,) = alerts.run(["assistant_p95_latency"], now=QUIET)["rules"]
    assert quiet["transition"] == "resolved" and quiet["value"] is None
    assert "too few" in quiet["summary"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_runs_at_once_notify_once(
    backend: str,
    make_settings: Callable[..., Settings],
    webhook: Receiver,
    request: pytest.FixtureRequest,
) -> None:
    """Two replicas (or the CLI beside the server) running one rule at the same moment."""
    from lakechat.store.migrate import upgrade

    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    settings = make_settings(database_url=url)
    error_rate_to(settings, f"{{type: webhook, url: '{webhook.url}'}}")
    stores = [StateStore(settings.state_url) for _ in range(4)]
    upgrade(stores[0])
    log_requests(stores[0], errors=10)
    replicas = [AlertService.build(settings, store) for store in stores]
    start = threading.Barrier(len(replicas))
    outcomes: list[dict[str, Any]] = [{} for _ in replicas]

    def run(index: int) -> None:
        start.wait()
        outcomes[index] = replicas[index].run(["assistant_error_rate"], now=NOW)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(replicas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        transitions = [o["rules"][0]["transition"] for o in outcomes]
        assert transitions.count("triggered") == 1 and transitions.count(None) == 3
        assert len(webhook.received) == 1
        assert [e["kind"] for e in replicas[0].history.events()] == ["triggered"]
    finally:
        for store in stores:
            store.dispose()


def test_a_semantic_rule_over_the_request_log_model(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    """A /v1/query body as the rule's query, on a model that runs on the state store."""
    settings = make_settings()
    write_rules(settings, """
alerts:
  - name: failed_requests
    query:
      type: semantic
      dataset: assistant_requests
      metrics: [{name: requests}, {name: errors}]
      metric: errors
    condition: {operator: ">=", threshold: 2}
    schedule: every 10m
""")  # fmt: skip
    log_requests(migrated, ok=5, errors=3)
    (run,) = make_alerts(settings).run(["failed_requests"], now=NOW)["rules"]
    assert run["error"] is None, run["error"]
    assert (run["value"], run["transition"]) == (3, "triggered")
    assert run["summary"].startswith("errors = 3 (assistant_requests")


def test_one_failed_request_in_a_quiet_hour_pages_nobody(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
) -> None:
    alerts = make_alerts(make_settings())
    log_requests(migrated, errors=1)
    (quiet,) = alerts.run(["assistant_error_rate"], now=NOW)["rules"]
    assert (quiet["state"], quiet["value"]) == ("ok", None)
    assert quiet["summary"].startswith("1 assistant requests in the last 1h: too few")
    log_requests(migrated, ok=8, errors=1, at=LATER)  # ten requests, two failed
    (busy,) = alerts.run(["assistant_error_rate"], now=LATER)["rules"]
    assert busy["transition"] == "triggered" and busy["value"] == 0.2


@pytest.mark.parametrize(
    "target",
    [
        "https://hooks.example.com:99999/T0/B0/secret-token",  # urlsplit: port out of range
        "https://a..b/T0/B0/secret-token",  # the socket layer: IDNA, an empty label
        "https://hooks.example.com/T0/B0/secret-token\x01",  # httpx: InvalidURL
        "https://[::1/T0/B0/secret-token",  # no closing bracket
    ],
)
def test_a_target_httpx_refuses_is_a_failed_attempt_not_a_stuck_one(
    target: str,
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    webhook: Receiver,
) -> None:
    """A delivery row written before alerts.yaml's URLs were checked: it is retried, given
    up on, and listed, and every other run goes on."""
    settings = make_settings(alert_delivery_max_attempts=2)
    error_rate_to(settings, f"{{type: webhook, url: '{webhook.url}'}}")
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)
    webhook.status = 503
    assert alerts.run(["assistant_error_rate"], now=NOW)["deliveries"][0]["status"] == "pending"
    with migrated.session() as session:
        session.execute(update(AlertDeliveryRow).values(target=target))

    second = alerts.run(["assistant_error_rate"], now=LATER)
    (failed,) = second["deliveries"]
    assert (failed["status"], failed["attempts"]) == ("failed", 2)
    assert failed["error"] and "secret-token" not in failed["error"]
    assert "secret-token" not in failed["target"]
    assert (
        second["failed"] == 0 and alerts.run(now=LATER + timedelta(minutes=5))["deliveries"] == []
    )
    (event,) = alerts.history.events("assistant_error_rate")
    assert event["deliveries"][0]["status"] == "failed"
    assert "secret-token" not in str(event)
    assert {a["name"] for a in alerts.listing(now=LATER)} >= {"assistant_error_rate"}
    assert webhook.received == []


class BrokenNotifier(Notifier):
    """A notifier with a bug: whatever it is given, it raises."""

    def send(self, channel: str, target: str, notice: Notice) -> None:
        raise KeyError("a bug in the notifier")


def test_any_exception_a_send_raises_is_a_failed_attempt(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    webhook: Receiver,
) -> None:
    settings = make_settings(alert_delivery_max_attempts=2)
    error_rate_to(settings, f"{{type: webhook, url: '{webhook.url}'}}")
    alerts = make_alerts(settings)
    alerts.notifier = BrokenNotifier(settings)
    log_requests(migrated, errors=10)
    (first,) = alerts.run(now=NOW)["deliveries"]
    assert first["status"] == "pending" and "KeyError" in first["error"]
    assert "secret-token" not in first["error"]
    (second,) = alerts.run(now=LATER)["deliveries"]
    assert (second["status"], second["attempts"]) == ("failed", 2)
    with migrated.session() as session:
        assert [d.status for d in session.scalars(select(AlertDeliveryRow))] == ["failed"]


def test_a_sender_address_the_mail_package_cannot_write_fails_the_delivery(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    smtp: Mailbox,
) -> None:
    settings = make_settings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False, smtp_from="a@[b",
        alert_delivery_max_attempts=2,
    )  # fmt: skip
    error_rate_to(settings, "{type: email, to: oncall@example.com}")
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)
    (first,) = alerts.run(now=NOW)["deliveries"]
    assert first["status"] == "pending" and "SMTP_FROM='a@[b'" in first["error"]
    assert alerts.run(now=LATER)["deliveries"][0]["status"] == "failed"
    assert smtp.messages == []


def test_a_rule_gone_since_its_job_was_queued_is_skipped(
    make_settings: Callable[..., Settings],
    make_alerts: Callable[[Settings], AlertService],
    migrated: StateStore,
    webhook: Receiver,
) -> None:
    """The scheduler claimed ``renamed``; by the time its job runs the file has changed:
    the other rules run and the pending notifications still go out."""
    settings = make_settings()
    error_rate_to(settings, f"{{type: webhook, url: '{webhook.url}'}}")
    alerts = make_alerts(settings)
    log_requests(migrated, errors=10)
    webhook.status = 503
    alerts.run(["assistant_error_rate"], now=NOW)  # a notice left pending
    webhook.status = 200

    outcome = alerts.run(["renamed", "assistant_p95_latency"], now=LATER)
    assert outcome["skipped"] == ["renamed"]
    assert [r["rule"] for r in outcome["rules"]] == ["assistant_p95_latency"]
    assert outcome["failed"] == 0
    assert [d["status"] for d in outcome["deliveries"]] == ["delivered"]
    assert len(webhook.received) == 1
    with pytest.raises(NotFound, match="no alert rule 'renamed'"):
        alerts.run(["renamed"], now=LATER, strict=True)  # the CLI names it instead
