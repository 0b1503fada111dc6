"""Migrations: one head, models match the migrations, full downgrade and upgrade with rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from lakechat.security.api_keys import ApiKeyService
from lakechat.settings import normalize_database_url
from lakechat.store.database import StateStore
from lakechat.store.migrate import current_revision, downgrade, head_revisions, upgrade
from lakechat.store.models import (
    AuditLogRow,
    Base,
    ChatSessionRow,
    JobRow,
    MessageRow,
    RequestLogRow,
)
from lakechat.store.types import utcnow

TABLES = {"api_keys", "sessions", "messages", "request_log", "audit_log", "jobs"}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[StateStore]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        result = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    else:
        result = StateStore(normalize_database_url(request.getfixturevalue("postgres_url")))
    yield result
    result.dispose()


def load_rows(store: StateStore) -> None:
    ApiKeyService(store).create(name="analyst-1", role="analyst", tenant="acme")
    now = utcnow()
    with store.session() as session:
        session.add(
            ChatSessionRow(
                id="s1",
                principal="p",
                tenant="acme",
                memory={"a": 1},
                created_at=now,
                updated_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        session.flush()
        session.add(
            MessageRow(
                id="m1", session_id="s1", role="user", content="revenue in 1995?", created_at=now
            )
        )
        session.add(
            RequestLogRow(
                request_id="r1",
                time=now,
                method="POST",
                route="/api/chat",
                http_status=200,
                status="answered",
                latency_ms=12.5,
                tables=["samples.tpch.orders"],
                confidence=0.9,
            )
        )
        session.add(
            AuditLogRow(
                time=now,
                principal="p",
                action="grant",
                object="main.sales",
                statement="GRANT ...",
                outcome="success",
            )
        )
        session.add(
            JobRow(
                id="j1",
                kind="batch",
                status="done",
                principal="p",
                params={},
                total=3,
                done=3,
                failed=0,
                created_at=now,
            )
        )


def counts(store: StateStore) -> dict[str, int]:
    with store.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ChatSessionRow, MessageRow, RequestLogRow, AuditLogRow, JobRow)
        }


def test_one_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert len(head_revisions(StateStore(f"sqlite:///{tmp_path / 's.db'}"))) == 1


def test_models_match_migrations(store: StateStore) -> None:
    upgrade(store)
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_full_downgrade_and_upgrade_with_rows(store: StateStore) -> None:
    upgrade(store)
    assert current_revision(store) == head_revisions(store)[0]
    load_rows(store)
    before = counts(store)
    assert all(before.values())
    downgrade(store, "base")
    assert current_revision(store) is None
    assert set(inspect(store.engine).get_table_names()) & TABLES == set()
    upgrade(store)
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert set(counts(store).values()) == {0}  # the downgrade really dropped the rows
    load_rows(store)  # and the re-created schema takes the same rows again
    assert counts(store) == before
    store.dispose()


def test_upgrade_is_idempotent(store: StateStore) -> None:
    upgrade(store)
    upgrade(store)
    assert current_revision(store) == head_revisions(store)[0]
    store.dispose()
