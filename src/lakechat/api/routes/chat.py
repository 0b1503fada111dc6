"""The chat API: ask the assistant, stream its stages, read and delete sessions, rate answers.

Every route needs scope ``data:read``; asking counts against the ``chat`` rate-limit class.
A chat answer is the assistant's contract plus the Unity Catalog chatbot's fields
(``success``, ``message``, ``intent``, ``explanation``) so that guide's clients work, and
``message_id`` to rate it with.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.api.services import AppServices
from lakechat.assistant.sessions import MAX_MESSAGE_CHARS, ChatSession, checked_message
from lakechat.errors import LakechatError, error_body
from lakechat.observability.metrics import (
    ASSISTANT_ANSWERS,
    ASSISTANT_FEEDBACK,
    ASSISTANT_LATENCY,
    ERRORS,
)
from lakechat.security.principals import Principal

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"], route_class=GuardedRoute)

#: The chatbot guide's ``intent`` for each plan type.
INTENTS = {
    "semantic": "query",
    "sql": "sql",
    "clarify": "clarify",
    "help": "help",
    "refuse": "refuse",
    "docs": "docs",
    "health": "health",
}
#: The request log's ``plan_type`` for each plan type (the names the other routes log).
LOGGED_PLAN_TYPES = {
    "semantic": "SemanticQuery",
    "sql": "SqlRun",
    "clarify": "Clarify",
    "help": "Help",
    "refuse": "Refuse",
    "catalog_read": "CatalogRead",
    "catalog_change": "CatalogChange",
    "catalog_decision": "CatalogChange",
    "docs": "DocsQuestion",
    "health": "HealthQuestion",
}
#: the Unity Catalog chatbot's intent names for catalog reads and changes
CATALOG_INTENTS = {"grants": "show_permissions", "describe": "table_details", "owner": "table_details",
                   "grant": "grant_permission", "revoke": "revoke_permission", "drop": "drop_object"}  # fmt: skip


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        description=f"The question, 1 to {MAX_MESSAGE_CHARS} characters (spaces around it "
        "do not count)."
    )
    session_id: str | None = Field(
        None, description="Continue this session; leave out to start a new one."
    )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)


@router.post("/api/chat", summary="Ask the assistant", **requires("data:read", "chat"))
async def chat(body: ChatRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    principal = current_principal(request)
    message = checked_message(body.message)
    session = await run_in_threadpool(svc.sessions.open, body.session_id, principal)
    answer = await run_in_threadpool(
        answer_turn, svc, session, message, principal, request.state.request_id
    )
    request.state.log = log_fields(message, answer)
    return answer


@router.post(
    "/api/chat/stream",
    summary="Ask the assistant and follow its stages (server-sent events)",
    response_class=EventSourceResponse,
    **requires("data:read", "chat"),
)
async def chat_stream(body: ChatRequest, request: Request) -> EventSourceResponse:
    svc = services(request)
    principal = current_principal(request)
    message = checked_message(body.message)
    # before the stream starts, so a bad session is a plain 404 like a bad message is a 400
    session = await run_in_threadpool(svc.sessions.open, body.session_id, principal)
    request_id: str = request.state.request_id

    async def events() -> AsyncIterator[ServerSentEvent]:
        loop = asyncio.get_running_loop()
        stages: asyncio.Queue[str] = asyncio.Queue()

        def on_stage(stage: str) -> None:
            loop.call_soon_threadsafe(stages.put_nowait, stage)

        work = asyncio.ensure_future(
            run_in_threadpool(answer_turn, svc, session, message, principal, request_id, on_stage)
        )
        while not work.done():
            waiting = asyncio.ensure_future(stages.get())
            try:
                await asyncio.wait({waiting, work}, return_when=asyncio.FIRST_COMPLETED)
            finally:  # also when the client goes away: no task is left waiting on the queue
                reported = waiting.done()
                if not reported:
                    waiting.cancel()
            if reported:
                yield ServerSentEvent(json.dumps({"stage": waiting.result()}), event="stage")
        # stages reported just before the work finished are queued ahead of its result
        while not stages.empty():
            yield ServerSentEvent(json.dumps({"stage": stages.get_nowait()}), event="stage")
        try:
            answer = work.result()
        except Exception as exc:
            error = exc if isinstance(exc, LakechatError) else None
            if error is None:
                log.exception("unhandled error answering a streamed chat message")
                error = LakechatError()
            request.state.error_code = error.code
            request.state.log = {"question": message, "status": "error"}
            ERRORS.labels(code=error.code).inc()
            envelope = error_body(error.code, error.message, request_id, error.details)
            yield ServerSentEvent(json.dumps(envelope["error"]), event="error")
            return
        request.state.log = log_fields(message, answer)
        yield ServerSentEvent(json.dumps(answer), event="answer")

    return EventSourceResponse(events())


@router.get(
    "/sessions/{session_id}", summary="A chat or /query session's messages", **requires(None)
)
async def session_history(
    session_id: str,
    request: Request,
    limit: int = Query(50, ge=1, le=200, description="Messages at most."),
    offset: int = Query(0, ge=0, description="Messages to skip from the oldest."),
) -> dict[str, Any]:
    svc = services(request)
    history = await run_in_threadpool(
        svc.sessions.history, session_id, current_principal(request), limit=limit, offset=offset
    )
    return history.as_json()


@router.delete(
    "/sessions/{session_id}",
    summary="Delete a chat or /query session and its messages",
    status_code=204,
    response_class=Response,
    **requires(None),
)
async def delete_session(session_id: str, request: Request) -> Response:
    svc = services(request)
    await run_in_threadpool(svc.sessions.delete, session_id, current_principal(request))
    return Response(status_code=204)


@router.post(
    "/api/messages/{message_id}/feedback",
    summary="Rate one of the assistant's answers",
    **requires("data:read"),
)
async def feedback(message_id: str, body: FeedbackRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    rated = await run_in_threadpool(
        svc.sessions.feedback, message_id, current_principal(request), body.rating, body.comment
    )
    ASSISTANT_FEEDBACK.labels(rating=body.rating).inc()
    return {
        "message_id": rated.id,
        "session_id": rated.session_id,
        "rating": rated.feedback_rating,
        "comment": rated.feedback_comment,
    }


def answer_turn(
    svc: AppServices,
    session: ChatSession,
    message: str,
    principal: Principal,
    request_id: str,
    on_stage: Callable[[str], None] | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    """Answer one message in its session and store the turn (runs in a worker thread);
    ``user`` is the end user a shared key answers for (its preferences are theirs)."""
    answer = svc.assistant.ask(
        message,
        principal,
        previous=session.previous,
        pending_proposal=session.pending_proposal,
        session_id=session.id,
        request_id=request_id,
        on_stage=on_stage,
        health_context=session.health_context,
        user=user,
    )
    turn = svc.sessions.record(session, message, answer, request_id=request_id)
    ASSISTANT_ANSWERS.labels(status=answer["status"]).inc()
    ASSISTANT_LATENCY.observe(answer["latency_ms"] / 1000)
    return {**answer, **guide_fields(answer), "message_id": turn.answer_id}


def guide_fields(answer: dict[str, Any]) -> dict[str, Any]:
    """The Unity Catalog chatbot's reply fields, from the contract."""
    plan = answer.get("plan") or {}
    return {
        "success": answer["status"] == "answered",
        "message": answer["answer"],
        "intent": _intent(plan),
        "explanation": _explanation(plan, answer),
    }


