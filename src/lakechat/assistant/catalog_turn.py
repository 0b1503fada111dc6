"""One chat turn about the catalog: a read, a change to propose, or "confirm"/"cancel" of
the session's pending proposal. None when the message is not about the catalog."""

from __future__ import annotations

from typing import Any

from lakechat.assistant.catalog_answers import (
    AmbiguousName,
    answer_change,
    answer_decision,
    answer_read,
)
from lakechat.assistant.catalog_reading import CANCEL, CONFIRM, read_catalog
from lakechat.assistant.plans import CatalogRead, plan_json
from lakechat.catalog.service import Governance
from lakechat.errors import LakechatError
from lakechat.security.principals import Principal


def catalog_turn(gov: Governance, message: str, principal: Principal,
                 pending_proposal: str | None) -> dict[str, Any] | None:  # fmt: skip
    text = message.strip()
    if pending_proposal and (CONFIRM.match(text) or CANCEL.match(text)):
        decision = "confirm" if CONFIRM.match(text) else "cancel"
        plan: dict[str, Any] = {
            "type": "catalog_decision",
            "proposal_id": pending_proposal,
            "decision": decision,
        }
        return _answered(
            plan, lambda: answer_decision(pending_proposal, decision == "confirm", gov, principal)
        )
    read = read_catalog(text)
    if read is None:
        return None
    if isinstance(read, CatalogRead):
        return _answered(plan_json(read), lambda: answer_read(read, gov))
    return _answered(plan_json(read), lambda: answer_change(read, gov, principal))


def _answered(plan: dict[str, Any], run: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "status": "answered", "answer": "", "plan": plan, "sql": None, "columns": [], "rows": [],
        "row_count": 0, "truncated": False, "chart": None, "sources": [], "confidence": 1.0,
        "domain": "catalog", "suggestions": [],
    }  # fmt: skip
    try:
        result.update(run())
    except AmbiguousName as exc:
        verb = (
            "describe"
            if plan.get("action") in (None, "describe")
            else {"owner": "who owns", "grants": "show grants on"}.get(
                plan.get("action", ""), "describe"
            )
        )
        result.update(status="clarify", answer=exc.message, confidence=0.5,
                      suggestions=[f"{verb} {o}" for o in exc.options[:4]])  # fmt: skip
    except LakechatError as exc:
        result.update(status="error", answer=exc.message, error={"code": exc.code}, confidence=0.0)
    return result
