"""Chat sessions: the turns of one conversation and the memory that makes follow-ups work.

A session belongs to the principal that started it (its key id and tenant); anyone else
asking for it is told it does not exist. Its memory is the last semantic plan that was
answered, so "and by month?" can build on "What was total revenue in 1995?"; a turn that
asked back, refused or failed leaves the memory as it was. A session expires
SESSION_TIMEOUT_HOURS after its last turn; expired rows are deleted when they are next
touched and whenever a new session starts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from lakechat.assistant.plans import SemanticPlan
from lakechat.errors import BadRequest, NotFound
from lakechat.security.principals import Principal
from lakechat.store.database import StateStore
from lakechat.store.models import ChatSessionRow, MessageRow
from lakechat.store.types import utcnow

log = logging.getLogger(__name__)

#: A message is 1 to this many characters once the spaces around it are removed.
MAX_MESSAGE_CHARS = 1000
#: Titles are the first message, cut to this many characters.
TITLE_LENGTH = 80
Rating = Literal["up", "down"]
RATINGS: tuple[Rating, ...] = ("up", "down")


@dataclass(frozen=True)
class ChatSession:
    """One conversation as its owner sees it. ``stored`` is False until its first turn."""

    id: str
    principal: str
    tenant: str
    title: str | None
    memory: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    stored: bool = True

    @property
    def previous(self) -> SemanticPlan | None:
        """The last answered semantic plan, which the next message may build on."""
        plan = self.memory.get("plan")
        if not isinstance(plan, dict):
            return None
        try:
            return SemanticPlan.model_validate(plan)
        except ValidationError as exc:
            # memory written by another version of lakechat: start the thread afresh
            log.warning("session %s: ignoring a remembered plan that no longer reads: %s",
                        self.id, exc.errors()[:1])  # fmt: skip
            return None

    @property
    def health_context(self) -> dict[str, Any] | None:
        """The domains, analyzers and entities of the last health answer (for follow-ups)."""
        found = self.memory.get("health")
        return found if isinstance(found, dict) else None

    @property
    def pending_proposal(self) -> str | None:
        """The catalog change proposed in this session's last turn, which "confirm" runs."""
        found = self.memory.get("proposal")
        return found if isinstance(found, str) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


