"""`lakechat serve` and `lakechat demo`."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import typer

from lakechat.cli.output import console

if TYPE_CHECKING:
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


def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API when ready."),
    port: int | None = typer.Option(None, "--port", help="Port (default SERVER_PORT)."),
) -> None:
    """Prepare the embedded demo (data directory, state store, an admin key) and serve it."""
    from lakechat.observability.logs import configure_logging
    from lakechat.settings import check_startup, load_settings
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import upgrade

    settings = load_settings()
    check_startup(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    store = StateStore(settings.state_url)
    upgrade(store)
    key = _demo_key(settings, store)
    url = f"http://{settings.server_host}:{port or settings.server_port}"
    console.rule("[bold]lakechat demo")
    console.print(f"data directory   {settings.home}")
    console.print(f"state store      {store.backend} ({store.display_url})")
    console.print(f"admin API key    {key}", highlight=False, soft_wrap=True)
    console.print(f"                 (also in {settings.home / DEMO_KEY_FILE})")
    console.print(f"API              {url}   docs: {url}/docs   health: {url}/health")
    console.print(
        f'try              curl -H "X-API-Key: {key}" {url}/api/whoami',
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
