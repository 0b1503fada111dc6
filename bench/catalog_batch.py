"""A catalog batch change, measured side by side in one run.

"Grant SELECT on every table in bench.wide to analysts" over 500 tables on the embedded
catalog, the whole way lakechat does it (expand the name, check every statement, store
the proposal, confirm, run it as a background job that records progress and writes one
audit row per statement), beside executing the same 500 grants directly on the state
store (one transaction each, nothing else). Statements per second for both, and the ratio.

    python bench/catalog_batch.py [--tables 500] [--rounds 3] [--state-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from sqlalchemy import delete

from lakechat.catalog.embedded import EmbeddedCatalog
from lakechat.catalog.expand import expand
from lakechat.catalog.governance import GovernanceStore
from lakechat.catalog.proposals import ProposalService
from lakechat.jobs.runners import InProcessRunner
from lakechat.jobs.store import JobStore
from lakechat.jobs.tasks import JobContext
from lakechat.security.principals import LOCAL_ADMIN
from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade
from lakechat.store.models import AuditLogRow, CatalogGrantRow

GRANT = {
    "action": "grant",
    "name": "bench.wide.*",
    "principal": "analysts",
    "privileges": ["SELECT"],
}


def build(lakehouse: Path, tables: int) -> None:
    lakehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(lakehouse / "bench.duckdb")) as conn:
        conn.execute("CREATE SCHEMA wide")
        for i in range(tables):
            conn.execute(f"CREATE TABLE wide.t{i:04d} (id INTEGER, value DOUBLE)")


def reset(store: StateStore) -> None:
    with store.session() as session:
        session.execute(delete(CatalogGrantRow))
        session.execute(delete(AuditLogRow))


def ours(store: StateStore, catalog: EmbeddedCatalog, runner: InProcessRunner) -> float:
    proposals = ProposalService(store, catalog)
    started = time.perf_counter()
    changes = expand(catalog, [GRANT])
    proposal = proposals.propose(changes, LOCAL_ADMIN)

    def submit(pid: str, who: object, total: int) -> str:
        return runner.submit(
            "catalog.proposal", {"proposal_id": pid, "actor": "bench"}, LOCAL_ADMIN, total=total
        )

    job_id = proposals.confirm(proposal["id"], LOCAL_ADMIN, submit)["job_id"]
    while runner.jobs.get(job_id)["status"] in ("queued", "running"):
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    job = runner.jobs.get(job_id)
    assert job["status"] == "succeeded" and job["done"] == len(changes), job
    return elapsed


def direct(store: StateStore, names: list[str]) -> float:
    governance = GovernanceStore(store)
    started = time.perf_counter()
    for name in names:
        governance.grant(name, "analysts", ["SELECT"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--state-url", default=None, help="default: a SQLite file (PostgreSQL: postgresql://...)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lakehouse = Path(tmp) / "lakehouse"
        build(lakehouse, args.tables)
        url = args.state_url or f"sqlite:///{Path(tmp) / 'state.db'}"
        store = StateStore(url)
        upgrade(store)
        catalog = EmbeddedCatalog(lakehouse, store)
        catalog.add_groups(["analysts"])
        jobs = JobStore(store)
        runner = InProcessRunner(JobContext(jobs, ProposalService(store, catalog)), workers=1)
        names = [f"bench.wide.t{i:04d}" for i in range(args.tables)]
        ours_s, direct_s = [], []
        for _ in range(args.rounds):
            reset(store)
            ours_s.append(ours(store, catalog, runner))
            reset(store)
            direct_s.append(direct(store, names))
        runner.close()
        store.dispose()
    mine, raw = statistics.median(ours_s), statistics.median(direct_s)
    print(
        f"grant SELECT on {args.tables} tables ({store.backend}), median of {args.rounds} rounds:"
    )
    print(f"  lakechat (expand, check, propose, confirm, job with progress, audit): {mine:.2f} s, "
          f"{args.tables / mine:,.0f} statements/s")  # fmt: skip
    print(f"  the same grants executed directly on the state store:              {raw:.2f} s, "
          f"{args.tables / raw:,.0f} statements/s")  # fmt: skip
    print(f"  ratio lakechat / direct: {mine / raw:.2f}")


if __name__ == "__main__":
    sys.exit(main())
