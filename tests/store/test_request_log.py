"""The request log is buffered, survives a store outage, and loses nothing on shutdown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade
from lakechat.store.models import RequestLogRow
from lakechat.store.request_log import RequestLogEntry, RequestLogWriter


def entry(n: int) -> RequestLogEntry:
    return RequestLogEntry(
        request_id=f"r{n}",
        time=datetime.now(UTC),
        method="GET",
        route="/api/x",
        http_status=200,
        status="ok",
        latency_ms=1.0,
        principal="p",
        tables=("a.b.c",),
    )


def count(store: StateStore) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(RequestLogRow)) or 0


def test_submit_is_buffered_and_close_flushes(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(store)
    writer = RequestLogWriter(store, flush_seconds=3600, buffer_max=10_000)
    writer.start()
    for n in range(1234):
        writer.submit(entry(n))
    assert count(store) == 0  # nothing written on the request path
    writer.close()
    assert count(store) == 1234
    with store.session() as session:
        row = session.scalars(select(RequestLogRow).where(RequestLogRow.request_id == "r7")).one()
        assert row.tables == ["a.b.c"] and row.time.tzinfo is not None


def test_rows_wait_while_the_store_is_down(tmp_path: Path) -> None:
    good = StateStore(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(good)
    down = StateStore(f"sqlite:///{tmp_path / 'missing-dir' / 'sub' / 'x.db'}")
    (tmp_path / "missing-dir" / "sub").rmdir()
    writer = RequestLogWriter(down, flush_seconds=3600, buffer_max=10_000)
    for n in range(10):
        writer.submit(entry(n))
    assert writer.flush() == 0
    assert writer.pending == 10
    writer._store = good  # the store comes back
    assert writer.flush() == 10
    assert count(good) == 10 and writer.pending == 0


def test_a_full_buffer_drops_the_oldest_and_counts_it(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(store)
    writer = RequestLogWriter(store, flush_seconds=3600, buffer_max=100)
    for n in range(150):
        writer.submit(entry(n))
    assert writer.dropped == 50
    writer.flush()
    with store.session() as session:
        ids = set(session.scalars(select(RequestLogRow.request_id)))
    assert "r0" not in ids and "r149" in ids and len(ids) == 100


def test_a_row_the_database_refuses_does_not_block_the_others(postgres_url: str) -> None:
    from lakechat.settings import normalize_database_url

    store = StateStore(normalize_database_url(postgres_url))
    upgrade(store)
    writer = RequestLogWriter(store, flush_seconds=3600, buffer_max=1000)
    writer.submit(entry(1))
    # PostgreSQL refuses a NUL character in text
    writer.submit(entry(99)._replace(request_id="bad", question="a\x00b"))
    writer.submit(entry(2))
    assert writer.flush() == 2
    assert writer.dropped == 1 and writer.pending == 0
    assert count(store) == 2
    store.dispose()


def test_client_controlled_values_are_clamped_to_their_columns(postgres_url: str) -> None:
    from lakechat.settings import normalize_database_url

    store = StateStore(normalize_database_url(postgres_url))
    upgrade(store)
    writer = RequestLogWriter(store, flush_seconds=3600, buffer_max=1000)
    for n in range(50):
        writer.submit(entry(n))
    writer.submit(entry(50)._replace(method="UNSUBSCRIBE", route="/" + "x" * 400))
    assert writer.flush() == 51
    assert writer.dropped == 0
    with store.session() as session:
        row = session.scalars(select(RequestLogRow).where(RequestLogRow.request_id == "r50")).one()
    assert row.method == "UNSUBSCRI" + "B" and len(row.route) == 300
    store.dispose()
