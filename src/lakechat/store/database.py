"""The state store's engine and sessions; driver failures become DependencyUnavailable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from lakechat.errors import DependencyUnavailable, first_line
from lakechat.settings import mask_url


class StateStore:
    """SQLite in the data directory by default, PostgreSQL when DATABASE_URL says so."""

    def __init__(self, url: str, *, connect_timeout: float = 3.0) -> None:
        self.url = url
        self.engine = _make_engine(url, connect_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM transaction: committed on success, rolled back on error."""
        with _outages_as_unavailable(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core transaction, for bulk writes that need no ORM objects."""
        with _outages_as_unavailable(), self.engine.begin() as connection:
            yield connection

    def ping(self) -> None:
        """Round-trip to the database; raises DependencyUnavailable when it is down."""
        with self.session() as session:
            session.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _outages_as_unavailable() -> Iterator[None]:
    """A database that cannot be reached becomes DependencyUnavailable (503)."""
    try:
        yield
    except (OperationalError, PoolTimeout) as exc:
        raise DependencyUnavailable("state store", _reason(exc)) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DependencyUnavailable("state store", _reason(exc)) from exc
        raise


def _reason(exc: Exception) -> str:
    return first_line(getattr(exc, "orig", None) or exc)[:200]


def _make_engine(url: str, connect_timeout: float) -> Engine:
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args = {
            "connect_timeout": max(1, int(connect_timeout)),
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
            "application_name": "lakechat",
        }
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_timeout=connect_timeout,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
