"""Backups and restores of the state store on SQLite (online backup API) and PostgreSQL (pg_dump)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakechat.errors import BadRequest, NotFound
from lakechat.security.api_keys import ApiKeyService
from lakechat.settings import normalize_database_url
from lakechat.store.backup import backup, default_backup_path, restore
from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        result = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    else:
        result = StateStore(normalize_database_url(request.getfixturevalue("postgres_url")))
    upgrade(result)
    yield result
    result.dispose()


def names(store: StateStore) -> list[str]:
    return sorted(k.name for k in ApiKeyService(store).list())


def test_backup_then_restore_brings_back_the_rows(store: StateStore, tmp_path: Path) -> None:
    keys = ApiKeyService(store)
    keys.create(name="before-backup")
    target = backup(store, default_backup_path(tmp_path / "backups", store))
    assert target.stat().st_size > 0
    keys.create(name="after-backup")
    assert names(store) == ["after-backup", "before-backup"]
    safety = restore(store, target, tmp_path / "backups")
    assert names(store) == ["before-backup"]
    # what was there before the restore is kept in the safety backup
    assert safety.exists() and safety != target
    restore(store, safety, tmp_path / "backups")
    assert names(store) == ["after-backup", "before-backup"]


def test_backup_does_not_overwrite(store: StateStore, tmp_path: Path) -> None:
    target = backup(store, tmp_path / "one.bak")
    with pytest.raises(BadRequest, match="already exists"):
        backup(store, target)


def test_restore_refuses_a_file_that_is_not_a_backup_and_keeps_the_data(
    store: StateStore, tmp_path: Path
) -> None:
    ApiKeyService(store).create(name="precious")
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(Exception, match="not a"):
        restore(store, junk, tmp_path / "backups")
    assert names(store) == ["precious"]


def test_restore_of_a_missing_file(store: StateStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        restore(store, tmp_path / "nope.bak", tmp_path / "backups")
