"""Proposals: a catalog change waits, with its exact statements, until someone allowed confirms.

``propose`` checks every statement it can before anyone confirms (names, privileges,
principals, objects that must or must not exist, counting what earlier statements of the
same proposal create or drop). ``confirm`` moves a pending proposal to ``running`` in one
conditional UPDATE, so confirming twice executes once; then every statement runs in order,
each one audited, and the result lists each statement's outcome: a failure never leaves
a half-applied proposal unreported. A proposal of more than ``BATCH_SIZE`` statements runs
as a background job with progress.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from lakechat.catalog.base import Catalog
from lakechat.catalog.changes import Change, Create, Drop, Grant, SetOwner, parse_change
from lakechat.catalog.names import ObjectName
from lakechat.errors import (
    BadRequest,
    Conflict,
    FeatureDisabled,
    LakechatError,
    NotFound,
    first_line,
)
from lakechat.security.principals import Principal
from lakechat.settings import Settings
from lakechat.store.audit import write_audit
from lakechat.store.database import StateStore
from lakechat.store.models import ProposalRow
from lakechat.store.types import utcnow

PROPOSAL_TTL = timedelta(minutes=15)
#: more statements than this run as a background job
BATCH_SIZE = 5
CONFIRM_SCOPE = "catalog:write"

#: hands a proposal to the job runner: (proposal id, principal name, statement count) -> job id
Submit = Callable[[str, Principal, int], str]


class ProposalExpired(Conflict):
    code = "proposal_expired"
    status = 410


@dataclass(frozen=True)
class Outcome:
    statement: str
    object: str
    status: str  # "succeeded" | "failed" | "skipped"
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "object": self.object,
            "status": self.status,
            "error": self.error,
        }


class ProposalService:
    def __init__(
        self,
        store: StateStore,
        catalog: Catalog,
        *,
        audit: bool = True,
        batch_enabled: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.audit = audit
        self.batch_enabled = batch_enabled
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, store: StateStore) -> ProposalService:
        """Proposals on the catalog the settings select (the server and a jobs worker alike)."""
        from lakechat.catalog.factory import build_catalog

        return cls(store, build_catalog(settings, store), audit=settings.feature_audit_logging,
                   batch_enabled=settings.feature_batch_operations)  # fmt: skip

    # proposing --------------------------------------------------------------------
    def propose(
        self, changes: Sequence[Change], principal: Principal, *, summary: str = ""
    ) -> dict[str, Any]:
        if not changes:
            raise BadRequest("a proposal needs at least one change")
        if len(changes) > BATCH_SIZE and not self.batch_enabled:
            raise FeatureDisabled(
                f"this change has {len(changes)} statements and batch changes are turned off "
                f"here (FEATURE_BATCH_OPERATIONS=false); make at most {BATCH_SIZE} at a time"
            )
        self.precheck(changes)
        now = self.clock()
        row = ProposalRow(
            id=uuid.uuid4().hex,
            principal=principal.name,
            tenant=principal.tenant,
            status="pending",
            changes=[c.as_json() for c in changes],
            summary=summary or "; ".join(c.describe() for c in changes),
            created_at=now,
            expires_at=now + PROPOSAL_TTL,
        )
        with self.store.session() as session:
            session.add(row)
        return self.as_json(row)

    def precheck(self, changes: Sequence[Change]) -> None:
        """Fail now, not after confirming, on what is knowable: missing objects, objects
        that already exist, unknown principals (counting what earlier statements make)."""
        made: set[ObjectName] = set()
        gone: set[ObjectName] = set()

        def present(name: ObjectName) -> bool:
            if name in gone or any(p in gone for p in _ancestors(name)):
                return False
            return name in made or self.catalog.exists(name)

        known = set(self.catalog.principals()) if self.catalog.KNOWS_PRINCIPALS else None
        for change in changes:
            name = change.name
            if isinstance(change, Create):
                if present(name):
                    raise Conflict(f"{name.securable.value} {name} already exists")
                if name.parent is not None and not present(name.parent):
                    self._missing(name.parent, made)
                made.add(name)
                gone.discard(name)
                continue
            if not present(name):
                self._missing(name, made)
            for who in _principals(change):
                if known is not None and who not in known:
                    raise BadRequest(
                        f"unknown principal {who!r}; known principals are {', '.join(sorted(known))}"
                    )
            if isinstance(change, Drop):
                gone.add(name)
                made.discard(name)

    def _missing(self, name: ObjectName, made: set[ObjectName]) -> None:
        if name in made:
            return
        self.catalog.get(name)  # raises NotFound with a did-you-mean
        raise NotFound(f"{name.securable.value} {name} does not exist")

    # deciding ---------------------------------------------------------------------
    def get(self, proposal_id: str) -> dict[str, Any]:
        return self.as_json(self._row(proposal_id))

    def _row(self, proposal_id: str) -> ProposalRow:
        with self.store.session() as session:
            row = session.get(ProposalRow, proposal_id)
        if row is None:
            raise NotFound(f"no proposal {proposal_id!r}")
        return row

    def cancel(self, proposal_id: str, principal: Principal) -> dict[str, Any]:
        self._row(proposal_id)
        if not self._claim(proposal_id, "cancelled", principal):
            return self._decided(self._row(proposal_id), "cancelled")
        return self.get(proposal_id)

    def confirm(
        self, proposal_id: str, principal: Principal, submit: Submit | None = None
    ) -> dict[str, Any]:
        """Execute a pending proposal once; a second confirm returns the first's outcome."""
        row = self._row(proposal_id)
        if row.status == "pending" and self.clock() > row.expires_at:
            self._expire(proposal_id)
            raise ProposalExpired(
                f"proposal {proposal_id} expired at {row.expires_at.isoformat()}; ask again"
            )
        if not self._claim(proposal_id, "running", principal):
            return self._decided(self._row(proposal_id), "running")
        if len(row.changes) > BATCH_SIZE and submit is not None:
            job_id = submit(proposal_id, principal, len(row.changes))
            with self.store.session() as session:
                session.execute(
                    update(ProposalRow).where(ProposalRow.id == proposal_id).values(job_id=job_id)
                )
            return self.get(proposal_id)
        self.execute(proposal_id, principal.name)
        return self.get(proposal_id)

    def _claim(self, proposal_id: str, status: str, principal: Principal) -> bool:
        with self.store.session() as session:
            claimed = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.id == proposal_id,
                    ProposalRow.status == "pending",
                    ProposalRow.expires_at >= self.clock(),
                )
                .values(status=status, decided_by=principal.name, decided_at=self.clock())
            )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    def _expire(self, proposal_id: str) -> None:
        with self.store.session() as session:
            session.execute(update(ProposalRow).where(
                ProposalRow.id == proposal_id, ProposalRow.status == "pending").values(status="expired"))  # fmt: skip

    def _decided(self, row: ProposalRow, wanted: str) -> dict[str, Any]:
        """A proposal someone already decided: the same decision again returns its state
        (confirming twice executes once); the other decision is a conflict."""
        if row.status == "expired" or (row.status == "pending" and self.clock() > row.expires_at):
            raise ProposalExpired(
                f"proposal {row.id} expired at {row.expires_at.isoformat()}; ask again"
            )
        if (row.status == "cancelled") != (wanted == "cancelled"):
            done = "cancelled" if row.status == "cancelled" else "confirmed"
            raise Conflict(f"proposal {row.id} was already {done} by {row.decided_by}")
        return self.as_json(row)

    # executing --------------------------------------------------------------------
    def execute(
        self, proposal_id: str, actor: str, progress: Callable[[int, int], None] | None = None
    ) -> list[Outcome]:
        """Run each statement in order, auditing each; every outcome is kept on the proposal."""
        row = self._row(proposal_id)
        changes = [parse_change(c) for c in row.changes]
        outcomes: list[Outcome] = []
        failed = 0
        for change in changes:
            try:
                self.catalog.apply(change, actor=actor)
                outcome = Outcome(change.sql(), change.name.full_name, "succeeded")
            except LakechatError as exc:
                outcome = Outcome(change.sql(), change.name.full_name, "failed", exc.message)
            except Exception as exc:  # a provider's unexpected failure is reported, not lost
                outcome = Outcome(change.sql(), change.name.full_name, "failed", first_line(exc))
            failed += outcome.status == "failed"
            outcomes.append(outcome)
            self._audit(row, actor, change, outcome)
            if progress is not None:
                progress(len(outcomes) - failed, failed)
        status = (
            "failed" if failed == len(outcomes) else "partially_failed" if failed else "executed"
        )
        result = {
            "succeeded": len(outcomes) - failed,
            "failed": failed,
            "statements": [o.as_json() for o in outcomes],
        }
        with self.store.session() as session:
            session.execute(
                update(ProposalRow)
                .where(ProposalRow.id == proposal_id)
                .values(status=status, result=result)
            )
        return outcomes

    def _audit(self, row: ProposalRow, actor: str, change: Change, outcome: Outcome) -> None:
        if not self.audit:
            return
        with self.store.session() as session:
            write_audit(
                session,
                principal=actor,
                tenant=row.tenant,
                action=f"catalog.{change.action}",
                obj=f"{change.securable.value} {change.name.full_name}",
                statement=outcome.statement,
                outcome="success" if outcome.status == "succeeded" else "failure",
                error=outcome.error,
            )

    def as_json(self, row: ProposalRow) -> dict[str, Any]:
        expired = row.status == "pending" and self.clock() > row.expires_at
        return {
            "id": row.id,
            "status": "expired" if expired else row.status,
            "summary": row.summary,
            "statements": [c["sql"] for c in row.changes],
            "changes": row.changes,
            "objects": sorted({f"{c['securable']} {c['name']}" for c in row.changes}),
            "proposed_by": row.principal,
            "confirm_scope": CONFIRM_SCOPE,
            "who_may_confirm": f"a key with the {CONFIRM_SCOPE} scope (admins have it)",
            "runs_as_job": len(row.changes) > BATCH_SIZE,
            "created_at": row.created_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "decided_by": row.decided_by,
            "job_id": row.job_id,
            "result": row.result,
            "confirm": f"/api/proposals/{row.id}/confirm",
            "cancel": f"/api/proposals/{row.id}/cancel",
        }


def _ancestors(name: ObjectName) -> list[ObjectName]:
    return [ObjectName(name.parts[:i]) for i in range(1, len(name.parts))]


def _principals(change: Change) -> list[str]:
    if isinstance(change, Grant):
        return [change.principal]
    if isinstance(change, SetOwner):
        return [change.owner]
    return []
