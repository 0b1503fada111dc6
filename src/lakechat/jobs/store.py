"""Jobs in the state store: what each is, who started it, and its progress."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from lakechat.errors import NotFound
from lakechat.store.database import StateStore
from lakechat.store.models import JobRow
from lakechat.store.types import utcnow


class JobStore:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    def create(self, kind: str, params: dict[str, Any], *, principal: str, tenant: str | None,
               total: int) -> str:  # fmt: skip
        job_id = uuid.uuid4().hex
        with self.store.session() as session:
            session.add(JobRow(id=job_id, kind=kind, status="queued", principal=principal,
                               tenant=tenant, params=params, total=total, done=0, failed=0,
                               created_at=utcnow()))  # fmt: skip
        return job_id

    def started(self, job_id: str) -> None:
        self._set(job_id, status="running", started_at=utcnow())

    def progress(self, job_id: str, done: int, failed: int) -> None:
        self._set(job_id, done=done, failed=failed)

    def finished(self, job_id: str, result: dict[str, Any], *, failed: int) -> None:
        status = "succeeded" if not failed else "partially_failed"
        if failed and failed >= int(result.get("total", failed + 1)):
            status = "failed"
        self._set(job_id, status=status, result=result, finished_at=utcnow())

    def crashed(self, job_id: str, error: str) -> None:
        self._set(job_id, status="failed", error=error, finished_at=utcnow())

    def _set(self, job_id: str, **values: Any) -> None:
        with self.store.session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))

    def get(self, job_id: str) -> dict[str, Any]:
        with self.store.session() as session:
            row = session.get(JobRow, job_id)
        if row is None:
            raise NotFound(f"no job {job_id!r}")
        return as_json(row)


def as_json(row: JobRow) -> dict[str, Any]:
    remaining = max(0, row.total - row.done - row.failed)
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "principal": row.principal,
        "total": row.total,
        "done": row.done,
        "failed": row.failed,
        "remaining": remaining,
        "progress": round((row.done + row.failed) / row.total, 4) if row.total else 1.0,
        "params": row.params,
        "result": row.result,
        "error": row.error,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }
