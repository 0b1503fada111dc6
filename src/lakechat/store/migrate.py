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
