"""`lakechat db upgrade | downgrade | current | backup | restore`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lakechat.cli.output import console, fail, print_json

if TYPE_CHECKING:
    from lakechat.store.database import StateStore

# The state-store modules (SQLAlchemy, Alembic) load inside each command, so that
# `lakechat --help` and unrelated commands start quickly.

app = typer.Typer(help="Migrate, back up and restore the state store.", no_args_is_help=True)


def _store() -> StateStore:
    from lakechat.settings import load_settings
    from lakechat.store.database import StateStore

    return StateStore(load_settings().state_url)


@app.command("upgrade")
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Target revision."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from lakechat.store.migrate import upgrade

    store = _store()
    _migrate(store, lambda: upgrade(store, revision), as_json)


@app.command("downgrade")
def downgrade_cmd(
    revision: str = typer.Argument(..., help="Target revision, or 'base' to remove every table."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Revert migrations down to REVISION. Take a backup first: data in dropped tables is lost."""
    from lakechat.store.migrate import downgrade

    store = _store()
    if not yes and not typer.confirm(
        f"Downgrade {store.display_url} to {revision}? Dropped tables lose their rows"
    ):
        fail("cancelled")
    _migrate(store, lambda: downgrade(store, revision), as_json)


def _migrate(store: StateStore, step: Callable[[], None], as_json: bool) -> None:
    """Run one migration step and say which revision the store went from and to."""
    from lakechat.store.migrate import current_revision

    before = current_revision(store)
    step()
    after = current_revision(store)
    if as_json:
        print_json({"backend": store.backend, "from": before, "to": after})
    else:
        console.print(f"state store ({store.backend}) at revision [bold]{after}[/] (was {before})")


@app.command("current")
def current_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the applied revision and whether it is the newest."""
    from lakechat.store.migrate import current_revision, head_revisions

    store = _store()
    revision = current_revision(store)
    heads = head_revisions(store)
    data = {
        "backend": store.backend,
        "url": store.display_url,
        "revision": revision,
        "head": heads[0],
        "up_to_date": revision in heads,
    }
    if as_json:
        print_json(data)
        return
    state = "[green]up to date[/]" if data["up_to_date"] else "[yellow]run `lakechat db upgrade`[/]"
    console.print(
        f"{store.backend} {store.display_url}: revision {revision} (head {heads[0]}) {state}"
    )


@app.command("backup")
def backup_cmd(
    path: Path | None = typer.Argument(
        None, help="Backup file (default: $LAKECHAT_HOME/backups/...)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Back up the state store while it runs (SQLite online backup, or pg_dump)."""
    from lakechat.settings import load_settings
    from lakechat.store import backup as backups
    from lakechat.store.database import StateStore

    settings = load_settings()
    store = StateStore(settings.state_url)
    target = path or backups.default_backup_path(settings.home / "backups", store)
    written = backups.backup(store, target)
    size = written.stat().st_size
    if as_json:
        print_json({"backend": store.backend, "path": str(written), "bytes": size})
    else:
        console.print(
            f"backed up {store.backend} state store to [bold]{written}[/] ({size:,} bytes)"
        )


@app.command("restore")
def restore_cmd(
    path: Path = typer.Argument(..., help="Backup file made by `lakechat db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Replace the state store with a backup; what is there now is backed up first."""
    from lakechat.settings import load_settings
    from lakechat.store import backup as backups
    from lakechat.store.database import StateStore
    from lakechat.store.migrate import current_revision

    settings = load_settings()
    store = StateStore(settings.state_url)
    if not yes and not typer.confirm(f"Replace {store.display_url} with {path}?"):
        fail("cancelled")
    safety = backups.restore(store, path, settings.home / "backups")
    revision = current_revision(store)
    if as_json:
        print_json(
            {
                "backend": store.backend,
                "restored": str(path),
                "safety_backup": str(safety),
                "revision": revision,
            }
        )
    else:
        console.print(
            f"restored {path} (revision {revision}); the previous state is saved at [bold]{safety}[/]"
        )