def _intent(plan: dict[str, Any]) -> str | None:
    kind = plan.get("type", "")
    if kind == "catalog_read":
        action = str(plan["action"])
        return CATALOG_INTENTS.get(action, action)
    if kind == "catalog_change":
        first = plan["changes"][0] if plan.get("changes") else {}
        action = str(first.get("action", ""))
        if action == "create":
            depth = len(str(first.get("name", "")).split("."))
            return ("create_catalog", "create_schema", "create_table")[min(depth, 3) - 1]
        return CATALOG_INTENTS.get(action, action)
    if kind == "catalog_decision":
        return f"{plan['decision']}_proposal"
    return INTENTS.get(kind, kind or None)


def _explanation(plan: dict[str, Any], answer: dict[str, Any]) -> str | None:
    assumptions = plan.get("assumptions") or ()
    parts = [f"Assumed: {'; '.join(assumptions)}."] if assumptions else []
    if answer.get("sql"):
        read = [s.get("source") or s.get("name") for s in answer.get("sources", ())]
        where = f" on {', '.join(str(r) for r in read if r)}" if any(read) else ""
        parts.append(
            f"Ran one read-only SQL statement{where}, returning {answer['row_count']} "
            f"row{'' if answer['row_count'] == 1 else 's'}"
            f"{' (truncated)' if answer.get('truncated') else ''}."
        )
    return " ".join(parts) or None


def log_fields(message: str, answer: dict[str, Any]) -> dict[str, Any]:
    plan_type = (answer.get("plan") or {}).get("type", "")
    tables = [
        s["name"] for s in answer.get("sources", ()) if s.get("type") in ("table", "system_table")
    ]
    return {
        "question": message,
        "plan_type": LOGGED_PLAN_TYPES.get(plan_type, plan_type or None),
        "domain": answer.get("domain"),
        "sql": answer.get("sql"),
        "tables": tables or None,
        "row_count": answer.get("row_count"),
        "confidence": answer.get("confidence"),
        "status": answer["status"],
    }
