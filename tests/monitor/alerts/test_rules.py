"""alerts.yaml: the built-in rules, overriding them, schedules, and errors that name the
rule and the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakechat.monitor.alerts.loading import load_rules, parse_rules, rules_file
from lakechat.monitor.alerts.rules import AlertRulesInvalid, AssistantQuery, WebhookChannel
from lakechat.monitor.alerts.schedule import Schedule
from lakechat.settings import Settings

GOOD = """
alerts:
  - name: cost_spike
    enabled: false
  - name: assistant_error_rate
    notify:
      - {type: webhook, url: "${TEAM_HOOK}"}
  - name: revenue_drop
    description: Yesterday's revenue fell below 1000.
    query:
      type: semantic
      dataset: tpch_sales
      metrics: [{name: revenue}]
      timeRange: yesterday
    condition: {operator: "<", threshold: 1000}
    schedule: "0 8 * * *"
    severity: critical
    notify:
      - {type: email, to: oncall@example.com}
  - name: failed_runs
    query: {type: analyzer, analyzer: reliability.failed_runs_today}
    condition: {operator: ">=", threshold: 1}
    schedule: every 15m
"""


def test_builtin_rules_exist_without_a_file() -> None:
    rules = {r.name: r for r in load_rules(None).rules}
    assert set(rules) == {"assistant_error_rate", "assistant_p95_latency", "cost_spike"}
    error_rate = rules["assistant_error_rate"]
    assert isinstance(error_rate.query, AssistantQuery)
    assert (error_rate.query.metric, error_rate.query.hours) == ("error_rate", 1)
    # a quiet hour's one failed request is no rate: both need 10 requests to judge
    latency = rules["assistant_p95_latency"].query
    assert isinstance(latency, AssistantQuery)
    assert error_rate.query.min_requests == latency.min_requests == 10
    assert str(error_rate.condition) == "> 0.1" and error_rate.schedule == "every 5m"
    assert str(rules["assistant_p95_latency"].condition) == "> 10000"
    assert rules["cost_spike"].query.type == "analyzer" and rules["cost_spike"].notify == ()


def test_the_file_overrides_builtins_by_name_and_adds_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEAM_HOOK", "https://hooks.example.com/services/T1/B2/xyz")
    ruleset = parse_rules(GOOD, "alerts.yaml")
    rules = {r.name: r for r in ruleset.rules}
    assert list(rules) == [
        "assistant_error_rate", "assistant_p95_latency", "cost_spike", "revenue_drop",
        "failed_runs",
    ]  # fmt: skip
    assert rules["cost_spike"].enabled is False
    assert rules["cost_spike"].condition == load_rules(None).get("cost_spike").condition
    # the override keeps the built-in's query and adds the channel, secret from the environment
    hook = rules["assistant_error_rate"].notify[0]
    assert isinstance(hook, WebhookChannel) and hook.url.endswith("/T1/B2/xyz")
    assert rules["assistant_error_rate"].query.type == "assistant"
    revenue = rules["revenue_drop"]
    assert revenue.severity == "critical" and revenue.notify[0].type == "email"
    assert revenue.query.type == "semantic" and revenue.query.output == "revenue"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "query: {type: analyzer, analyzer: cost.no_such_thing}",
            [
                "rule 'bad'",
                "query.analyzer",
                "no analyzer 'cost.no_such_thing'",
                "cost.spend_spike",
            ],
        ),
        (
            "query: {type: analyzer, analyzer: cost.spend_spike, params: {lookback: 3}}",
            ["rule 'bad'", "query.params", "no parameter 'lookback'", "lookback_days"],
        ),
        ("condition: {operator: '=>', threshold: 1}", ["rule 'bad'", "condition.operator", "'=>'"]),
        ("condition: {operator: '>'}", ["rule 'bad'", "condition.threshold: is missing"]),
        ("schedule: '61 * * * *'", ["rule 'bad'", "schedule:", "neither a cron expression"]),
        ("schedule: every 10s", ["rule 'bad'", "schedule:", "more often than once a minute"]),
        ("query: {type: sql}", ["rule 'bad'", "query.type", "'analyzer', 'semantic', 'assistant'"]),
        ("query: {metric: error_rate}", ["rule 'bad'", "query.type: needs a type"]),
        ("query: {type: assistant, metric: happiness}", ["query.metric", "'happiness'"]),
        ("notify: [{type: webhook, url: 'ftp://x'}]", ["notify.0.url", "not an http(s) URL"]),
        # URLs httpx refuses only when it sends: refused here, shown by scheme and host only
        (
            "notify: [{type: webhook, url: 'https://hooks.example.com:99999/T0/B0/secret-token'}]",
            ["notify.0.url", "the URL https://hooks.example.com/…", "not a valid URL", "Port"],
        ),
        (
            "notify: [{type: webhook, url: 'https://a..b/T0/B0/secret-token'}]",
            ["notify.0.url", "the URL https://a..b/…", "not a valid name"],
        ),
        (
            'notify: [{type: webhook, url: "https://hooks.example.com/secret-token\\x01"}]',
            ["notify.0.url", "spaces or control characters"],
        ),
        (
            "notify: [{type: webhook, url: 'https://hooks.example.com/T0/B0 secret-token'}]",
            ["notify.0.url", "spaces or control characters"],
        ),
        ("notify: [{type: webhook, url: 'https:///secret-token'}]", ["notify.0.url", "no host"]),
        ("notify: [{type: email, to: ['a@[b']}]", ["notify.0.to", "'a@[b' is not an e-mail"]),
        ("notify: [{type: email, to: ['a@b..c']}]", ["notify.0.to", "'a@b..c' is not an e-mail"]),
        # schedules that croniter accepts but that never come, or that the store cannot hold
        ("schedule: '0 9 30 2 *'", ["rule 'bad'", "schedule:", "never comes: no date matches"]),
        ("schedule: every 99999999999999d", ["schedule:", "never comes", "after the year 9999"]),
        (f"schedule: '{'0,' * 100}5 * * * *'", ["schedule:", "at most 200 characters"]),
        ("notify: [{type: email}]", ["notify.0.to: is missing"]),
        ("notify: [{type: email, to: [nobody]}]", ["notify.0.to", "'nobody' is not an e-mail"]),
        ("notify: [{type: pager}]", ["notify.0.type", "'pager'"]),
        ("notify: [{type: webhook, url: '${NOT_SET_ANYWHERE}'}]", ["NOT_SET_ANYWHERE is not set"]),
        ("colour: red", ["rule 'bad'", "colour: is not a known field"]),
        (
            "query: {type: semantic, dataset: tpch_sales, dimensions: [{name: ship_mode}]}",
            ["query", "at least one metric"],
        ),
    ],
)
def test_each_problem_names_the_rule_and_the_field(rule: str, expected: list[str]) -> None:
    base = {
        "query": "query: {type: assistant, metric: error_rate}",
        "condition": "condition: {operator: '>', threshold: 0.1}",
        "schedule": "schedule: every 5m",
    }
    base[rule.split(":", 1)[0]] = rule
    fields = "\n".join(f"    {line}" for line in base.values())
    text = f"alerts:\n  - name: bad\n{fields}\n"
    with pytest.raises(AlertRulesInvalid) as caught:
        parse_rules(text, "alerts.yaml")
    message = caught.value.message
    assert message.startswith("alerts.yaml: ")
    for part in expected:
        assert part in message
    assert "secret-token" not in message  # a webhook's path is its secret
    assert caught.value.code == "alert_rules_invalid"


def test_values_from_the_environment_are_named_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEAM_HOOK", "https://hooks.example.com:99999/services/T1/B2/secret-token")
    monkeypatch.setenv("ONCALL", "secret-person@[example")
    hook = "notify: [{type: webhook, url: '${TEAM_HOOK}'}]"
    mail = "notify: [{type: email, to: ['${ONCALL}']}]"
    for notify, expected in ((hook, "the URL from ${TEAM_HOOK} is not a valid URL"),
                             (mail, "the address from ${ONCALL} is not an e-mail address")):  # fmt: skip
        text = f"""alerts:
  - name: bad
    query: {{type: assistant, metric: errors}}
    condition: {{operator: '>', threshold: 1}}
    schedule: every 5m
    {notify}
"""
        with pytest.raises(AlertRulesInvalid) as caught:
            parse_rules(text, "alerts.yaml")
        assert expected in caught.value.message
        assert "secret" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alerts: [\n", "alerts.yaml line 2: not valid YAML"),
        ("rules: []", "one key, alerts"),
        ("alerts: {name: x}", "alerts must be a list"),
        ("alerts: [just-a-name]", "rule #1 is not a mapping"),
        ("alerts:\n  - schedule: every 5m", "rule #1: name: is missing"),
        (
            "alerts:\n" + "  - {name: twice, query: {type: assistant, metric: errors}, condition: "
            "{operator: '>', threshold: 1}, schedule: every 5m}\n" * 2,
            "rule 'twice': two rules have this name",
        ),
    ],
)
def test_file_level_problems(text: str, expected: str) -> None:
    with pytest.raises(AlertRulesInvalid, match=expected):
        parse_rules(text, "alerts.yaml")


def test_the_file_is_found_in_home_or_named(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert rules_file(settings) is None
    (settings.home).mkdir(parents=True, exist_ok=True)
    (settings.home / "alerts.yaml").write_text("alerts: []\n")
    assert rules_file(settings) == settings.home / "alerts.yaml"
    missing = make_settings(alerts_file=settings.home / "nowhere.yaml")
    with pytest.raises(AlertRulesInvalid, match=r"ALERTS_FILE names .*nowhere\.yaml"):
        rules_file(missing)


def test_schedules() -> None:
    at = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)
    every = Schedule.parse("every 15m")
    assert every.next_after(at) == datetime(2026, 11, 20, 12, 15, tzinfo=UTC)
    # aligned slots: every replica computes the same ones
    assert every.next_after(datetime(2026, 11, 20, 12, 15, tzinfo=UTC)) == datetime(
        2026, 11, 20, 12, 30, tzinfo=UTC
    )
    assert Schedule.parse("Every  1h").text == "Every 1h"
    cron = Schedule.parse("0 8 * * 1-5")
    assert cron.next_after(at) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Friday -> Monday
    with pytest.raises(ValueError, match="neither a cron expression"):
        Schedule.parse("whenever")


def test_the_documented_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "alerts.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/x")
    rules = {r.name: r for r in parse_rules(example, "alerts.md").rules}
    assert {"revenue_drop", "failed_jobs", "worst_queue_wait"} <= set(rules)
    assert rules["cost_spike"].enabled is False and rules["assistant_error_rate"].notify
