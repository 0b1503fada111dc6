"""`lakechat sql "..."`: one guarded, read-only statement against the configured warehouse."""

from __future__ import annotations

import typer

from lakechat.cli.output import console, print_json, print_table


def sql(
    statement: str = typer.Argument(..., help="One read-only SQL statement."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    max_rows: int | None = typer.Option(
        None, "--max-rows", help="Rows at most (default QUERY_MAX_ROWS)."
    ),
) -> None:
    """Run one read-only statement through the SQL guard, as POST /api/sql does."""
    from lakechat.errors import FeatureDisabled
    from lakechat.settings import load_settings
    from lakechat.warehouse.factory import build_warehouse
    from lakechat.warehouse.guarded import lakehouse_allow_list, run_sql

    settings = load_settings()
    if not settings.feature_sql_execution:
        raise FeatureDisabled("raw SQL is turned off here (FEATURE_SQL_EXECUTION=false)")
    warehouse = build_warehouse(settings)
    try:
        outcome = run_sql(
            warehouse,
            statement,
            allowed_tables=lakehouse_allow_list(warehouse),
            max_rows=max_rows or settings.query_max_rows,
            timeout_seconds=settings.query_timeout_seconds,
        )
    finally:
        warehouse.close()
    if as_json:
        print_json(outcome.as_json())
        return
    print_table("", [c.name for c in outcome.result.columns], outcome.result.rows)
    more = " (truncated: more rows exist)" if outcome.truncated else ""
    console.print(
        f"{outcome.result.row_count:,} {'row' if outcome.result.row_count == 1 else 'rows'}{more} "
        f"in {outcome.result.elapsed_ms:.0f} ms",
        style="dim",
    )
