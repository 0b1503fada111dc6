"""Chat sessions on SQLite and PostgreSQL: memory for follow-ups, owners only, expiry,
history pages, delete and feedback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lakechat.assistant.plans import SemanticPlan, plan_json
from lakechat.assistant.sessions import KEPT_ROWS, ChatTurn, SessionStore
from lakechat.errors import BadRequest, NotFound
from lakechat.security.principals import Principal, Role
from lakechat.semantic.query import SemanticQuery
from lakechat.settings import normalize_database_url
from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade
from lakechat.store.models import ChatSessionRow, MessageRow
from lakechat.store.types import utcnow

ALICE = Principal("k-alice", "alice", "api_key", "acme", Role.VIEWER, frozenset({"data:read"}))
BOB = Principal("k-bob", "bob", "api_key", "acme", Role.VIEWER, frozenset({"data:read"}))
#: the same key id in another tenant is someone else
ALICE_ELSEWHERE = Principal(
    "k-alice", "alice", "api_key", "globex", Role.VIEWER, frozenset({"data:read"})
)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        result = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    else:
        result = StateStore(normalize_database_url(request.getfixturevalue("postgres_url")))
    upgrade(result)
    yield result
    result.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sessions(store: StateStore, clock: Clock) -> SessionStore:
    return SessionStore(store, timeout_hours=24, clock=clock)


def semantic(*dimensions: dict[str, Any]) -> SemanticPlan:
    query = SemanticQuery.model_validate(
        {
            "dataset": "tpch_sales",
            "metrics": [{"name": "revenue"}],
            "dimensions": list(dimensions),
            "timeRange": {"range": ["1995-01-01", "1995-12-31"]},
        }
    )
    return SemanticPlan(model="tpch_sales", query=query, assumptions=("1995 = order date",))


def answer(status: str, plan: dict[str, Any], text: str = "an answer") -> dict[str, Any]:
    return {"status": status, "answer": text, "plan": plan, "rows": [], "row_count": 0}


HELP = {"type": "help", "text": "Ask about revenue"}


def start(sessions: SessionStore, who: Principal, message: str, reply: dict[str, Any]) -> ChatTurn:
    """The first turn of a new session."""
    return sessions.record(sessions.open(None, who), message, reply)


def count(store: StateStore, table: type[ChatSessionRow] | type[MessageRow]) -> int:
    with store.session() as db:
        return int(db.scalar(select(func.count()).select_from(table)) or 0)


def test_a_follow_up_builds_on_the_answered_plan(sessions: SessionStore, store: StateStore) -> None:
    new = sessions.open(None, ALICE)
    assert new.stored is False and new.previous is None
    assert count(store, ChatSessionRow) == 0  # nothing is stored before the first turn
    year = semantic()
    turn = sessions.record(
        new,
        "What was total revenue in 1995?",
        answer("answered", plan_json(year)),
        request_id="r1",
    )
    assert turn.session.title == "What was total revenue in 1995?"
    again = sessions.open(new.id, ALICE)
    assert again.stored and again.previous == year
    by_month = semantic({"name": "order_date", "timeGrain": "month"})
    sessions.record(again, "and by month?", answer("answered", plan_json(by_month)))
    assert sessions.open(new.id, ALICE).previous == by_month
    assert count(store, MessageRow) == 4


@pytest.mark.parametrize(
    ("status", "plan"),
    [
        ("clarify", {"type": "clarify", "question": "Which date?", "options": []}),
        ("refused", {"type": "refuse", "reason": "changes are not allowed"}),
        ("error", plan_json(semantic({"name": "ship_mode"}))),
        ("answered", {"type": "sql", "sql": "SELECT 1"}),
        ("answered", {"type": "help", "text": "Ask about revenue", "examples": []}),
    ],
)
def test_other_turns_keep_the_memory(
    sessions: SessionStore, status: str, plan: dict[str, Any]
) -> None:
    first = semantic()
    turn = start(sessions, ALICE, "revenue in 1995", answer("answered", plan_json(first)))
    sessions.record(turn.session, "something else", answer(status, plan))
    assert sessions.open(turn.session.id, ALICE).previous == first


def test_a_session_is_its_owners_alone(sessions: SessionStore) -> None:
    turn = start(sessions, ALICE, "hello", answer("answered", HELP))
    sid = turn.session.id
    for who in (BOB, ALICE_ELSEWHERE):
        attempts: list[Callable[[], object]] = [
            partial(sessions.open, sid, who),
            partial(sessions.history, sid, who),
            partial(sessions.delete, sid, who),
            partial(sessions.feedback, turn.answer_id, who, "up"),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound) as caught:
                attempt()
            # told exactly what an unknown id is told: nothing about whose it is
            assert "alice" not in caught.value.message
    with pytest.raises(NotFound, match=r"no chat session 'nope'.*leaving out the session id"):
        sessions.open("nope", ALICE)
    assert sessions.history(sid, ALICE).total == 2


def test_sessions_expire_after_their_last_turn(
    sessions: SessionStore, store: StateStore, clock: Clock
) -> None:
    turn = start(sessions, ALICE, "q1", answer("answered", plan_json(semantic())))
    sid = turn.session.id
    clock.advance(hours=23)
    sessions.record(
        sessions.open(sid, ALICE), "q2", answer("clarify", {"type": "clarify", "question": "?"})
    )
    clock.advance(hours=23)  # 46 hours after it started, 23 after its last turn
    assert sessions.open(sid, ALICE).previous is not None
    clock.advance(hours=1, seconds=1)
    with pytest.raises(NotFound, match=r"expired after 24 idle hours \(SESSION_TIMEOUT_HOURS\)"):
        sessions.open(sid, ALICE)
    assert count(store, ChatSessionRow) == 0 and count(store, MessageRow) == 0
    with pytest.raises(NotFound, match="no chat session"):
        sessions.open(sid, ALICE)


def test_a_new_session_clears_out_expired_ones(
    sessions: SessionStore, store: StateStore, clock: Clock
) -> None:
    for who in (ALICE, BOB):
        start(sessions, who, "old", answer("answered", HELP))
    clock.advance(hours=25)
    fresh = start(sessions, ALICE, "new", answer("answered", HELP))
    assert count(store, ChatSessionRow) == 1 and count(store, MessageRow) == 2
    assert sessions.history(fresh.session.id, ALICE).total == 2


def test_history_pages_oldest_first(sessions: SessionStore, clock: Clock) -> None:
    session = sessions.open(None, ALICE)
    for n in range(5):
        session = sessions.record(
            session, f"question {n}", answer("answered", HELP, f"answer {n}")
        ).session
        clock.advance(seconds=1)
    everything = sessions.history(session.id, ALICE)
    assert everything.total == 10
    assert [m.content for m in everything.messages][:4] == [
        "question 0",
        "answer 0",
        "question 1",
        "answer 1",
    ]
    assert [m.role for m in everything.messages] == ["user", "assistant"] * 5
    assert everything.messages[1].answer is not None
    assert everything.messages[1].answer["answer"] == "answer 0"
    page = sessions.history(session.id, ALICE, limit=3, offset=7)
    assert [m.content for m in page.messages] == ["answer 3", "question 4", "answer 4"]
    assert page.total == 10 and page.as_json()["title"] == "question 0"
    with pytest.raises(BadRequest):
        sessions.history(session.id, ALICE, limit=0)


def test_delete_removes_the_messages(sessions: SessionStore, store: StateStore) -> None:
    keep = start(sessions, BOB, "bob's", answer("answered", HELP))
    gone = start(sessions, ALICE, "alice's", answer("answered", HELP))
    sessions.delete(gone.session.id, ALICE)
    assert count(store, ChatSessionRow) == 1 and count(store, MessageRow) == 2
    with pytest.raises(NotFound):
        sessions.history(gone.session.id, ALICE)
    assert sessions.history(keep.session.id, BOB).total == 2


def test_feedback_rates_the_assistants_answers(sessions: SessionStore) -> None:
    turn = start(sessions, ALICE, "q", answer("answered", HELP))
    rated = sessions.feedback(turn.answer_id, ALICE, "down", "wrong year")
    assert (rated.feedback_rating, rated.feedback_comment) == ("down", "wrong year")
    sessions.feedback(turn.answer_id, ALICE, "up")  # a second rating replaces the first
    [_, message] = sessions.history(turn.session.id, ALICE).messages
    assert message.as_json()["feedback"] == {"rating": "up", "comment": None}
    with pytest.raises(BadRequest, match="your own question"):
        sessions.feedback(turn.question_id, ALICE, "up")
    with pytest.raises(BadRequest, match="rating must be one of up, down"):
        sessions.feedback(turn.answer_id, ALICE, "meh")
    with pytest.raises(NotFound, match="no message 'nope'"):
        sessions.feedback("nope", ALICE, "up")


def test_titles_are_the_first_message_cut_short(sessions: SessionStore) -> None:
    long = "Revenue by region " * 20
    turn = start(sessions, ALICE, long, answer("answered", HELP))
    assert turn.session.title is not None
    assert len(turn.session.title) == 80 and turn.session.title.endswith("…")
    later = sessions.record(turn.session, "another question", answer("answered", HELP))
    assert later.session.title == turn.session.title


def test_a_remembered_plan_that_no_longer_reads_is_dropped(
    sessions: SessionStore, store: StateStore
) -> None:
    turn = start(sessions, ALICE, "q", answer("answered", plan_json(semantic())))
    with store.session() as db:
        row = db.get(ChatSessionRow, turn.session.id)
        assert row is not None
        row.memory = {"plan": {"type": "semantic", "model": "tpch_sales", "query": {"x": 1}}}
    assert sessions.open(turn.session.id, ALICE).previous is None


def test_history_keeps_a_long_answers_first_rows_only(sessions: SessionStore) -> None:
    plan = semantic({"name": "order_date", "timeGrain": "day"}).model_dump(
        mode="json", by_alias=True
    )
    many = {**answer("answered", plan), "rows": [[n] for n in range(KEPT_ROWS + 50)],
            "row_count": KEPT_ROWS + 50, "chart": {"mark": "line"}}  # fmt: skip
    few = {**answer("answered", plan), "rows": [[1], [2]], "row_count": 2, "chart": {"mark": "bar"}}
    turn = start(sessions, ALICE, "daily revenue", many)
    sessions.record(turn.session, "and weekly?", few)
    stored = [m.answer for m in sessions.history(turn.session.id, ALICE).messages if m.answer]
    assert len(stored[0]["rows"]) == KEPT_ROWS and stored[0]["row_count"] == KEPT_ROWS + 50
    assert stored[0]["chart"] is None and stored[0]["history_rows_cut"] is True
    assert stored[1]["rows"] == [[1], [2]] and stored[1]["chart"] == {"mark": "bar"}
    assert "history_rows_cut" not in stored[1]
