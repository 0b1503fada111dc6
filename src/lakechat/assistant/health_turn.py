"""One chat turn answered from the platform's system tables (plan ``HealthQuestion``).

The turn is health's when the message asks for a diagnosis over cost, jobs, queries,
security or data quality ("why did costs spike yesterday?", "any security concerns?",
"platform health overview"), or follows up on the previous health answer ("which of those
failed most often?"), or tells the assistant a lasting preference ("my workspace is
prod-analytics", "I prefer detailed answers", "forget my preferences"). Questions a
semantic model answers with a number stay the interpreter's. Keys without
``health:read`` never get health answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lakechat.assistant.plans import HealthQuestion, blank_answer
from lakechat.errors import LakechatError
from lakechat.monitor.orchestrator import answer_health
from lakechat.monitor.routing import route
from lakechat.security.principals import Principal

if TYPE_CHECKING:
    from lakechat.monitor.service import PlatformHealth

#: a preference is the whole message, never a phrase inside a question about the data
_FORGET = re.compile(
    r"^\s*(?:please\s+)?forget (?:my|all(?: my)?|the) (?:preferences|settings)\W*$", re.I
)
_ALL_WORKSPACES = re.compile(
    r"^\s*(?:please\s+)?(?:use|show|look at|go back to) all (?:the )?workspaces\W*$", re.I
)
_WORKSPACE = re.compile(
    r"^\s*(?:please\s+)?(?:my workspace is|my default workspace is|i work in workspace|"
    r"set my (?:default )?workspace to|use (?:the )?workspace|focus on (?:the )?workspace)"
    r"\s+([A-Za-z0-9_.-]+?)\W*$",
    re.IGNORECASE,
)
_STYLE = re.compile(
    r"^\s*(?:please\s+)?(?:i prefer|i'd prefer|i want|i'd like|give me|always give me|"
    r"from now on,? (?:give me|i want)|remember (?:that )?i (?:prefer|want))\s+"
    r"(?:the |more |only )?(detailed|full|short|brief|summary|summarized)\s+"
    r"(?:health )?(?:answers|summaries|replies|reports)\W*$",
    re.IGNORECASE,
)


def health_turn(
    health: PlatformHealth,
    message: str,
    previous: dict[str, Any] | None,
    principal: Principal,
    user: str | None = None,
) -> dict[str, Any] | None:
    """The health answer to ``message``, or None when the turn is not health's. ``user`` is
    the end user a shared key answers for (``/invocations``' ``user_id``): preferences are
    remembered per key and user."""
    who = f"{principal.id}/{user}" if user else principal.id
    remembered = _preference_turn(health, message, principal, who)
    if remembered is not None:
        return remembered
    found = route(message, previous)
    if found is None:
        return None
    plan = HealthQuestion(question=message.strip(), domains=found.domains,
                          analyzers=found.analyzers)  # fmt: skip
    result = blank_answer(plan)
    try:
        preferences = health.preferences.get(who) if health.preferences else {}
        result.update(answer_health(health, message, found, previous=previous,
                                    preferences=preferences))  # fmt: skip
    except LakechatError as exc:
        result.update(status="error", answer=exc.message, error={"code": exc.code},
                      confidence=0.0, domain="platform")  # fmt: skip
    return result


def _preference_turn(
    health: PlatformHealth, message: str, principal: Principal, who: str
) -> dict[str, Any] | None:
    memory = health.preferences
    if memory is None:
        return None
    said: str | None = None
    try:
        if _FORGET.search(message):
            memory.forget(who)
            said = "Done: I no longer remember any of your preferences."
        elif _ALL_WORKSPACES.search(message):
            memory.unset(who, "workspace")
            said = "From now on I look at every workspace."
        elif found := _WORKSPACE.search(message):
            workspace = health.workspace(found.group(1).rstrip("."))
            assert workspace is not None
            until = memory.set(who, principal.tenant, "workspace", workspace[1])
            said = (f"Noted: health answers look at workspace {workspace[1]} by default "
                    f"(until {until:%Y-%m-%d}; say 'use all workspaces' to undo).")  # fmt: skip
        elif found_style := _STYLE.search(message):
            style = "detail" if found_style.group(1).lower() in ("detailed", "full") else "summary"
            until = memory.set(who, principal.tenant, "detail", style)
            said = (f"Noted: health answers will be {'short summaries' if style == 'summary' else 'detailed'} "
                    f"(until {until:%Y-%m-%d}).")  # fmt: skip
    except LakechatError as exc:
        return {**blank_answer(HealthQuestion(question=message.strip())), "status": "error",
                "answer": exc.message, "error": {"code": exc.code}, "domain": "platform"}  # fmt: skip
    if said is None:
        return None
    answer = blank_answer(HealthQuestion(question=message.strip()))
    answer.update(answer=said, confidence=1.0, domain="platform",
                  preferences=memory.get(who))  # fmt: skip
    return answer
