"""`lakechat models import-setupranali`: SetuPranali datasets become models that load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakechat.errors import BadRequest
from lakechat.semantic.loader import LoadedModel, load_model_file
from lakechat.semantic.setupranali import CatalogImport, convert_catalog, read_catalog

FIXTURES = Path(__file__).with_name("fixtures")
ENGINE_CATALOG = FIXTURES / "setupranali_catalog.yaml"
BY_SOURCE_CATALOG = FIXTURES / "setupranali_catalog_by_source.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakechat", "models", "import-setupranali", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def loaded(path: Path) -> LoadedModel:
    model, problems = load_model_file(path)
    assert problems == [] and model is not None, problems
    return model


def warnings_of(result: CatalogImport) -> list[str]:
    return [str(w) for w in result.warnings]


def test_cli_imports_every_dataset_as_a_model_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "models"
    result = run_cli(str(ENGINE_CATALOG), "--out-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "inventory.yaml", "marketing.yaml", "orders.yaml",
    ]  # fmt: skip
    orders = loaded(out / "orders.yaml").view
    assert orders.source == "main.sales.orders" and orders.comment == "Order-level facts"
    assert {m.name: m.expr for m in orders.measures} == {
        "total_revenue": "SUM(amount)",
        "orders_count": "COUNT(order_id)",
        "unique_customers": "COUNT(DISTINCT tenant_id)",
        "average_order_value": "AVG(amount)",
        "largest_order_qty": "MAX(qty)",
    }
    revenue = orders.measure("average_order_value")
    assert revenue is not None and revenue.display_name == "Average Order Value"
    assert revenue.format is not None and revenue.format.currency_code == "USD"
    assert revenue.format.decimal_places is not None and revenue.format.decimal_places.places == 2
    rls = orders.extras.row_level_security
    assert rls is not None and rls.tenant_column == "tenant_id" and rls.admin_bypass is True
    assert orders.extras.default_time_dimension == "order_date"  # the incremental column
    status = orders.dimension("order_status")
    assert status is not None and status.expr == "status" and status.display_name == "Status"
    assert status.comment == "Where the order is in its life cycle"
    # fields no dimension exposes stay groupable; metric fields do not become dimensions
    assert [d.name for d in orders.dimensions] == [
        "order_date", "order_status", "order_id", "tenant_id", "city",
    ]  # fmt: skip
    # every item left out is named on stderr and in the file's header
    stderr = " ".join(result.stderr.split())
    for item in ("orders: metric median_amount: aggregation 'median' is unknown",
                 "orders: tags: no metric view equivalent", "orders: defaultTimezone",
                 "orders: incremental: maxWindowDays, mode", "orders: field discount",
                 "orders: dimension order_status.hidden",
                 "marketing: metric cost_per_click: expression type 'derived'",
                 "marketing: rls.mode: in_list", "inventory: rls: disabled in the catalog"):  # fmt: skip
        assert f"warning: {item}" in stderr
    header = (out / "orders.yaml").read_text(encoding="utf-8").split("version: 1.1")[0]
    assert "# Note: metric median_amount: aggregation 'median' is unknown" in header


def test_raw_sql_is_translated_from_the_source_engine() -> None:
    result = read_catalog(ENGINE_CATALOG)
    models = {m.id: m.view for m in result.models}
    ctr = models["marketing"].measure("ctr")
    assert ctr is not None and ctr.expr == "TRY_DIVIDE(SUM(clicks), SUM(impressions)) * 100"
    assert ctr.format is not None and ctr.format.type == "percentage"
    rls = models["marketing"].extras.row_level_security
    assert rls is not None and rls.admin_bypass is False  # bypass only when the catalog says so
    inventory = models["inventory"]
    assert inventory.extras.row_level_security is None  # disabled there, and said so
    assert inventory.extras.default_time_dimension == "last_counted_at"  # a `time` field
    counted = inventory.dimension("last_counted_at")
    assert counted is not None and counted.format is not None
    assert counted.format.type == "date_time"
    assert "inventory: source: operations.v_inventory_current is not catalog.schema.table; " \
           "qualify it so it names the table in your lakehouse" in warnings_of(result)  # fmt: skip


def test_the_guide_and_per_source_shapes_import_too(tmp_path: Path) -> None:
    result = run_cli(str(BY_SOURCE_CATALOG), "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    orders = loaded(tmp_path / "orders.yaml").view
    assert orders.source == "shop.public.orders"
    assert orders.dimension("order_month").expr == "DATE_FORMAT(order_date, 'yyyy-MM')"  # type: ignore[union-attr]
    assert {m.name: m.expr for m in orders.measures} == {
        "total_revenue": "SUM(amount)",
        "order_count": "COUNT(order_id)",
        "unique_customers": "COUNT(DISTINCT customer_id)",
        "premium_ratio": "CAST(SUM(CASE WHEN tier = 'premium' THEN 1 ELSE 0 END) AS DOUBLE) "
                         "/ NULLIF(COUNT(*), 0)",
    }  # fmt: skip
    rls = orders.extras.row_level_security  # from the catalog's top-level rls map
    assert rls is not None and rls.tenant_column == "tenant_id"
    customers = loaded(tmp_path / "customers.yaml").view
    rls = customers.extras.row_level_security
    assert rls is not None and rls.tenant_column == "org_id"
    assert customers.extras.default_time_dimension == "signup_date"  # incremental.date_column
    stderr = " ".join(result.stderr.split())
    for item in ("top-level sources", "top-level api_keys", "top-level cache",
                 "orders: metric amount_p90: aggregation 'percentile' is unknown",
                 "orders: dimension order_id.primary_key", "customers: rls.additional_filters",
                 "customers: incremental: min_date"):  # fmt: skip
        assert f"warning: {item}" in stderr


def test_every_key_the_models_do_not_carry_is_warned_about() -> None:
    catalog: dict[str, Any] = {
        "version": 2,
        "datasets": {
            "sales": {
                "source": {"engine": "duckdb", "reference": "main.sales.orders", "pool": 4},
                "owner": "sales-ops",
                "fields": [{"name": "amount", "semanticType": "metric", "unit": "EUR"}],
                "dimensions": [{"name": "status", "sql": "status", "hidden": True}, {"sql": "x"}],
                "metrics": [
                    {"name": "revenue", "type": "sum", "sql": "amount", "drill": ["status"],
                     "format": "€0.00"},
                    {"name": "plain", "sql": "amount"},
                    {"name": "broken", "expr": "SUM(amount"},
                ],
                "rls": {"expression": "org = '{tenant}'"},
            }
        },
    }  # fmt: skip
    found = warnings_of(convert_catalog(catalog, origin="catalog.yaml"))
    assert found == [
        "top-level version: not part of a model; not imported",
        "sales: source.pool: no metric view equivalent; not imported",
        "sales: dimension status.hidden: no metric view equivalent; not imported",
        "sales: dimensions[1]: has no name; skipped",
        "sales: field amount.unit: no metric view equivalent; not imported",
        "sales: metric revenue.format: '€0.00' has no metric view equivalent; not imported",
        "sales: metric revenue.drill: no metric view equivalent; not imported",
        "sales: metric plain: amount aggregates nothing, and a measure must (SUM(...)); skipped",
        "sales: metric broken: does not parse as duckdb SQL; skipped",
        "sales: rls.expression: no metric view equivalent; not imported",
        "sales: rls: names no tenant column; add row_level_security to the model by hand",
        "sales: owner: no metric view equivalent; not imported",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("datasets: [unclosed\n", ":2: not valid YAML"),
        ("- just\n- a list\n", "needs a top-level `datasets` list"),
        ("datasets: 3\n", "needs a top-level `datasets` list"),
        ("datasets:\n  - id: a\n    metrics: []\n", "datasets[0] (a) names no table"),
        ("datasets:\n  - source: {reference: a.b.c}\n", "datasets[0] has no id or name"),
        ("datasets:\n  - id: a\n    table: a.b.c\n  - id: a\n    table: a.b.d\n",
         "datasets[1] (a): the id 'a' is used twice"),
        ("datasets:\n  - id: a\n    table: a.b.c\n    metrics: [{name: m, agg: median}]\n",
         "could be imported: a: metric m: aggregation 'median' is unknown"),
    ],
)  # fmt: skip
def test_a_malformed_catalog_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadRequest) as caught:
        read_catalog(path)
    assert message in caught.value.message


def test_cli_malformed_catalog_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    data = yaml.safe_load(ENGINE_CATALOG.read_text(encoding="utf-8"))
    data["datasets"].append({"id": "broken", "fields": []})  # no source table
    catalog.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_cli(str(catalog), "--out-dir", str(tmp_path / "models"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "datasets[3] (broken) names no table" in " ".join(result.stderr.split())
    assert not (tmp_path / "models").exists()


def test_cli_never_replaces_models_without_force(tmp_path: Path, home: Path) -> None:
    assert run_cli(str(ENGINE_CATALOG)).returncode == 0  # default: the data dir's models
    orders = home / "models" / "orders.yaml"
    orders.write_text(orders.read_text(encoding="utf-8") + "# kept\n", encoding="utf-8")
    again = run_cli(str(ENGINE_CATALOG))
    assert again.returncode == 1 and "already exist; pass --force" in again.stderr
    assert orders.read_text(encoding="utf-8").endswith("# kept\n")
    assert run_cli(str(ENGINE_CATALOG), "--force", "--json").returncode == 0
    assert not orders.read_text(encoding="utf-8").endswith("# kept\n")
