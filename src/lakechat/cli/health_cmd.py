"""`lakechat health report|analyzers|run`: platform health from the system tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from lakechat.cli.output import console, fail, print_json, print_table

if TYPE_CHECKING:
    from lakechat.monitor.report import HealthReport
    from lakechat.monitor.service import PlatformHealth

app = typer.Typer(
    help="Platform health: cost, reliability, performance, security and data quality.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
AS_OF_OPTION = typer.Option(None, "--as-of", help="The day to report on (YYYY-MM-DD).")
WORKSPACE_OPTION = typer.Option(None, "--workspace", help="One workspace (name or id).")
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


@contextmanager
def _health() -> Iterator[PlatformHealth]:
    from lakechat.monitor.service import PlatformHealth
    from lakechat.settings import load_settings
    from lakechat.warehouse.factory import build_warehouse

    settings = load_settings()
    warehouse = build_warehouse(settings)
    try:
        yield PlatformHealth.build(settings, warehouse)
    finally:
        warehouse.close()


@app.command("report")
def report(
    as_json: bool = JSON_OPTION,
    as_of: str | None = AS_OF_OPTION,
    domain: list[str] = typer.Option(
        [],
        "--domain",
        help="Only these domains (repeat): cost, reliability, performance, security, data_quality.",
    ),
    workspace: str | None = WORKSPACE_OPTION,
    rows: bool = typer.Option(False, "--rows", help="With --json: every analysis's rows too."),
) -> None:
    """The whole picture: every analyzer's findings, worst first."""
    with _health() as health:
        if as_json:
            found = health.report(as_of=as_of, domains=domain or None, workspace=workspace)
            print_json(found.as_json(rows=rows))
            return
        with Progress(
            TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), console=console,
            transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("analyzing", total=None)
            found = health.report(
                as_of=as_of,
                domains=domain or None,
                workspace=workspace,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _show(found)


def _show(found: HealthReport) -> None:
    console.print(f"[bold]{escape(found.headline())}[/]")
    for domain in found.domains:
        findings = found.in_domain(domain)
        status = found.status(domain)
        console.print(f"\n[bold]{domain.replace('_', ' ').title()}[/]: {status}")
        for f in findings:
            if f.severity == "info":
                continue
            style = SEVERITY_STYLE.get(f.severity, "")
            console.print(f"  [{style}]{f.severity:>8}[/] {escape(f.title)}", highlight=False)
        if not any(f.severity != "info" for f in findings):
            summaries = [a.summary for a in found.analyses if a.domain == domain]
            console.print(f"  nothing to look at ({escape('; '.join(summaries[:2]))})")
    for failure in found.failures:
        console.print(f"[red]{failure.analyzer} failed:[/] {escape(failure.message)}")


@app.command("analyzers")
def analyzers(as_json: bool = JSON_OPTION) -> None:
    """List the analyzers with their parameters."""
    from lakechat.monitor.registry import all_analyzers

    found = sorted(all_analyzers().values(), key=lambda a: (a.domain, a.name))
    if as_json:
        print_json([a.as_json() for a in found])
        return
    print_table(
        "Analyzers",
        ["name", "domain", "what", "parameters"],
        [
            [a.name, a.domain, a.title, ", ".join(f"{p.name}={p.default}" for p in a.params)]
            for a in found
        ],
    )


@app.command("run")
def run(
    analyzer: str = typer.Argument(..., help="The analyzer, e.g. cost.spend_spike."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter as NAME=VALUE (repeat)."
    ),
    as_json: bool = JSON_OPTION,
    as_of: str | None = AS_OF_OPTION,
    workspace: str | None = WORKSPACE_OPTION,
) -> None:
    """Run one analyzer and show its rows and findings."""
    params = dict(_pair(p) for p in param)
    with _health() as health:
        found = health.analyze(analyzer, params=params, as_of=as_of, workspace=workspace)
    if as_json:
        print_json(found.as_json())
        return
    console.print(f"[bold]{escape(found.title)}[/]: {escape(found.summary)}")
    print_table(found.title, list(found.columns), [list(r) for r in found.rows[:50]])
    for f in found.findings:
        style = SEVERITY_STYLE.get(f.severity, "")
        console.print(f"  [{style}]{f.severity:>8}[/] {escape(f.title)}", highlight=False)


def _pair(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        fail(f"--param {text!r}: write it as NAME=VALUE")
    try:
        return name.strip(), json.loads(value)
    except ValueError:
        return name.strip(), value
