"""Platform health: the overview, the analyzers, one analysis, and ``POST /invocations``
in the health agent's serving shape. All need scope ``health:read``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.errors import BadRequest, NotFound

router = APIRouter(tags=["platform health"], route_class=GuardedRoute)


@router.get(
    "/api/monitor/overview",
    summary="The whole picture: every analyzer's findings, worst first",
    **requires("health:read", "health"),
)
async def overview(
    request: Request,
    as_of: str | None = Query(None, description="The day to report on (YYYY-MM-DD)."),
    domain: list[str] = Query([], description="Only these domains (repeat)."),
    workspace: str | None = Query(None, description="One workspace (name or id)."),
    rows: bool = Query(False, description="Include each analysis's rows."),
) -> dict[str, Any]:
    svc = services(request)
    found = await run_in_threadpool(
        svc.platform.report, as_of=as_of, domains=domain or None, workspace=workspace
    )
    return found.as_json(rows=rows)


@router.get(
    "/api/monitor/analyzers",
    summary="The analyzers with their parameters",
    **requires("health:read", "health"),
)
async def analyzers(request: Request) -> dict[str, Any]:
    return {"analyzers": [a.as_json() for a in services(request).platform.analyzers()]}


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict)
    as_of: str | None = None
    workspace: str | None = None


@router.post(
    "/api/monitor/analyzers/{name}",
    summary="Run one analyzer: its SQL, rows and findings",
    **requires("health:read", "health"),
)
async def analyze(name: str, body: AnalyzeRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    found = await run_in_threadpool(
        svc.platform.analyze, name, params=body.params, as_of=body.as_of,
        workspace=body.workspace,
    )  # fmt: skip
    return found.as_json()


class InvocationMessage(BaseModel):
    role: str = Field(max_length=20)
    content: str = Field(max_length=4000)


class InvocationRequest(BaseModel):
    """The health agent's serving request."""

    input: list[InvocationMessage] = Field(min_length=1, max_length=50)
    custom_inputs: dict[str, Any] = Field(default_factory=dict)


@router.post(
    "/invocations",
    summary="Ask the health agent (its serving shape: input messages -> output_text)",
    **requires("health:read", "chat"),
)
async def invocations(body: InvocationRequest, request: Request) -> dict[str, Any]:
    from lakechat.api.routes.chat import answer_turn, log_fields

    svc, principal = services(request), current_principal(request)
    question = next((m.content for m in reversed(body.input) if m.role == "user"), None)
    if question is None or not question.strip():
        raise BadRequest("input needs a message with role 'user' and some content")
    custom = body.custom_inputs
    thread = custom.get("thread_id") or custom.get("session_id")
    if thread is not None and not isinstance(thread, str):
        raise BadRequest("custom_inputs.thread_id must be a string")
    user = custom.get("user_id")
    if user is not None and (not isinstance(user, str) or not 0 < len(user) <= 150):
        raise BadRequest("custom_inputs.user_id must be a string of 1 to 150 characters")
    try:
        session = await run_in_threadpool(svc.sessions.open, thread, principal)
    except NotFound:  # a thread the client named itself: it starts here
        session = await run_in_threadpool(svc.sessions.open, None, principal)
    request_id: str = request.state.request_id
    answer = await run_in_threadpool(
        answer_turn, svc, session, question.strip(), principal, request_id, None, user
    )
    request.state.log = log_fields(question.strip(), answer)
    return {
        "id": f"resp_{request_id}",
        "output": [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer["answer"]}],
            }
        ],
        "custom_outputs": {
            "thread_id": answer.get("session_id"),
            "domain": answer.get("domain"),
            "domains": answer.get("domains") or [answer.get("domain")],
            "source": (answer.get("plan") or {}).get("type"),
            "confidence": answer.get("confidence"),
            "sources": answer.get("sources") or [],
            "visualization_hint": answer.get("visualization_hint")
            or _hint(answer.get("chart"), answer.get("answer", "")),
            "data": {"columns": answer.get("columns"), "rows": answer.get("rows")},
            "status": answer.get("status"),
            "user_id": custom.get("user_id"),
        },
    }


def _hint(chart: Any, text: str) -> dict[str, Any] | None:
    if not isinstance(chart, dict):
        return None
    encoding = chart.get("encoding") or {}
    return {
        "type": chart.get("mark", {}).get("type") if isinstance(chart.get("mark"), dict)
        else chart.get("mark"),
        "x_axis": (encoding.get("x") or {}).get("field"),
        "y_axis": (encoding.get("y") or {}).get("field"),
        "title": text.split("\n", maxsplit=1)[0][:120],
    }  # fmt: skip
