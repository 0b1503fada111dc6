"""`lakechat eval FILE.yaml ...`: score the assistant on benchmark questions with gold answers.

Each case runs in its own conversation through the same assistant `lakechat ask` uses; the
gold SQL runs on the same warehouse. "Today" is the demo lakehouse's as-of day when there
is one (its system tables end there), so relative questions mean the same days to both.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakechat.cli.output import console, fail, print_json, print_table

if TYPE_CHECKING:
    from lakechat.assistant.evaluation import EvalReport


def evaluate(
    files: list[Path] = typer.Argument(..., help="Case files (YAML) or folders of them."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    today: str | None = typer.Option(
        None, "--today", help="The day relative questions count from (default: the lakehouse's)."
    ),
    min_pass_rate: float = typer.Option(
        0.95, "--min-pass-rate", min=0.0, max=1.0, help="Exit 1 below this pass rate."
    ),
) -> None:
    """Run eval cases through the assistant and score the answers against the gold."""
    from lakechat.assistant.benchmark import evaluate as run_cases
    from lakechat.assistant.benchmark import lakehouse_today, noon_of
    from lakechat.assistant.evaluation import load_cases
    from lakechat.assistant.service import Assistant
    from lakechat.errors import BadRequest
    from lakechat.security.principals import LOCAL_ADMIN
    from lakechat.semantic.cache import build_result_cache
    from lakechat.semantic.loader import model_folders
    from lakechat.semantic.registry import ModelRegistry
    from lakechat.settings import load_settings
    from lakechat.warehouse.factory import build_warehouse

    missing = [str(f) for f in files if not f.exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)}")
    cases = load_cases(*files)
    if not cases:
        fail("the files hold no cases")
    settings = load_settings()
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise BadRequest(f"--today {today!r}: write the day as YYYY-MM-DD") from None
    day = day or lakehouse_today(settings.lakehouse) or date.today()
    warehouse = build_warehouse(settings)
    try:
        assistant = Assistant(
            ModelRegistry(model_folders(settings.models_path, settings.home)),
            warehouse,
            settings,
            build_result_cache(settings),
            clock=noon_of(day),
        )
        with Progress(
            TextColumn("asking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True, disable=as_json,
        ) as bar:  # fmt: skip
            task = bar.add_task("eval", total=len(cases))
            report = run_cases(
                cases,
                assistant,
                LOCAL_ADMIN,
                warehouse,
                today=day,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        warehouse.close()
    if as_json:
        print_json(report.to_json())
    else:
        _print(report)
    if report.gate_failures(min_pass_rate):
        raise typer.Exit(1)


def _print(report: EvalReport) -> None:
    from lakechat.assistant.evaluation import TABLE_COLUMNS

    if report.failures:
        print_table("failures", TABLE_COLUMNS, report.table_rows())
    by_tag = [
        [tag, score.passed, score.total, f"{score.pass_rate:.1%}"]
        for tag, score in sorted(report.by_tag.items())
    ]
    print_table("by tag", ["tag", "passed", "total", "pass rate"], by_tag)
    console.print(
        f"{report.passed} of {report.total} passed ({report.pass_rate:.1%}); "
        f"{len(report.confident_wrong)} confident wrong answers"
    )
    for problem in report.gate_failures():
        console.print(f"[red]x[/] {problem}", highlight=False)
