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


def test_backups_are_private(store: StateStore, tmp_path: Path) -> None:
    target = backup(store, tmp_path / "private" / "state.bak")
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700


def test_postgres_password_travels_in_the_environment_not_the_command_line() -> None:
    from lakechat.store.backup import _libpq_target

    # special characters are percent-encoded in a database URL, as libpq and SQLAlchemy require
    url = "postgresql+psycopg://app:Top%2FSecret%239@db.example:5432/lakechat"
    dbname, env = _libpq_target(StateStore(url))
    assert "Secret" not in dbname and dbname.startswith("postgresql://app@db.example")
    assert env["PGPASSWORD"] == "Top/Secret#9"


def test_restore_checks_the_very_file_it_restores(tmp_path: Path) -> None:
    import sqlite3

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(store)
    ApiKeyService(store).create(name="precious")
    folder = tmp_path / "backups"
    backup(store, folder / "nightly")  # a valid lakechat backup with a confusable name
    foreign = folder / "nightly#2.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x int)")
    with pytest.raises(BadRequest, match="not a lakechat state-store backup"):
        restore(store, foreign, folder)
    assert names(store) == ["precious"]
    store.dispose()


def test_postgres_restore_refuses_another_databases_dump(postgres_url: str, tmp_path: Path) -> None:
    import subprocess

    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE unrelated (x int)")
    foreign = tmp_path / "foreign.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={foreign}", f"--dbname={postgres_url}"], check=True
    )
    store = StateStore(normalize_database_url(postgres_url.rsplit("/", 1)[0] + "/test"))
    with pytest.raises(BadRequest, match="not of a lakechat state store"):
        restore(store, foreign, tmp_path / "backups")
    assert not (tmp_path / "backups").exists()  # refused before anything was touched
    store.dispose()
