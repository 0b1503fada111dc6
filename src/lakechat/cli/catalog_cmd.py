"""`lakechat catalog ls|describe|grants|search`, `lakechat audit` and `lakechat jobs worker`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer

from lakechat.cli.output import console, print_json, print_table

app = typer.Typer(
    help="Browse the catalog: catalogs, schemas, tables, owners, tags and grants.",
    no_args_is_help=True,
)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


@contextmanager
def _catalog() -> Iterator[Any]:
    from lakechat.catalog.factory import build_catalog
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import ensure_current

    settings = load_settings()
    store = StateStore(settings.state_url)
    ensure_current(store)
    try:
        yield build_catalog(settings, store)
    finally:
        store.dispose()


@app.command("ls")
def ls(
    path: str = typer.Argument(
        "", help="Nothing (catalogs), CATALOG (its schemas) or CATALOG.SCHEMA (its tables)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List catalogs, a catalog's schemas, or a schema's tables."""
    from lakechat.catalog.names import ObjectName, Securable

    with _catalog() as catalog:
        if not path.strip():
            found, title = catalog.list_catalogs(), "catalogs"
        else:
            name = ObjectName.parse(path)
            if name.securable is Securable.TABLE:
                raise typer.BadParameter(
                    f"{name} is a table: use `lakechat catalog describe {name}`"
                )
            if name.securable is Securable.CATALOG:
                found, title = catalog.list_schemas(name.catalog), f"schemas in {name}"
            else:
                found, title = catalog.list_tables(*name.parts), f"tables in {name}"
    if as_json:
        print_json([f.as_json(columns=False) for f in found])
        return
    rows = [
        (f.name.full_name, f.table_type or f.securable.value, f.owner or "-", f.comment or "")
        for f in found
    ]
    print_table(title, ["name", "type", "owner", "comment"], rows)


@app.command("describe")
def describe(name: str = typer.Argument(..., help="CATALOG, CATALOG.SCHEMA or CATALOG.SCHEMA.TABLE"),
             as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """A catalog, schema or table: owner, comment, tags, created, and a table's columns."""
    from lakechat.catalog.names import ObjectName

    with _catalog() as catalog:
        info = catalog.get(ObjectName.parse(name))
    if as_json:
        print_json(info.as_json())
        return
    console.print(f"[bold]{info.securable.value} {info.name}[/]")
    for label, value in (("owner", info.owner), ("comment", info.comment), ("type", info.table_type),
                         ("format", info.data_source_format), ("created", info.created_at),
                         ("created by", info.created_by)):  # fmt: skip
        if value:
            console.print(f"  {label:<11}{value}", highlight=False)
    if info.tags:
        console.print(
            "  tags       " + ", ".join(f"{k}={v}" if v else k for k, v in info.tags.items())
        )
    if info.columns:
        print_table("columns", ["name", "type", "nullable", "comment"],
                    [(c.name, c.type, "yes" if c.nullable else "no", c.comment or "") for c in info.columns])  # fmt: skip


@app.command("grants")
def grants(name: str = typer.Argument(..., help="CATALOG, CATALOG.SCHEMA or CATALOG.SCHEMA.TABLE"),
           as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """Who holds which privileges on an object."""
    from lakechat.catalog.names import ObjectName

    with _catalog() as catalog:
        target = ObjectName.parse(name)
        found = catalog.grants(target)
    if as_json:
        print_json([g.as_json() for g in found])
        return
    print_table(f"grants on {target.securable.value} {target}", ["principal", "privileges"],
                [(g.principal, ", ".join(g.privileges)) for g in found])  # fmt: skip


@app.command("search")
def search(
    text: str = typer.Argument("", help="Text in a name, comment, column or tag."),
    no_owner: bool = typer.Option(False, "--no-owner", help="Only tables without an owner."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Find catalogs, schemas and tables by name, comment, column or tag."""
    from lakechat.catalog.search import search as find
    from lakechat.catalog.search import without_owner

    if not text.strip() and not no_owner:
        raise typer.BadParameter("say what to search for, or pass --no-owner")
    with _catalog() as catalog:
        found = without_owner(catalog) if no_owner else find(catalog, text)
        if no_owner and text.strip():
            found = [f for f in found if text.strip().lower() in f.name.full_name]
    if as_json:
        print_json([f.as_json(columns=False) for f in found])
        return
    rows = [(f.name.full_name, f.securable.value, f.owner or "-", f.comment or "") for f in found]
    print_table(f"{len(found)} found", ["name", "type", "owner", "comment"], rows)


def audit(
    principal: str | None = typer.Option(
        None, "--principal", help="Only this principal's entries."
    ),
    action: str | None = typer.Option(None, "--action", help="e.g. catalog.grant"),
    obj: str | None = typer.Option(None, "--object", help="Text in the object's name."),
    since: datetime | None = typer.Option(None, "--since", help="From this time (ISO)."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JSON_OPTION,
) -> None:
    """The audit log, newest first: every executed change and admin action."""
    from lakechat.settings import load_settings
    from lakechat.store.audit import read_audit
    from lakechat.store.database import StateStore

    store = StateStore(load_settings().state_url)
    try:
        found = read_audit(
            store, principal=principal, action=action, obj=obj, since=since, limit=limit
        )
    finally:
        store.dispose()
    if as_json:
        print_json(found)
        return
    rows = [(e["time"][:19], e["principal"], e["action"], e["object"] or "", e["outcome"],
             e["statement"] or e["error"] or "") for e in found["entries"]]  # fmt: skip
    print_table(
        "audit log", ["time", "principal", "action", "object", "outcome", "statement"], rows
    )


@jobs_app.command("worker")
def worker(
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Jobs run at once."),
) -> None:
    """Run a Celery worker for background jobs (JOBS_BACKEND=celery, queue on REDIS_URL)."""
    from lakechat.errors import ConfigurationError
    from lakechat.settings import load_settings

    settings = load_settings()
    if not settings.redis_url:
        raise ConfigurationError("a jobs worker needs REDIS_URL (the queue)")
    from lakechat.jobs.celery_app import make_app

    make_app(settings.redis_url, settings.jobs_queue).worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=threads",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )
