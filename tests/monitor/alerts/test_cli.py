"""`lakechat alerts` as a user runs it: check a file, list, run on demand, history."""

from __future__ import annotations

import json
from pathlib import Path

from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.types import utcnow
from tests.cli.test_cli import lakechat, ok
from tests.monitor.alerts.conftest import Mailbox, Receiver, log_requests, write_rules


def test_check_names_the_rule_and_field(tmp_path: Path) -> None:
    good = tmp_path / "alerts.yaml"
    good.write_text("""
alerts:
  - name: failed_runs
    query: {type: analyzer, analyzer: reliability.failed_runs_today}
    condition: {operator: ">=", threshold: 1}
    schedule: "*/15 * * * *"
    notify: [{type: email, to: oncall@example.com}]
""")  # fmt: skip
    checked = json.loads(ok("alerts", "check", str(good), "--json"))
    assert checked["valid"] and [r["name"] for r in checked["rules"]][-1] == "failed_runs"
    assert "valid, 4 rules in force" in ok("alerts", "check", str(good))

    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace('">="', '"=>"').replace("*/15 * * * *", "99 * * * *"))
    result = lakechat("alerts", "check", str(bad))
    assert result.returncode == 1
    assert "bad.yaml: rule 'failed_runs': condition.operator: must be" in result.stderr
    assert "schedule:" in result.stderr and "Traceback" not in result.stderr
    missing = lakechat("alerts", "check", str(tmp_path / "none.yaml"))
    assert missing.returncode == 1 and "is not a file" in missing.stderr


def test_run_list_and_history(
    settings: Settings, migrated: StateStore, webhook: Receiver, smtp: Mailbox
) -> None:
    write_rules(settings, f"""
alerts:
  - name: cost_spike
    enabled: false
  - name: assistant_error_rate
    notify:
      - {{type: webhook, url: '{webhook.url}'}}
      - {{type: email, to: oncall@example.com}}
""")  # fmt: skip
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false"}
    log_requests(migrated, ok=3, errors=9, at=utcnow())

    ran = json.loads(ok("alerts", "run", "--json", env=env))
    rules = {r["rule"]: r for r in ran["rules"]}
    assert set(rules) == {"assistant_error_rate", "assistant_p95_latency"}  # enabled ones
    assert rules["assistant_error_rate"]["transition"] == "triggered"
    assert rules["assistant_error_rate"]["value"] == 0.75
    assert [d["status"] for d in ran["deliveries"]] == ["delivered", "delivered"]
    assert len(webhook.received) == 1 and len(smtp.messages) == 1
    again = ok("alerts", "run", "--rule", "assistant_error_rate", env=env)
    assert "assistant_error_rate" in again and "triggered" in again
    assert len(webhook.received) == 1  # the same episode: no second notice

    listed = {a["name"]: a for a in json.loads(ok("alerts", "list", "--json"))["alerts"]}
    assert listed["assistant_error_rate"]["state"] == "triggered"
    assert listed["cost_spike"]["enabled"] is False
    assert "assistant_error_rate" in ok("alerts", "list")
    events = json.loads(ok("alerts", "history", "--json"))["events"]
    assert [e["kind"] for e in events] == ["triggered"]
    assert "webhook delivered" in ok("alerts", "history", "--rule", "assistant_error_rate")

    unknown = lakechat("alerts", "run", "--rule", "nope")
    assert unknown.returncode == 1 and "no alert rule 'nope'" in unknown.stderr


def test_a_broken_file_and_a_failing_rule_exit_1(settings: Settings, migrated: StateStore) -> None:
    write_rules(settings, "alerts:\n  - {name: cost_spike, schedule: sometimes}\n")
    broken = lakechat("alerts", "list")
    assert broken.returncode == 1
    assert "alerts.yaml: rule 'cost_spike': schedule:" in broken.stderr
    assert "Traceback" not in broken.stderr
    # no lakehouse in this home: the analyzer rule fails, is recorded, and the exit says so
    write_rules(settings, "alerts: []\n")
    failed = lakechat("alerts", "run", "--rule", "cost_spike", "--json")
    assert failed.returncode == 1
    (run,) = json.loads(failed.stdout)["rules"]
    assert run["error"] and run["state"] == "ok"
