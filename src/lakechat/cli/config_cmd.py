"""`lakechat config show | check`."""

from __future__ import annotations

import typer
from rich.markup import escape

from lakechat.cli.output import console, fail, print_json, print_table

app = typer.Typer(help="Show and check the effective settings.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every setting's effective value (secrets masked) and where it came from."""
    from lakechat.settings import effective_settings, load_settings, setting_sources

    settings = load_settings()
    values = effective_settings(settings)
    sources = setting_sources(settings)
    if as_json:
        print_json({name: {"value": values[name], "source": sources[name]} for name in values})
        return
    print_table(
        "lakechat settings",
        ["setting", "value", "source"],
        ([name.upper(), values[name], sources[name]] for name in values),
    )


@app.command("check")
def check(
    production: bool = typer.Option(
        False, "--production", help="Check as if ENVIRONMENT=production."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Say whether the settings are valid, and what would stop a production start."""
    from lakechat.settings import load_settings, production_problems

    settings = load_settings()
    problems = (
        production_problems(settings) if production or settings.environment == "production" else []
    )
    if as_json:
        print_json({"ok": not problems, "environment": settings.environment, "problems": problems})
    elif problems:
        for problem in problems:
            console.print(f"[red]x[/] {escape(problem)}")
    else:
        console.print("[green]settings are valid[/]")
    if problems:
        if as_json:
            raise typer.Exit(1)
        fail(f"{len(problems)} problem(s) would stop a production start")
