"""The Celery application: one task, ``lakechat.run_job``, that runs a job by its id.

A worker builds its own context from the same settings the server reads (environment and
config.yaml), once per process:

    lakechat jobs worker            # or: celery -A lakechat.jobs.celery_app worker
"""

from __future__ import annotations

import functools

from celery import Celery

from lakechat.jobs.tasks import JobContext, run_job
from lakechat.settings import load_settings


def make_app(broker_url: str, queue: str = "lakechat-jobs") -> Celery:
    app = Celery("lakechat", broker=broker_url)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,  # a worker that dies mid-job leaves it queued for another
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # progress and results live in the state store
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name="lakechat.run_job")(_run)
    return app


def _run(job_id: str) -> None:
    run_job(_context(), job_id)


@functools.cache
def _context() -> JobContext:
    from lakechat.catalog.factory import build_catalog
    from lakechat.catalog.proposals import ProposalService
    from lakechat.jobs.store import JobStore
    from lakechat.store.database import StateStore

    settings = load_settings()
    store = StateStore(settings.state_url)
    catalog = build_catalog(settings, store)
    proposals = ProposalService(
        store,
        catalog,
        audit=settings.feature_audit_logging,
        batch_enabled=settings.feature_batch_operations,
    )
    return JobContext(JobStore(store), proposals)


def _default_app() -> Celery:
    settings = load_settings()
    return make_app(settings.redis_url or "redis://127.0.0.1:6379/0", settings.jobs_queue)


#: what ``celery -A lakechat.jobs.celery_app`` finds
app = _default_app()
