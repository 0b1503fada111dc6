"""What a job does, by kind, and running one job with its progress kept in the store.

The same code runs in a server's worker thread and in a Celery worker process: each gets
a ``JobContext`` (the state store and what the tasks need) and runs ``run_job(id)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakechat.catalog.proposals import ProposalService
from lakechat.errors import first_line
from lakechat.jobs.store import JobStore
from lakechat.knowledge.service import KnowledgeBase
from lakechat.store.models import JobRow

if TYPE_CHECKING:
    from lakechat.monitor.alerts.service import AlertService

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: how often a running job's progress is written to the store
PROGRESS_EVERY_SECONDS = 0.2


@dataclass(frozen=True)
class JobContext:
    jobs: JobStore
    proposals: ProposalService
    knowledge: KnowledgeBase | None = None
    alerts: AlertService | None = None


def run_proposal(context: JobContext, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """A confirmed catalog proposal, statement by statement."""
    outcomes = context.proposals.execute(params["proposal_id"], params["actor"], progress)
    failures = [o.as_json() for o in outcomes if o.status == "failed"]
    return {
        "proposal_id": params["proposal_id"],
        "total": len(outcomes),
        "succeeded": len(outcomes) - len(failures),
        "failed": len(failures),
        "failures": failures,
    }


def run_docs_ingest(
    context: JobContext, params: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """Uploaded files, staged in the file store, into documents, chunks and vectors."""
    knowledge = context.knowledge
    if knowledge is None:
        raise RuntimeError("this worker has no knowledge base")
    from lakechat.knowledge.ingest import staged_uploads

    items = list(params["files"])
    report = knowledge.ingest(
        params["tenant"], params["principal"], staged_uploads(knowledge.files, items), progress
    )
    for item in items:  # the originals are kept under their content's key by now
        knowledge.files.delete(item["key"])
    failures = [o.as_json() for o in report.outcomes if o.status == "failed"]
    return {
        "total": len(report.outcomes),
        "succeeded": len(report.outcomes) - len(failures),
        "failed": len(failures),
        "documents": [o.as_json() for o in report.outcomes],
        "failures": failures,
        "chunks_embedded": report.embedded,
        "vectors_error": report.vectors_error,
    }


def run_alerts(context: JobContext, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Alert rules (by name, or every enabled one), then their pending notifications."""
    if context.alerts is None:
        raise RuntimeError("this worker has no alerts")
    return context.alerts.run(params.get("rules") or None)


TASKS: dict[str, Callable[[JobContext, dict[str, Any], Progress], dict[str, Any]]] = {
    "catalog.proposal": run_proposal,
    "docs.ingest": run_docs_ingest,
    "alerts.run": run_alerts,
}


def run_job(context: JobContext, job_id: str) -> None:
    """Run one queued job; whatever happens, the job ends with a status and a reason."""
    with context.jobs.store.session() as session:
        row = session.get(JobRow, job_id)
        kind, params = (row.kind, dict(row.params)) if row is not None else ("", {})
    if row is None:
        log.warning("job %s is not in the state store", job_id)
        return
    task = TASKS.get(kind)
    if task is None:
        context.jobs.crashed(job_id, f"no task of kind {kind!r}")
        return
    context.jobs.started(job_id)
    written = [0.0]

    def progress(done: int, failed: int) -> None:
        # at most a few writes a second: a 500-statement batch is not 500 more transactions
        if time.monotonic() - written[0] >= PROGRESS_EVERY_SECONDS:
            context.jobs.progress(job_id, done, failed)
            written[0] = time.monotonic()

    try:
        result = task(context, params, progress)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, kind)
        context.jobs.crashed(job_id, first_line(exc))
        return
    context.jobs.progress(job_id, result.get("succeeded", 0), result.get("failed", 0))
    context.jobs.finished(job_id, result, failed=int(result.get("failed", 0)))
