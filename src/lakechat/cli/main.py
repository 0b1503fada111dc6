"""`lakechat`: the root command, its global options, and error handling for every command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from lakechat import __version__
from lakechat.cli import (
    alerts_cmd,
    ask_cmd,
    catalog_cmd,
    config_cmd,
    db_cmd,
    docs_cmd,
    eval_cmd,
    health_cmd,
    keys_cmd,
    models_cmd,
    query_cmd,
    serve_cmd,
    sql_cmd,
)
from lakechat.cli.output import err_console, print_json
from lakechat.errors import LakechatError

app = typer.Typer(
    name="lakechat",
    help="Talk to your lakehouse: governed answers, catalog, documents and platform health.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(alerts_cmd.app, name="alerts")
app.add_typer(catalog_cmd.app, name="catalog")
app.command("audit")(catalog_cmd.audit)
app.add_typer(catalog_cmd.jobs_app, name="jobs")
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(docs_cmd.app, name="docs")
app.add_typer(health_cmd.app, name="health")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(models_cmd.app, name="models")
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.demo_app, name="demo")
app.command("sql")(sql_cmd.sql)
app.command("query")(query_cmd.query)
app.command("ask")(ask_cmd.ask)
app.command("chat")(ask_cmd.chat)
app.command("eval")(eval_cmd.evaluate)


@app.callback()
def root(
    config: Path | None = typer.Option(
        None,
        "--config",
        help="config.yaml to read (sets LAKECHAT_CONFIG).",
        exists=True,
        dir_okay=False,
    ),
    home: Path | None = typer.Option(None, "--home", help="Data directory (sets LAKECHAT_HOME)."),
) -> None:
    """Global options apply to every command through the environment."""
    if config is not None:
        os.environ["LAKECHAT_CONFIG"] = str(config.resolve())
    if home is not None:
        os.environ["LAKECHAT_HOME"] = str(home.resolve())


@app.command("version")
def version(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print lakechat's version."""
    if as_json:
        print_json({"version": __version__})
    else:
        typer.echo(f"lakechat {__version__}")


def run() -> None:
    """Console-script entry point: every LakechatError becomes a message and exit code 1."""
    try:
        app()
    except LakechatError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[bold red]error:[/] interrupted", highlight=False)
        sys.exit(130)
