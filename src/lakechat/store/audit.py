"""The audit log: one row per executed change or admin action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lakechat.observability.context import current_request_id
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
