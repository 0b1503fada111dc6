"""The Celery application: one task, ``lakechat.run_job``, that runs a job by its id.

A worker builds its own context from the same settings the server reads (environment and
config.yaml), once per process:

    lakechat jobs worker            # or: celery -A lakechat.jobs.celery_worker worker
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
    from lakechat.catalog.proposals import ProposalService
    from lakechat.jobs.store import JobStore
    from lakechat.knowledge.factory import build_knowledge
    from lakechat.monitor.alerts.service import AlertService
    from lakechat.store.database import StateStore

    settings = load_settings()
    store = StateStore(settings.state_url)
    return JobContext(
        JobStore(store),
        ProposalService.from_settings(settings, store),
        build_knowledge(settings, store),
        AlertService.build(settings, store),  # opens the warehouse on its first analyzer rule
    )
