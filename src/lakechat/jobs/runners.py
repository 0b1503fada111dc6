"""Job runners: worker threads in this process (default), or Celery workers on Redis.

Both record the job in the state store first, so ``GET /api/jobs/{id}`` shows it queued
at once, whoever runs it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Protocol

from lakechat.jobs.store import JobStore
from lakechat.jobs.tasks import JobContext, run_job
from lakechat.security.principals import Principal


class JobRunner(Protocol):
    kind: ClassVar[str]
    jobs: JobStore

    def submit(
        self, kind: str, params: dict[str, Any], principal: Principal, *, total: int
    ) -> str: ...

    def close(self) -> None: ...


class InProcessRunner:
    kind: ClassVar[str] = "inprocess"

    def __init__(self, context: JobContext, workers: int = 2) -> None:
        self.context = context
        self.jobs = context.jobs
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lakechat-job")

    def submit(self, kind: str, params: dict[str, Any], principal: Principal, *, total: int) -> str:
        job_id = self.jobs.create(
            kind, params, principal=principal.name, tenant=principal.tenant, total=total
        )
        self._pool.submit(run_job, self.context, job_id)
        return job_id

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class CeleryRunner:
    """Queues each job's id on Celery; a worker (``lakechat jobs worker``) runs it."""

    kind: ClassVar[str] = "celery"

    def __init__(self, jobs: JobStore, broker_url: str, queue: str) -> None:
        from lakechat.jobs.celery_app import make_app

        self.jobs = jobs
        self.app = make_app(broker_url, queue)

    def submit(self, kind: str, params: dict[str, Any], principal: Principal, *, total: int) -> str:
        job_id = self.jobs.create(
            kind, params, principal=principal.name, tenant=principal.tenant, total=total
        )
        self.app.send_task("lakechat.run_job", args=[job_id])
        return job_id

    def close(self) -> None:
        self.app.close()
