"""Schema migrations of the state store (Alembic), callable from the CLI and tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lakechat.store.database import StateStore

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(store: StateStore) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = store.url
    return config


def upgrade(store: StateStore, revision: str = "head") -> None:
    with store.engine.begin() as connection:
        config = alembic_config(store)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(store: StateStore, revision: str) -> None:
    with store.engine.begin() as connection:
        config = alembic_config(store)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(store: StateStore) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revisions(store: StateStore) -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config(store)).get_heads())


def ensure_current(store: StateStore) -> None:
    """For local commands: create a state store that has no tables yet; refuse one at an
    older revision, whose upgrade is an operator's decision (`lakechat db upgrade`)."""
    from lakechat.errors import ConfigurationError

    store.ping()
    revision = current_revision(store)
    if revision is None:
        upgrade(store)
    elif revision not in head_revisions(store):
        raise ConfigurationError(
            f"the state store {store.display_url} is at revision {revision}, older than this "
            "lakechat: run `lakechat db upgrade` first"
        )
