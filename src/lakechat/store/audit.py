"""The audit log: one row per executed change or admin action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lakechat.observability.context import current_request_id
from lakechat.store.database import StateStore
from lakechat.store.models import AuditLogRow
from lakechat.store.types import utcnow


def write_audit(
    session: Session,
    *,
    principal: str,
    action: str,
    obj: str | None = None,
    statement: str | None = None,
    outcome: str = "success",
    error: str | None = None,
    tenant: str | None = None,
) -> None:
    """Add an audit row in the caller's transaction, so it commits with the change itself."""
    request_id = current_request_id.get()
    session.add(
        AuditLogRow(
            time=utcnow(),
            principal=principal,
            tenant=tenant,
            action=action,
            object=obj,
            statement=statement,
            outcome=outcome,
            error=error,
            request_id=None if request_id == "-" else request_id,
        )
    )


def read_audit(store: StateStore, *, principal: str | None = None, action: str | None = None, obj: str | None = None,
               since: datetime | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    query = select(AuditLogRow).order_by(AuditLogRow.id.desc())
    if principal:
        query = query.where(AuditLogRow.principal == principal)
    if action:
        query = query.where(AuditLogRow.action == action)
    if obj:
        query = query.where(AuditLogRow.object.contains(obj))
    if since:
        query = query.where(AuditLogRow.time >= since)
    with store.session() as session:
        rows = list(session.scalars(query.offset(offset).limit(limit + 1)))
    entries = [
        {
            "id": r.id,
            "time": r.time.isoformat(),
            "principal": r.principal,
            "tenant": r.tenant,
            "action": r.action,
            "object": r.object,
            "statement": r.statement,
            "outcome": r.outcome,
            "error": r.error,
            "request_id": r.request_id,
        }
        for r in rows[:limit]
    ]
    return {
        "entries": entries,
        "count": len(entries),
        "offset": offset,
        "has_more": len(rows) > limit,
    }


def _entry(r: AuditLogRow) -> dict[str, Any]:
    return {
        "id": r.id, "time": r.time.isoformat(), "principal": r.principal, "tenant": r.tenant,
        "action": r.action, "object": r.object, "statement": r.statement, "outcome": r.outcome,
        "error": r.error, "request_id": r.request_id,
    }  # fmt: skip
