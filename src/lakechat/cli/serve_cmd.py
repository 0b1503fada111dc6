"""`lakechat serve` and `lakechat demo`."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lakechat.cli.output import console
from lakechat.lakehouse.system.population import DEFAULT_SEED

if TYPE_CHECKING:
    from lakechat.lakehouse.build import CatalogBuild
    from lakechat.settings import Settings
    from lakechat.store.database import StateStore

DEMO_KEY_FILE = "demo-api-key"


def serve(
    host: str | None = typer.Option(None, "--host", help="Bind address (default SERVER_HOST)."),
    port: int | None = typer.Option(None, "--port", help="Port (default SERVER_PORT)."),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes (default SERVER_WORKERS)."
    ),
    migrate: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Apply state-store migrations first."
    ),
) -> None:
    """Serve the API with uvicorn."""
    from lakechat.observability.logs import configure_logging
    from lakechat.settings import check_startup, load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import upgrade

    settings = load_settings()
    check_startup(settings)
    configure_logging(settings)
    if migrate:
        store = StateStore(settings.state_url)
        upgrade(store)
        store.dispose()
    _run_server(
        settings,
        host or settings.server_host,
        port or settings.server_port,
        workers or settings.server_workers,
    )


def _run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from lakechat.observability.logs import uvicorn_log_config

    os.environ["SERVER_WORKERS"] = str(workers)  # so each worker's settings know
    if workers > 1:
        # prometheus-client multiprocess mode: every worker writes here, /metrics sums them
        metrics_dir = settings.home / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        "lakechat.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=uvicorn_log_config(),
        access_log=False,
        timeout_graceful_shutdown=settings.server_timeout,
        proxy_headers=True,
        server_header=False,
    )


demo_app = typer.Typer(
    help="The embedded demo: build the lakehouse, prepare the state store and a key, serve.",
    invoke_without_command=True,
)

SF_OPTION = typer.Option(
    1.0, "--sf", help="TPC-H scale factor of samples.tpch (1 = 6M lineitem rows)."
)
AS_OF_OPTION = typer.Option(
    None,
    "--as-of",
    formats=["%Y-%m-%d"],
    help="Last day of the 90 days of system tables (default: today, UTC).",
)
#: the project's own documentation, beside src/ in a checkout
PROJECT_DOCS = Path(__file__).resolve().parents[3] / "docs"
SEED_OPTION = typer.Option(
    DEFAULT_SEED,
    "--seed",
    help="Population and incident seed; the default seed's names are the documented ones.",
)


def _row_count(text: str) -> int:
    from lakechat.errors import BadRequest
    from lakechat.lakehouse.system.scale import parse_row_count

    try:
        return parse_row_count(text)
    except BadRequest as exc:
        # click names the option already: "Invalid value for '--system-scale': ..."
        raise typer.BadParameter(exc.message.removeprefix("--system-scale ")) from None


SYSTEM_SCALE_OPTION = typer.Option(
    None,
    "--system-scale",
    metavar="ROWS",
    parser=_row_count,
    help="Grow system.billing.usage to ROWS rows (10000000, 10M, 500k), every incident "
    "intact; at least the generated count (default: as generated).",
)


@demo_app.callback()
def demo(
    ctx: typer.Context,
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API when ready."),
    port: int | None = typer.Option(None, "--port", help="Port (default SERVER_PORT)."),
    scale_factor: float = SF_OPTION,
    as_of: datetime | None = AS_OF_OPTION,
    seed: int = SEED_OPTION,
    system_scale: int | None = SYSTEM_SCALE_OPTION,
    docs: Path | None = typer.Option(
        None,
        "--docs",
        help="Documents to ingest for document questions (default: the project's docs/ folder).",
    ),
    with_docs: bool = typer.Option(True, "--docs-ingest/--no-docs-ingest", help="Ingest them."),
) -> None:
    """Build the demo lakehouse (if needed), prepare the state store and an admin key, ingest
    the project's documents, and serve."""
    if ctx.invoked_subcommand is not None:
        return
    from lakechat.observability.logs import configure_logging
    from lakechat.settings import check_startup, load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import upgrade

    settings = load_settings()
    check_startup(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    builds = _build_with_progress(
        settings.lakehouse,
        scale_factor,
        as_of=as_of,
        seed=seed,
        force=False,
        system_scale=system_scale,
    )
    store = StateStore(settings.state_url)
    upgrade(store)
    key = _demo_key(settings, store)
    documents = _demo_documents(settings, store, docs or PROJECT_DOCS) if with_docs else None
    url = f"http://{settings.server_host}:{port or settings.server_port}"
    console.rule("[bold]lakechat demo")
    console.print(f"data directory   {settings.home}")
    console.print(f"state store      {store.backend} ({store.display_url})")
    for build in builds:
        console.print(f"catalog          {build.catalog} ({build.describe()}) {build.path}")
    if documents:
        console.print(f"documents        {documents}", highlight=False)
    console.print(f"admin API key    {key}", highlight=False, soft_wrap=True)
    console.print(f"                 (also in {settings.home / DEMO_KEY_FILE})")
    console.print(f"API              {url}   docs: {url}/docs   health: {url}/health")
    console.print(
        f'try              curl -H "X-API-Key: {key}" {url}/api/whoami',
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f'platform health  curl -H "X-API-Key: {key}" {url}/api/monitor/overview',
        highlight=False,
        soft_wrap=True,
    )
    console.rule()
    store.dispose()
    if serve_after:
        configure_logging(settings)
        _run_server(
            settings, settings.server_host, port or settings.server_port, settings.server_workers
        )


@demo_app.command("build")
def build(
    scale_factor: float = SF_OPTION,
    as_of: datetime | None = AS_OF_OPTION,
    seed: int = SEED_OPTION,
    system_scale: int | None = SYSTEM_SCALE_OPTION,
    force: bool = typer.Option(
        False, "--force", help="Rebuild even when the catalogs are current."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Build the demo lakehouse under $LAKECHAT_HOME/lakehouse (skipped when already current)."""
    from dataclasses import asdict

    from lakechat.cli.output import print_json
    from lakechat.settings import load_settings

    builds = _build_with_progress(
        load_settings().lakehouse,
        scale_factor,
        as_of=as_of,
        seed=seed,
        force=force,
        system_scale=system_scale,
        quiet=as_json,
    )
    if as_json:
        print_json({"catalogs": [asdict(b) for b in builds]})
        return
    for b in builds:
        state = "up to date" if b.skipped else "built"
        console.print(f"{b.catalog}: {state} ({b.describe()}) at {b.path}")


def _build_with_progress(
    folder: Path,
    scale_factor: float,
    *,
    as_of: datetime | None,
    seed: int,
    force: bool,
    system_scale: int | None = None,
    quiet: bool = False,
) -> list[CatalogBuild]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lakechat.lakehouse.build import build_lakehouse

    options: dict[str, Any] = {
        "scale_factor": scale_factor,
        "as_of": as_of.date() if as_of else None,
        "seed": seed,
        "force": force,
        "system_scale": system_scale,
    }
    if quiet:
        return build_lakehouse(folder, **options)
    columns = (
        TextColumn("building {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def report(catalog: str, done: int, total: int) -> None:
            if catalog not in tasks:
                tasks[catalog] = bar.add_task(catalog, total=total)
            bar.update(tasks[catalog], completed=done, total=total)

        return build_lakehouse(folder, progress=report, **options)


def _demo_documents(settings: Settings, store: StateStore, folder: Path) -> str | None:
    """Ingest the demo's documents (unchanged files are skipped); what to print about them."""
    from lakechat.cli.docs_cmd import ingest_paths
    from lakechat.knowledge.factory import build_knowledge

    if not folder.is_dir():
        console.print(f"[yellow]no documents ingested: {folder} is not a folder[/]")
        return None
    knowledge = build_knowledge(settings, store)
    outcomes = ingest_paths(knowledge, [folder], "", ("docs",))
    stored = sum(o["status"] != "failed" for o in outcomes)
    search = (
        f"hybrid search with {knowledge.embedder.name}"
        if knowledge.embedder is not None
        else "lexical search only: no embedder"
    )
    return f'{stored} from {folder} ({search}); try POST /query {{"query": "how do I rotate the encryption key?"}}'


def _demo_key(settings: Settings, store: StateStore) -> str:
    """Reuse the demo admin key if it still works; otherwise issue a new one."""
    from lakechat.errors import LakechatError
    from lakechat.security.api_keys import ApiKeyService

    keys = ApiKeyService(store, cache_seconds=0)
    path = settings.home / DEMO_KEY_FILE
    if path.is_file():
        existing = path.read_text(encoding="utf-8").strip()
        try:
            keys.verify(existing)
            return existing
        except LakechatError:
            pass
    issued = keys.create(name="demo-admin", role="admin", created_by="lakechat demo")
    path.write_text(issued.secret + "\n", encoding="utf-8")
    path.chmod(0o600)
    return issued.secret
