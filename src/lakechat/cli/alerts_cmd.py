"""`lakechat alerts list|run|history|check`: alert rules from the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lakechat.cli.output import console, err_console, fail, print_json, print_table

if TYPE_CHECKING:
    from lakechat.monitor.alerts.service import AlertService

app = typer.Typer(
    help="Alert rules: list them with their state, run them now, read their history.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


@contextmanager
def _alerts() -> Iterator[AlertService]:
    from lakechat.monitor.alerts.service import AlertService
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import ensure_current

    settings = load_settings()
    store = StateStore(settings.state_url)
    try:
        ensure_current(store)
        alerts = AlertService.build(settings, store)
        try:
            yield alerts
        finally:
            alerts.close()
    finally:
        store.dispose()


def _value(value: Any) -> str:
    return "" if value is None else f"{value:g}"


@app.command("list")
def list_alerts(as_json: bool = JSON_OPTION) -> None:
    """Every rule (built-in and alerts.yaml) with its state, last value and next run."""
    with _alerts() as alerts:
        ruleset = alerts.rules()  # a broken alerts.yaml: exit 1 naming the rule and field
        listed = alerts.listing(ruleset=ruleset)
        source = ruleset.source
    if as_json:
        print_json({"alerts": listed, "source": str(source) if source else None})
        return
    print_table(
        f"alert rules ({source or 'built-in rules only'})",
        ["name", "state", "enabled", "schedule", "condition", "last value", "next run", "error"],
        [(a["name"], a["state"], "yes" if a["enabled"] else "no", a["schedule"], a["condition"],
          _value(a["last_value"]), (a["next_run_at"] or "")[:16], a["last_error"] or "")
         for a in listed],
    )  # fmt: skip


@app.command("run")
def run(
    rule: list[str] = typer.Option(
        [], "--rule", help="Run this rule (repeatable; default: every enabled rule)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run rules now, record their state and send notifications (once per episode);
    exits 1 when a rule could not be evaluated."""
    with _alerts() as alerts:
        outcome = alerts.run(rule or None, strict=True)
    if as_json:
        print_json(outcome)
    else:
        print_table("alert runs", ["rule", "state", "value", "condition", "change", "summary or error"],
                    [(r["rule"], r["state"], _value(r["value"]), r["condition"],
                      r["transition"] or "", r["error"] or r["summary"]) for r in outcome["rules"]])  # fmt: skip
        for d in outcome["deliveries"]:
            line = f"{d['rule']} {d['event']} -> {d['channel']} {d['target']}: {d['status']}"
            if d["error"]:
                err_console.print(
                    f"[yellow]{line} ({d['error']})[/]", highlight=False, markup=False
                )
            else:
                console.print(line, highlight=False, markup=False)
    if outcome["failed"]:
        raise typer.Exit(1)


@app.command("history")
def history(
    rule: str | None = typer.Option(None, "--rule", help="Only this rule."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="Events shown."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Episodes (triggered, resolved) and evaluation errors, newest first, with how each
    notification went."""
    with _alerts() as alerts:
        events = alerts.history.events(rule, limit)
    if as_json:
        print_json({"events": events, "count": len(events)})
        return
    print_table("alert history", ["time", "rule", "event", "value", "condition", "notifications"],
                [(e["time"][:19], e["rule"], e["kind"], _value(e["value"]), e["condition"],
                  ", ".join(f"{d['channel']} {d['status']}" for d in e["deliveries"]))
                 for e in events])  # fmt: skip


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="An alerts.yaml to validate."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate an alerts.yaml: every problem names the rule and the field; exits 1 on one."""
    from lakechat.monitor.alerts.loading import load_rules
    from lakechat.monitor.alerts.rules import AlertRulesInvalid
    from lakechat.monitor.alerts.service import describe

    if not file.is_file():
        fail(f"{file} is not a file")
    try:
        ruleset = load_rules(file)
    except AlertRulesInvalid as exc:
        fail(exc.message)
    rules = [describe(r) for r in ruleset.rules]
    if as_json:
        print_json({"valid": True, "rules": rules})
        return
    console.print(f"{file}: valid, {len(rules)} rules in force", highlight=False, markup=False)
    print_table("rules", ["name", "enabled", "schedule", "condition", "notify"],
                [(r["name"], "yes" if r["enabled"] else "no", r["schedule"], r["condition"],
                  ", ".join(c["type"] for c in r["notify"]) or "-") for r in rules])  # fmt: skip
