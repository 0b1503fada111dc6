"""`lakechat models draft`: a starter model from a table's columns that loads as written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from lakechat.errors import BadRequest, Conflict, NotFound, QueryFailed
from lakechat.semantic.draft import (
    TableColumn,
    TableName,
    draft_model,
    model_yaml,
    parse_table_name,
    read_table,
    write_model_files,
)
from lakechat.semantic.loader import load_model_file
from lakechat.settings import default_lakehouse_path
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

SALES = TableName("shop", "retail", "sales")
COLUMNS = [
    TableColumn("sale_id", "BIGINT"),
    TableColumn("customerId", "VARCHAR"),
    TableColumn("sold_at", "TIMESTAMP WITH TIME ZONE"),
    TableColumn("sale_date", "DATE", "Day the sale was booked"),
    TableColumn("region", "VARCHAR"),
    TableColumn("is_online", "BOOLEAN"),
    TableColumn("Unit Price", "DECIMAL(10,2)"),
    TableColumn("quantity", "INTEGER"),
    TableColumn("select", "VARCHAR"),
    TableColumn("tags", "VARCHAR[]"),
    TableColumn("row_count", "INTEGER"),
]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakechat", "models", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("main.sales.orders", TableName("main", "sales", "orders")),
        ("`my cat`.sales.`order lines`", TableName("my cat", "sales", "order lines")),
    ],
)
def test_table_names_are_three_parts(text: str, expected: TableName) -> None:
    assert parse_table_name(text) == expected


@pytest.mark.parametrize(
    "text", ["orders", "sales.orders", "a.b.c.d", "main.sales.orders; DROP TABLE x",
             "main.sales.orders o", "read_csv('x')", ""],
)  # fmt: skip
def test_other_table_names_are_refused(text: str) -> None:
    with pytest.raises(BadRequest, match=r"catalog\.schema\.table"):
        parse_table_name(text)


def test_columns_become_dimensions_and_measures() -> None:
    drafted = draft_model(SALES, COLUMNS, dialect="duckdb", table_comment="One row per sale")
    view = drafted.view
    assert view.source == "shop.retail.sales" and view.comment == "One row per sale"
    dims = {d.name: d for d in view.dimensions}
    assert list(dims) == ["sold_at", "sale_date", "region", "is_online", "select"]
    assert dims["sale_date"].format is not None and dims["sale_date"].format.type == "date"
    assert dims["sale_date"].comment == "Day the sale was booked"
    assert dims["sale_date"].display_name == "Sale date"
    assert dims["sold_at"].format is not None and dims["sold_at"].format.type == "date_time"
    assert dims["select"].expr == "`select`"  # a keyword is quoted
    # the first DATE column is the default time dimension, even after a timestamp
    assert view.extras.default_time_dimension == "sale_date"
    exprs = {m.name: m.expr for m in view.measures}
    assert exprs == {
        "row_count": "COUNT(*)",
        "sale_count": "COUNT(DISTINCT sale_id)",  # identifiers are counted, never summed
        "customer_count": "COUNT(DISTINCT customerId)",
        "total_unit_price": "SUM(`Unit Price`)",
        "avg_unit_price": "AVG(`Unit Price`)",
        "total_quantity": "SUM(quantity)",
        "avg_quantity": "AVG(quantity)",
        "total_row_count": "SUM(row_count)",
        "avg_row_count": "AVG(row_count)",
    }
    assert view.measure("avg_unit_price").display_name == "Average unit price"  # type: ignore[union-attr]
    assert drafted.notes == (
        "skipped column tags (VARCHAR[]): no dimension or measure fits this type",
    )


def test_a_shared_column_prefix_is_dropped_from_names() -> None:
    columns = [TableColumn("o_orderkey", "BIGINT"), TableColumn("o_orderdate", "DATE"),
               TableColumn("o_totalprice", "DECIMAL(15,2)")]  # fmt: skip
    view = draft_model(TableName("samples", "tpch", "orders"), columns, dialect="duckdb").view
    assert [d.name for d in view.dimensions] == ["orderdate"]
    assert view.dimensions[0].expr == "o_orderdate"
    assert [m.name for m in view.measures] == [
        "row_count", "order_count", "total_totalprice", "avg_totalprice",
    ]  # fmt: skip


def test_the_written_yaml_loads_back_as_the_same_model(tmp_path: Path) -> None:
    drafted = draft_model(SALES, COLUMNS, dialect="duckdb")
    path = tmp_path / "sales.yaml"
    write_model_files([(path, model_yaml(drafted.view, ["Drafted", "", "Note: x"]))], force=False)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Drafted\n#\n# Note: x\nversion: 1.1\n")
    assert "format: {type: date, date_format: year_month_day}" in text
    model, problems = load_model_file(path)
    assert problems == [] and model is not None
    assert model.id == "sales" and model.view == drafted.view


def test_files_are_never_replaced_without_force(tmp_path: Path) -> None:
    view = draft_model(SALES, COLUMNS, dialect="duckdb").view
    path = tmp_path / "models" / "sales.yaml"
    write_model_files([(path, model_yaml(view))], force=False)
    path.write_text("# edited by hand\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(Conflict, match="already exists; pass --force"):
        write_model_files([(path, model_yaml(view))], force=False)
    assert path.read_text(encoding="utf-8").startswith("# edited by hand")
    write_model_files([(path, model_yaml(view))], force=True)
    assert not path.read_text(encoding="utf-8").startswith("# edited by hand")
    assert sorted(p.name for p in path.parent.iterdir()) == ["sales.yaml"]  # no leftovers


@pytest.fixture
def commented_lakehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    """A catalog ``shop`` and a ``system`` catalog whose information_schema has comments."""
    folder = tmp_path / "lakehouse"
    folder.mkdir()
    with duckdb.connect(str(folder / "shop.duckdb")) as conn:
        conn.execute("CREATE SCHEMA retail; CREATE TABLE retail.sales (sale_id BIGINT, "
                     "region VARCHAR, sale_date DATE, amount DECIMAL(12,2))")  # fmt: skip
    with duckdb.connect(str(folder / "system.duckdb")) as conn:
        conn.execute("""
            CREATE SCHEMA uc_information_schema;
            CREATE TABLE uc_information_schema.tables (table_catalog VARCHAR,
              table_schema VARCHAR, table_name VARCHAR, comment VARCHAR);
            CREATE TABLE uc_information_schema.columns (table_catalog VARCHAR,
              table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, comment VARCHAR);
            INSERT INTO uc_information_schema.tables VALUES
              ('shop', 'retail', 'sales', 'One row per sale'),
              ('shop', 'retail', 'returns', 'Not this one');
            INSERT INTO uc_information_schema.columns VALUES
              ('shop', 'retail', 'sales', 'region', 'Sales region of the store'),
              ('shop', 'retail', 'sales', 'amount', 'Net amount in EUR'),
              ('shop', 'other', 'sales', 'sale_date', 'Not this one');
        """)
    warehouse = DuckDBWarehouse(folder)
    yield warehouse
    warehouse.close()


def test_comments_come_from_the_governed_metadata(commented_lakehouse: DuckDBWarehouse) -> None:
    columns, comment = read_table(commented_lakehouse, SALES, timeout_seconds=30)
    assert comment == "One row per sale"
    assert [(c.name, c.comment) for c in columns] == [
        ("sale_id", None), ("region", "Sales region of the store"), ("sale_date", None),
        ("amount", "Net amount in EUR"),
    ]  # fmt: skip
    view = draft_model(SALES, columns, dialect="duckdb", table_comment=comment).view
    assert view.comment == "One row per sale"
    assert view.dimension("region").comment == "Sales region of the store"  # type: ignore[union-attr]
    assert view.measure("total_amount").comment == "Net amount in EUR"  # type: ignore[union-attr]


def test_unknown_tables_and_catalogs_say_so(commented_lakehouse: DuckDBWarehouse) -> None:
    with pytest.raises(NotFound, match=r"no catalog .nope. .*it has: shop, system"):
        read_table(commented_lakehouse, TableName("nope", "retail", "sales"), timeout_seconds=30)
    with pytest.raises(QueryFailed, match=r"cannot read the columns of shop\.retail\.missing"):
        read_table(commented_lakehouse, TableName("shop", "retail", "missing"), timeout_seconds=30)


def test_cli_drafts_the_demo_orders_table(
    tpch_home: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_PATH", str(default_lakehouse_path(tpch_home)))
    first = run_cli("draft", "--table", "main.sales.orders")
    assert first.returncode == 0, first.stderr
    path = home / "models" / "orders.yaml"
    assert f"wrote {path}" in first.stdout.replace("\n", "")
    model, problems = load_model_file(path)
    assert problems == [] and model is not None
    assert model.view.source == "main.sales.orders"
    assert model.view.extras.default_time_dimension == "order_date"
    assert model.view.measure("total_amount").expr == "SUM(amount)"  # type: ignore[union-attr]
    assert model.view.measure("total_order") is None  # order_id is counted, not summed
    listed = run_cli("list", "--json")
    assert '"id": "orders"' in listed.stdout

    again = run_cli("draft", "--table", "main.sales.orders")
    assert again.returncode == 1 and "already exists; pass --force" in again.stderr
    assert run_cli("draft", "--table", "main.sales.orders", "--force").returncode == 0
    named = run_cli("draft", "--table", "main.sales.orders", "--name", "sales_orders", "--json")
    assert named.returncode == 0 and (home / "models" / "sales_orders.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--table", "sales.orders"), "name the table as catalog.schema.table"),
        (("--table", "main.sales.nope"), "cannot read the columns of main.sales.nope"),
        (("--table", "nope.sales.orders"), "the warehouse has no catalog 'nope'"),
        (("--table", "main.sales.orders", "--out", "x.txt"), "a model file ends in .yaml"),
        (("--table", "main.sales.orders", "--name", "../x"), "--name '../x'"),
        (
            ("--table", "main.sales.orders", "--name", "job_runs"),
            "lakechat ships a model called job_runs",
        ),
    ],
)
def test_cli_bad_input_is_one_clear_line(
    tpch_home: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.setenv("LAKEHOUSE_PATH", str(default_lakehouse_path(tpch_home)))
    result = run_cli("draft", *args)
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
