"""Model files: the metric view format, the shipped models, and problems with file, line
and a did-you-mean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lakechat.semantic.loader import SHIPPED_MODELS, load_model_file, load_models

GOOD = """\
version: 1.1
source: samples.tpch.orders
joins:
  - name: customer
    source: samples.tpch.customer
    on: source.o_custkey = customer.c_custkey
dimensions:
  - name: order_date
    expr: o_orderdate
measures:
  - name: order_count
    expr: COUNT(*)
  - name: value
    expr: SUM(o_totalprice)
  - name: avg_value
    expr: MEASURE(value) / MEASURE(order_count)
x-lakechat:
  default_time_dimension: order_date
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_models_are_valid() -> None:
    loaded = load_models([SHIPPED_MODELS])
    assert not loaded.problems
    sales = loaded.models["tpch_sales"].view
    names = {m.name for m in sales.measures}
    assert {"revenue", "gross_revenue", "quantity", "order_count", "line_item_count",
            "avg_discount", "avg_price", "charge", "customer_count"} <= names  # fmt: skip
    joins = [j.name for j in sales.all_joins()]
    assert "customer_nation" in joins and "supplier_nation" in joins  # role-playing nations
    assert sales.extras.default_time_dimension == "order_date"
    assert sales.extras.value_synonyms["return_flag"]["R"] == ("returned",)
    assert loaded.models["tpch_orders"].view.measure("avg_order_value") is not None


def test_on_stays_a_key_and_version_is_text(tmp_path: Path) -> None:
    model, problems = load_model_file(write(tmp_path, "orders.yaml", GOOD))
    assert not problems and model is not None
    assert model.id == "orders" and model.view.version == "1.1"
    assert model.view.joins[0].on == "source.o_custkey = customer.c_custkey"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("    expr: COUNT(*)", "    exprr: COUNT(*)"), 12, "did you mean 'expr'"),
        (("dimensions:", "dimension:"), 7, "did you mean 'dimensions'"),
        (("MEASURE(value)", "MEASURE(valu)"), 16, "did you mean 'value'"),
        (("default_time_dimension: order_date", "default_time_dimension: order_dat"), 18,
         "did you mean 'order_date'"),
        (("default_time_dimension: order_date", "referential_integrity: [custmer]"), 18,
         "no join 'custmer'; did you mean 'customer'"),
        (("    on: source.o_custkey = customer.c_custkey", "    using: [o_custkey]\n    on: x = y"), 4,
         "exactly one of `on` and `using`"),
        (("version: 1.1", "version: 2.0"), 1, "version"),
        (("    expr: o_orderdate", "    expr: o_orderdate +"), 9, "does not parse"),
        (("  - name: value\n", "  - name: order_count\n"), 13, "defined twice"),
    ],
)  # fmt: skip
def test_problems_name_the_line_and_a_fix(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    assert change[0] in GOOD
    path = write(tmp_path, "broken.yaml", GOOD.replace(change[0], change[1], 1))
    model, problems = load_model_file(path)
    assert model is None and problems
    assert any(p.line == line and message in p.message for p in problems), problems
    assert all(p.file == str(path) for p in problems)


def test_bad_yaml_and_empty_files(tmp_path: Path) -> None:
    _, problems = load_model_file(write(tmp_path, "a.yaml", "version: 1.1\nsource: [unclosed\n"))
    assert problems[0].message.startswith("not valid YAML") and problems[0].line >= 2
    _, problems = load_model_file(write(tmp_path, "b.yaml", ""))
    assert problems[0].message == "the file is empty"


def test_a_broken_file_does_not_hide_the_good_ones_and_later_folders_win(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write(first, "orders.yaml", GOOD)
    write(first, "broken.yaml", "version: 1.1\n")
    write(second, "orders.yaml", GOOD.replace("samples.tpch.orders", "main.sales.orders"))
    loaded = load_models([first, second, tmp_path / "missing"])
    assert set(loaded.models) == {"orders"}
    assert loaded.models["orders"].view.source == "main.sales.orders"
    assert [p.file for p in loaded.problems] == [str(first / "broken.yaml")]


def test_cli_validate_exits_non_zero_on_any_problem(tmp_path: Path) -> None:
    write(
        tmp_path,
        "orders.yaml",
        GOOD.replace("exprr", "expr").replace("expr: COUNT", "exprr: COUNT"),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lakechat", "models", "validate", *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    bad = run(str(tmp_path))
    assert bad.returncode == 1 and "orders.yaml:12: unknown key measures.0.exprr" in bad.stderr
    good = run(str(SHIPPED_MODELS))
    shipped = len(list(SHIPPED_MODELS.glob("*.yaml")))
    assert good.returncode == 0 and f"{shipped} valid models, 0 problems" in good.stdout
