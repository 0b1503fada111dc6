"""compute.clusters and compute.warehouses, interactive cluster usage, and cost tags.

Tags: every job, warehouse and cluster carries ``team`` and ``env`` tags, except a seeded
selection that loses its ``team`` tag until at least a quarter of the last 30 days' spend
is untagged (the cost-attribution incident).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakechat.lakehouse.system.billing import ALL_PURPOSE, NODE_DBUS, MutableUsage, PriceList, cost
from lakechat.lakehouse.system.plan import IncidentPlan
from lakechat.lakehouse.system.population import Population, rng_for

#: The untagged share of the last 30 days' spend the generator makes sure of.
UNTAGGED_SHARE = 0.28


def interactive_usage(population: Population, plan: IncidentPlan) -> list[MutableUsage]:
    """All-purpose clusters people use from notebooks, in working hours on weekdays."""
    rng = rng_for(population.seed, "interactive")
    clock = plan.clock
    records = []
    for cluster in population.clusters:
        if cluster.source == "JOB":
            continue
        rate = NODE_DBUS[cluster.node_type] * (cluster.workers + 1)
        for day in clock.days():
            if day.weekday() >= 5:
                continue
            for hour in range(9, 18):
                start = clock.at(day, hour)
                if start >= clock.snapshot or rng.random() > 0.45:
                    continue
                records.append(
                    MutableUsage(
                        workspace_id=cluster.workspace_id,
                        sku=ALL_PURPOSE,
                        start=start,
                        end=start + dt.timedelta(hours=1),
                        dbus=rate * rng.uniform(0.5, 1.0),
                        entity=f"cluster:{cluster.cluster_id}",
                        metadata={"cluster_id": cluster.cluster_id, "node_type": cluster.node_type},
                        run_as=cluster.owner,
                        origin="ALL_PURPOSE",
                        features={"is_serverless": False, "is_photon": False},
                    )
                )
    return records


def scale_cost_spike(
    records: list[MutableUsage], plan: IncidentPlan, prices: PriceList, ratio: float = 4.0
) -> None:
    """Size yesterday's runaway job so the workspace spends ``ratio`` times its usual day."""
    clock = plan.clock
    workspace = plan.cost_workspace.workspace_id
    entity = f"job:{plan.cost_job.job_id}"
    daily: dict[dt.date, float] = {}
    spike: list[MutableUsage] = []
    for record in records:
        if record.workspace_id != workspace:
            continue
        if record.entity == entity and record.start.date() == clock.yesterday:
            spike.append(record)
        else:
            daily[record.start.date()] = daily.get(record.start.date(), 0.0) + cost(record, prices)
    window = sorted(daily.get(clock.yesterday - dt.timedelta(days=d), 0.0) for d in range(1, 15))
    median = (window[6] + window[7]) / 2
    needed = ratio * median - daily.get(clock.yesterday, 0.0)
    current = sum(cost(r, prices) for r in spike)
    factor = max(1.0, needed / current) if current else 1.0
    for record in spike:
        record.dbus *= factor


def cost_tags(
    population: Population, plan: IncidentPlan, records: list[MutableUsage], prices: PriceList
) -> dict[str, dict[str, str]]:
    """Tags per entity key; enough entities lose ``team`` to leave the share untagged."""
    teams = {f"job:{j.job_id}": j.team for j in population.jobs}
    teams |= {f"warehouse:{w.warehouse_id}": w.team for w in population.warehouses}
    teams |= {f"cluster:{c.cluster_id}": c.team for c in population.clusters}
    since = plan.clock.snapshot - dt.timedelta(days=30)
    spend: dict[str, float] = {}
    for record in records:
        if record.start >= since:
            spend[record.entity] = spend.get(record.entity, 0.0) + cost(record, prices)
    total = sum(spend.values())
    rng = rng_for(population.seed, "tags")
    order = sorted(teams)
    rng.shuffle(order)
    protected = {f"job:{plan.cost_job.job_id}"}  # its spike must stay attributable
    untagged: set[str] = set()
    for entity in order:
        if sum(spend.get(e, 0.0) for e in untagged) >= UNTAGGED_SHARE * total:
            break
        if entity not in protected:
            untagged.add(entity)
    env = {w.workspace_id: ("dev" if "dev" in w.name else "prod") for w in population.workspaces}
    workspace_of = {f"job:{j.job_id}": j.workspace_id for j in population.jobs}
    workspace_of |= {f"warehouse:{w.warehouse_id}": w.workspace_id for w in population.warehouses}
    workspace_of |= {f"cluster:{c.cluster_id}": c.workspace_id for c in population.clusters}
    return {
        entity: (
            {"env": env[workspace_of[entity]]}
            if entity in untagged
            else {"team": team, "env": env[workspace_of[entity]]}
        )
        for entity, team in teams.items()
    }


def cluster_rows(
    population: Population, plan: IncidentPlan, tags: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    created = plan.clock.at(plan.clock.first_day - dt.timedelta(days=60), 10)
    return [
        {
            "account_id": population.account_id,
            "workspace_id": c.workspace_id,
            "cluster_id": c.cluster_id,
            "cluster_name": c.name,
            "owned_by": c.owner,
            "create_time": created,
            "delete_time": None,
            "driver_node_type": c.node_type,
            "worker_node_type": c.node_type,
            "worker_count": c.workers,
            "min_autoscale_workers": None,
            "max_autoscale_workers": None,
            "auto_termination_minutes": 0 if c.source == "JOB" else 60,
            "enable_elastic_disk": True,
            "tags": tags.get(f"cluster:{c.cluster_id}", {}),
            "cluster_source": c.source,
            "init_scripts": [],
            "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "first_on_demand": 1, "zone_id": "us-east-1a"},
            "azure_attributes": None,
            "gcp_attributes": None,
            "driver_instance_pool_id": None,
            "worker_instance_pool_id": None,
            "dbr_version": "15.4.x-scala2.12",
            "change_time": created,
            "change_date": created.date(),
            "data_security_mode": "USER_ISOLATION" if c.source != "JOB" else "SINGLE_USER",
            "policy_id": None,
        }
        for c in population.clusters
    ]  # fmt: skip


def warehouse_rows(
    population: Population, plan: IncidentPlan, tags: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    created = plan.clock.at(plan.clock.first_day - dt.timedelta(days=30), 11)
    return [
        {
            "warehouse_id": w.warehouse_id,
            "workspace_id": w.workspace_id,
            "account_id": population.account_id,
            "warehouse_name": w.name,
            "warehouse_type": "SERVERLESS" if w.serverless else w.warehouse_type,
            "warehouse_channel": "CURRENT",
            "warehouse_size": w.size,
            "min_clusters": 1,
            "max_clusters": w.max_clusters,
            "auto_stop_minutes": w.auto_stop_minutes,
            "tags": tags.get(f"warehouse:{w.warehouse_id}", {}),
            "change_time": created,
            "delete_time": None,
        }
        for w in population.warehouses
    ]
