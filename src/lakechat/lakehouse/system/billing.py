"""billing.list_prices and billing.usage records, priced the way Databricks documents it.

Cost is ``usage_quantity * pricing.effective_list.default`` of the list price whose
``[price_start_time, price_end_time)`` holds the usage's end time, joined on ``sku_name``
(and ``usage_unit``). One SKU changes price during the window, so a join that ignores the
time range double-counts and is caught by the tests.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lakechat.lakehouse.system.plan import Clock
from lakechat.lakehouse.system.population import Population, stable_uuid

JOBS = "PREMIUM_JOBS_COMPUTE"
JOBS_PHOTON = "PREMIUM_JOBS_COMPUTE_(PHOTON)"
ALL_PURPOSE = "PREMIUM_ALL_PURPOSE_COMPUTE"
SQL_CLASSIC = "PREMIUM_SQL_COMPUTE_US_EAST_N_VIRGINIA"
SQL_PRO = "PREMIUM_SQL_PRO_COMPUTE_US_EAST_N_VIRGINIA"
SQL_SERVERLESS = "PREMIUM_SERVERLESS_SQL_COMPUTE_US_EAST_N_VIRGINIA"

#: USD per DBU; ALL_PURPOSE's price rises 45 days before the as-of day.
BASE_PRICES = {
    JOBS: Decimal("0.15"),
    JOBS_PHOTON: Decimal("0.15"),
    ALL_PURPOSE: Decimal("0.55"),
    SQL_CLASSIC: Decimal("0.22"),
    SQL_PRO: Decimal("0.55"),
    SQL_SERVERLESS: Decimal("0.70"),
}
RAISED = (ALL_PURPOSE, Decimal("0.65"))
PRICES_SINCE = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)

#: DBUs per hour of one node, and of one cluster of a SQL warehouse by size.
NODE_DBUS = {"i3.xlarge": 1.0, "m5d.2xlarge": 1.37, "r5d.2xlarge": 1.5, "c5d.4xlarge": 2.0}
WAREHOUSE_DBUS = {"2X-Small": 4, "X-Small": 6, "Small": 12, "Medium": 24, "Large": 40}


@dataclass(frozen=True)
class PriceList:
    clock: Clock

    @property
    def change_time(self) -> dt.datetime:
        return self.clock.at(self.clock.as_of - dt.timedelta(days=45), 0)

    def price(self, sku: str, at: dt.datetime) -> Decimal:
        if sku == RAISED[0] and at >= self.change_time:
            return RAISED[1]
        return BASE_PRICES[sku]

    def rows(self, account_id: str) -> list[dict[str, Any]]:
        rows = []
        for sku, price in BASE_PRICES.items():
            end = self.change_time if sku == RAISED[0] else None
            rows.append(_price_row(account_id, sku, price, PRICES_SINCE, end))
        rows.append(_price_row(account_id, RAISED[0], RAISED[1], self.change_time, None))
        return rows


def _price_row(
    account_id: str, sku: str, price: Decimal, start: dt.datetime, end: dt.datetime | None
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "price_start_time": start,
        "price_end_time": end,
        "sku_name": sku,
        "cloud": "AWS",
        "currency_code": "USD",
        "usage_unit": "DBU",
        "pricing": {
            "default": price,
            "promotional": {"default": price},
            "effective_list": {"default": price},
        },
    }


@dataclass
class MutableUsage:
    """One hourly usage record while the generators still adjust quantity and tags."""

    workspace_id: str
    sku: str
    start: dt.datetime
    end: dt.datetime
    dbus: float
    entity: str  # "job:<id>", "warehouse:<id>" or "cluster:<id>": who the tags come from
    metadata: dict[str, str]
    run_as: str | None
    origin: str  # billing_origin_product
    features: dict[str, Any]


def hourly_slices(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at clock hours, as billing and the run timeline both record it."""
    slices = []
    cursor = start
    while cursor < end:
        boundary = cursor.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        slices.append((cursor, min(boundary, end)))
        cursor = boundary
    return slices


def usage_rows(
    population: Population,
    records: list[MutableUsage],
    tags: dict[str, dict[str, str]],
    rng: random.Random,
) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        rows.append(
            {
                "account_id": population.account_id,
                "workspace_id": record.workspace_id,
                "record_id": stable_uuid(rng),
                "sku_name": record.sku,
                "cloud": "AWS",
                "usage_start_time": record.start,
                "usage_end_time": record.end,
                "usage_date": record.start.date(),
                "custom_tags": tags.get(record.entity, {}),
                "usage_unit": "DBU",
                "usage_quantity": Decimal(f"{record.dbus:.6f}"),
                "usage_metadata": record.metadata,
                "identity_metadata": {"run_as": record.run_as} if record.run_as else None,
                "record_type": "ORIGINAL",
                "ingestion_date": record.start.date() + dt.timedelta(days=1),
                "billing_origin_product": record.origin,
                "product_features": record.features,
                "usage_type": "COMPUTE_TIME",
            }
        )
    return rows


def cost(record: MutableUsage, prices: PriceList) -> float:
    return record.dbus * float(prices.price(record.sku, record.end))
