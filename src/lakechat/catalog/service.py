"""The catalog's parts one app instance uses: the provider, proposals and the job runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakechat.catalog.base import Catalog
from lakechat.catalog.proposals import ProposalService
from lakechat.errors import ConfigurationError
from lakechat.jobs.runners import CeleryRunner, InProcessRunner, JobRunner
from lakechat.jobs.store import JobStore
from lakechat.jobs.tasks import JobContext
from lakechat.knowledge.service import KnowledgeBase
from lakechat.security.principals import Principal
from lakechat.settings import Settings
from lakechat.store.database import StateStore

if TYPE_CHECKING:
    from lakechat.monitor.alerts.service import AlertService


@dataclass(frozen=True)
class Governance:
    catalog: Catalog
    proposals: ProposalService
    runner: JobRunner

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: StateStore,
        knowledge: KnowledgeBase | None = None,
        alerts: AlertService | None = None,
    ) -> Governance:
        """The catalog, its proposals, and the job runner (which also runs ``knowledge``'s
        ingestions and ``alerts``' rules)."""
        proposals = ProposalService.from_settings(settings, store)
        jobs = JobStore(store)
        runner: JobRunner
        if settings.jobs_backend == "celery":
            if not settings.redis_url:
                raise ConfigurationError("JOBS_BACKEND=celery needs REDIS_URL (the queue)")
            runner = CeleryRunner(jobs, settings.redis_url, settings.jobs_queue)
        else:
            context = JobContext(jobs, proposals, knowledge, alerts)
            runner = InProcessRunner(context, settings.jobs_workers)
        return cls(proposals.catalog, proposals, runner)

    def readable(self, principal: Principal) -> tuple[str, ...]:
        """The tables the embedded catalog's grants let ``principal`` read (Unity Catalog
        enforces its own grants on the warehouse)."""
        return self.catalog.readable_patterns(principal)

    def confirm(self, proposal_id: str, principal: Principal) -> dict[str, Any]:
        """Confirm a proposal; a large one is handed to the job runner."""

        def submit(pid: str, who: Principal, total: int) -> str:
            params = {"proposal_id": pid, "actor": who.name}
            return self.runner.submit("catalog.proposal", params, who, total=total)

        return self.proposals.confirm(proposal_id, principal, submit)