@dataclass(frozen=True)
class ChatMessage:
    """One message: the user's text, or the assistant's answer in the answer contract."""

    id: str
    session_id: str
    role: str
    content: str
    answer: dict[str, Any] | None
    request_id: str | None
    feedback_rating: str | None
    feedback_comment: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        feedback = (
            {"rating": self.feedback_rating, "comment": self.feedback_comment}
            if self.feedback_rating
            else None
        )
        return {
            "id": self.id,
            "role": self.role,
            "content": self.content,
            "answer": self.answer,
            "request_id": self.request_id,
            "feedback": feedback,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ChatTurn:
    """What recording a turn stored: the session after it and the two message ids."""

    session: ChatSession
    question_id: str
    answer_id: str


@dataclass(frozen=True)
class SessionHistory:
    """One page of a session's messages, oldest first, and how many there are in all."""

    session: ChatSession
    messages: tuple[ChatMessage, ...]
    total: int
    limit: int
    offset: int

    def as_json(self) -> dict[str, Any]:
        return {
            **self.session.as_json(),
            "messages": [m.as_json() for m in self.messages],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
        }


class _Expired(Exception):
    """Internal: the session exists but is past its expiry (users get NotFound)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


class SessionStore:
    """Sessions and messages in the state store, each visible only to its principal."""

    def __init__(
        self,
        store: StateStore,
        timeout_hours: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._timeout = timedelta(hours=timeout_hours)
        self._timeout_hours = timeout_hours
        self._clock = clock

    # sessions ---------------------------------------------------------------------------
    def open(self, session_id: str | None, principal: Principal) -> ChatSession:
        """The caller's session ``session_id``, or a new one (stored with its first turn)."""
        if session_id is None:
            now = self._clock()
            return ChatSession(
                id=_new_id(),
                principal=principal.id,
                tenant=principal.tenant,
                title=None,
                memory={},
                created_at=now,
                updated_at=now,
                expires_at=now + self._timeout,
                stored=False,
            )
        with self._transaction() as db:
            return _session(self._owned(db, session_id, principal.id, principal.tenant))

    def record(
        self,
        session: ChatSession,
        message: str,
        answer: dict[str, Any],
        *,
        request_id: str | None = None,
    ) -> ChatTurn:
        """Store the user's message and the assistant's answer, and remember the plan when
        it was a semantic one that was answered."""
        now = self._clock()
        question_id, answer_id = _new_id(), _new_id()
        with self._transaction() as db:
            if session.stored:
                row = self._owned(db, session.id, session.principal, session.tenant)
            else:
                self._purge(db, now)
                row = ChatSessionRow(
                    id=session.id,
                    principal=session.principal,
                    tenant=session.tenant,
                    title=_title(message),
                    memory={},
                    created_at=now,
                )
                db.add(row)
            row.memory = _remembered(dict(row.memory or {}), answer)
            row.updated_at = now
            row.expires_at = now + self._timeout
            # both rows carry the same time; the user's message sorts first by its role
            db.add_all([
                MessageRow(id=question_id, session_id=row.id, role="user", content=message,
                           request_id=request_id, created_at=now),
                MessageRow(id=answer_id, session_id=row.id, role="assistant",
                           content=str(answer.get("answer") or ""), answer=_kept(answer),
                           request_id=request_id, created_at=now),
            ])  # fmt: skip
            db.flush()
            return ChatTurn(_session(row), question_id, answer_id)

    def history(
        self, session_id: str, principal: Principal, *, limit: int = 50, offset: int = 0
    ) -> SessionHistory:
        """``limit`` messages from the ``offset``-th, oldest first, with their answers."""
        if limit < 1 or offset < 0:
            raise BadRequest("limit must be at least 1 and offset at least 0")
        with self._transaction() as db:
            row = self._owned(db, session_id, principal.id, principal.tenant)
            total = db.scalar(
                select(func.count()).select_from(MessageRow).where(MessageRow.session_id == row.id)
            )
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == row.id)
                .order_by(MessageRow.created_at, case((MessageRow.role == "user", 0), else_=1))
                .limit(limit)
                .offset(offset)
            ).all()
            return SessionHistory(
                _session(row), tuple(_message(m) for m in rows), int(total or 0), limit, offset
            )

    def delete(self, session_id: str, principal: Principal) -> None:
        """Delete the caller's session and every message in it."""
        with self._transaction() as db:
            row = self._owned(db, session_id, principal.id, principal.tenant)
            # explicit: SQLite cascades only with foreign keys on, and a plain DELETE skips the ORM
            db.execute(delete(MessageRow).where(MessageRow.session_id == row.id))
            db.delete(row)

    # feedback ---------------------------------------------------------------------------
    def feedback(
        self, message_id: str, principal: Principal, rating: str, comment: str | None = None
    ) -> ChatMessage:
        """Rate one of the assistant's answers in the caller's own session (again replaces)."""
        if rating not in RATINGS:
            raise BadRequest(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        missing = NotFound(f"no message {message_id!r} in your chat sessions")
        with self._transaction() as db:
            message = db.get(MessageRow, message_id)
            if message is None:
                raise missing
            try:
                self._owned(db, message.session_id, principal.id, principal.tenant)
            except NotFound:
                raise missing from None
            if message.role != "assistant":
                raise BadRequest(
                    f"message {message_id!r} is your own question; feedback rates the "
                    "assistant's answers"
                )
            message.feedback_rating = rating
            message.feedback_comment = comment or None
            db.flush()
            return _message(message)

    # internals --------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A state-store transaction; an expired session met in it is deleted afterwards
        (in a transaction of its own, since the first one is rolled back) and reported."""
        try:
            with self._store.session() as db:
                yield db
        except _Expired as expired:
            with self._store.session() as db:
                db.execute(delete(MessageRow).where(MessageRow.session_id == expired.session_id))
                db.execute(delete(ChatSessionRow).where(ChatSessionRow.id == expired.session_id))
            raise NotFound(
                f"chat session {expired.session_id!r} expired after {self._timeout_hours:g} "
                "idle hours (SESSION_TIMEOUT_HOURS); start a new one by leaving out the session id"
            ) from None

    def _owned(
        self, db: Session, session_id: str, principal_id: str, tenant: str
    ) -> ChatSessionRow:
        """The session if it exists, is the principal's and has not expired. Another
        principal's session is reported exactly like a missing one."""
        row = db.get(ChatSessionRow, session_id)
        if row is None or row.principal != principal_id or row.tenant != tenant:
            raise NotFound(
                f"no chat session {session_id!r}: it never existed, was deleted or is not "
                "yours; start a new one by leaving out the session id"
            )
        if row.expires_at <= self._clock():
            raise _Expired(session_id)
        return row

    def _purge(self, db: Session, now: datetime) -> None:
        expired = select(ChatSessionRow.id).where(ChatSessionRow.expires_at <= now)
        db.execute(delete(MessageRow).where(MessageRow.session_id.in_(expired)))
        db.execute(delete(ChatSessionRow).where(ChatSessionRow.expires_at <= now))


def checked_message(message: str) -> str:
    """The message without the spaces around it; BadRequest when empty or too long."""
    text = message.strip()
    if not text:
        raise BadRequest("the message is empty: ask a question, for example 'Revenue by region'")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(
            f"the message is {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}. "
            "Ask a shorter question"
        )
    return text


def _new_id() -> str:
    return secrets.token_hex(16)


#: rows of an answer kept in the session history; the plan re-runs the rest
KEPT_ROWS = 200


def _kept(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as history keeps it: at most KEPT_ROWS rows, and the chart (which repeats
    the rows) only when every row is kept."""
    rows = answer.get("rows") or []
    if len(rows) <= KEPT_ROWS:
        return answer
    return {**answer, "rows": rows[:KEPT_ROWS], "chart": None, "history_rows_cut": True}


def _title(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"


def _session(row: ChatSessionRow) -> ChatSession:
    return ChatSession(
        id=row.id,
        principal=row.principal,
        tenant=row.tenant,
        title=row.title,
        memory=dict(row.memory or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
    )


def _message(row: MessageRow) -> ChatMessage:
    return ChatMessage(
        id=row.id,
        session_id=row.session_id,
        role=row.role,
        content=row.content,
        answer=row.answer,
        request_id=row.request_id,
        feedback_rating=row.feedback_rating,
        feedback_comment=row.feedback_comment,
        created_at=row.created_at,
    )


def _remembered(memory: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The memory after ``answer``: its plan when it was an answered semantic one, and the
    catalog proposal it made (pending until the next turn confirms or drops it)."""
    plan = answer.get("plan")
    if (
        answer.get("status") == "answered"
        and isinstance(plan, dict)
        and plan.get("type") == "semantic"
    ):
        memory["plan"] = plan
        memory.pop("health", None)
    if answer.get("status") == "answered" and isinstance(answer.get("health"), dict):
        memory["health"] = answer["health"]
    proposal = answer.get("proposal")
    memory.pop("proposal", None)
    if isinstance(proposal, dict) and proposal.get("status") == "pending":
        memory["proposal"] = proposal["id"]
    return memory
