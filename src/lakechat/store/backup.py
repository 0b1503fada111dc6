"""Backups of the state store: SQLite's online backup API, or pg_dump for PostgreSQL.

A restore first takes a safety backup of what is there now, so nothing stored is lost
by restoring the wrong file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import URL, make_url

from lakechat.errors import BadRequest, DependencyUnavailable, LakechatError, NotFound
from lakechat.store.database import StateStore


class BackupFailed(LakechatError):
    """A backup or restore command did not complete."""

    code = "backup_failed"


class BackupMethod(Protocol):
    """How one kind of database is copied out, checked and copied back in."""

    suffix: str

    def dump(self, store: StateStore, target: Path) -> None: ...

    def check(self, source: Path) -> None: ...

    def load(self, store: StateStore, source: Path) -> None: ...


class SqliteBackup:
    """SQLite's online backup API: a consistent copy while the store stays in use."""

    suffix = ".db"

    def dump(self, store: StateStore, target: Path) -> None:
        _sqlite_copy(_sqlite_path(store), target)

    def check(self, source: Path) -> None:
        try:
            # as_uri() percent-encodes "#" and "?", so the file checked is the file restored
            with sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True) as conn:
                ok = conn.execute("PRAGMA integrity_check").fetchone()
                has_version = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name='alembic_version'"
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise BadRequest(f"{source} is not a SQLite backup: {exc}") from None
        if not ok or ok[0] != "ok" or not has_version or has_version[0] != 1:
            raise BadRequest(f"{source} is not a lakechat state-store backup")

    def load(self, store: StateStore, source: Path) -> None:
        _sqlite_copy(source, _sqlite_path(store))


class PostgresBackup:
    """pg_dump's custom format out, pg_restore in one transaction back."""

    suffix = ".dump"

    def dump(self, store: StateStore, target: Path) -> None:
        dbname, env = _libpq_target(store)
        argv = [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            f"--dbname={dbname}",
        ]
        _run(argv, env=env)

    def check(self, source: Path) -> None:
        listing = _run(
            [_tool("pg_restore"), "--list", str(source)], what=f"{source} is not a pg_dump archive"
        )
        # table-of-contents lines look like "215; 1259 16390 TABLE public api_keys postgres"
        tables = {
            line.split()[-2]
            for line in listing.splitlines()
            if " TABLE " in line and not line.startswith(";")
        }
        missing = {"alembic_version", "api_keys", "request_log"} - tables
        if missing:
            raise BadRequest(
                f"{source} is a pg_dump archive but not of a lakechat state store "
                f"(it has no {', '.join(sorted(missing))} table)"
            )

    def load(self, store: StateStore, source: Path) -> None:
        dbname, env = _libpq_target(store)
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run([_tool("pg_restore"), *options, f"--dbname={dbname}", str(source)], env=env)


#: Backup methods by the state store's SQLAlchemy dialect name.
BACKUP_METHODS: dict[str, BackupMethod] = {"sqlite": SqliteBackup(), "postgresql": PostgresBackup()}


def backup_method(store: StateStore) -> BackupMethod:
    method = BACKUP_METHODS.get(store.backend)
    if method is None:
        raise BadRequest(f"backups are not supported for {store.backend}")
    return method


def default_backup_path(backups_dir: Path, store: StateStore, label: str = "lakechat") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return backups_dir / f"{label}-{stamp}{backup_method(store).suffix}"


def backup(store: StateStore, target: Path) -> Path:
    """Write a consistent copy of the state store to ``target`` while it stays online."""
    method = backup_method(store)
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    if target.exists():
        raise BadRequest(f"{target} already exists; choose another path")
    # a backup holds every key hash and logged request: only its owner may read it
    target.touch(mode=0o600)
    try:
        method.dump(store, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    target.chmod(0o600)
    return target


def restore(store: StateStore, source: Path, safety_dir: Path) -> Path:
    """Replace the state store's contents with ``source``; returns the safety backup's path."""
    method = backup_method(store)
    if not source.is_file():
        raise NotFound(f"backup file {source} does not exist")
    method.check(source)
    safety = backup(store, default_backup_path(safety_dir, store, label="pre-restore"))
    store.dispose()
    method.load(store, source)
    return safety


def _sqlite_path(store: StateStore) -> Path:
    database = make_url(store.url).database
    if not database or database == ":memory:":
        raise BadRequest("an in-memory SQLite store has nothing to back up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def _libpq_target(store: StateStore) -> tuple[str, dict[str, str]]:
    """The libpq URL without its password, and an environment carrying the password.

    A password on the command line would be visible to every local user through ps.
    """
    url = make_url(store.url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # URL.set(password=None) keeps the password (None means "unchanged" there): rebuild it
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise DependencyUnavailable(
            name, f"{name} is not installed; install the PostgreSQL client tools"
        )
    return path


def _run(argv: list[str], what: str | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=3600, check=False, env=env
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no output"
        raise BackupFailed(what or f"{Path(argv[0]).name} failed: {detail}")
    return result.stdout
