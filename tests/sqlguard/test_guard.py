"""The SQL guard: every generated attack is refused, every analytical query passes unchanged."""

from __future__ import annotations

import pytest

from lakechat.errors import LakechatError
from lakechat.lakehouse.samples import tpch_kit
from lakechat.sqlguard.guard import GuardPolicy, check
from lakechat.warehouse.duckdb_provider import DuckDBWarehouse
from tests.sqlguard.corpus import attacks, valid_queries

POLICY = GuardPolicy(dialect="duckdb", allowed_tables=("samples.tpch.*",), max_rows=10_000)
ATTACKS = attacks()
VALID = [kit.sql for kit in tpch_kit()] + valid_queries()


def test_the_corpora_are_large_enough() -> None:
    assert len(ATTACKS) >= 500
    assert len(set(VALID)) >= 200


@pytest.mark.parametrize("sql", ATTACKS)
def test_every_attack_is_refused(sql: str) -> None:
    with pytest.raises(LakechatError) as refused:
        check(sql, POLICY)
    assert refused.value.code.startswith("guard."), (sql, refused.value.code)
    assert refused.value.message


def test_the_valid_queries_pass_unchanged_and_run(duckdb_warehouse: DuckDBWarehouse) -> None:
    for sql in VALID:
        verdict = check(sql, POLICY)
        assert verdict.sql == sql.strip(), sql
        assert not verdict.limit_applied
        duckdb_warehouse.execute(verdict.sql, max_rows=10_000, timeout_seconds=60)


@pytest.mark.parametrize(
    ("sql", "code", "words"),
    [
        ("SELECT 1; SELECT 2", "guard.multiple_statements", "one statement"),
        ("DELETE FROM samples.tpch.nation", "guard.write_not_allowed", "DELETE"),
        (
            "WITH x AS (DELETE FROM samples.tpch.nation RETURNING *) SELECT * FROM x",
            "guard.write_not_allowed",
            "DELETE",
        ),
        ("SELECT * FROM read_csv('/etc/passwd')", "guard.function_not_allowed", "read_csv"),
        ("SELECT * FROM '/etc/passwd'", "guard.function_not_allowed", "file"),
        ("SELECT * FROM main.hr.salaries", "guard.table_not_allowed", "main.hr.salaries"),
        ("SELECT * FROM nation", "guard.table_not_allowed", "catalog.schema.table"),
        ("SELEC 1", "guard.parse_error", "not valid duckdb SQL"),
        ("   ", "guard.parse_error", "empty"),
    ],
)
def test_refusals_say_why(sql: str, code: str, words: str) -> None:
    with pytest.raises(LakechatError) as refused:
        check(sql, POLICY)
    assert refused.value.code == code
    assert words in refused.value.message


def test_status_codes() -> None:
    with pytest.raises(LakechatError) as table:
        check("SELECT * FROM main.hr.salaries", POLICY)
    assert table.value.status == 403
    with pytest.raises(LakechatError) as write:
        check("DROP TABLE samples.tpch.nation", POLICY)
    assert write.value.status == 400


def test_a_large_limit_is_brought_down_and_rechecked() -> None:
    verdict = check("SELECT * FROM samples.tpch.lineitem LIMIT 50000", POLICY)
    assert verdict.limit_applied and verdict.sql.endswith("LIMIT 10000")
    small = check("SELECT * FROM samples.tpch.lineitem LIMIT 50", POLICY)
    assert not small.limit_applied and small.sql.endswith("LIMIT 50")
    unbounded = check("SELECT * FROM samples.tpch.lineitem", POLICY)
    assert not unbounded.limit_applied  # the warehouse caps rows; the text runs as written


def test_tables_read_are_reported_once_each() -> None:
    verdict = check(
        "WITH t AS (SELECT * FROM samples.tpch.orders) SELECT * FROM t JOIN samples.tpch.customer c ON true "
        "JOIN samples.tpch.orders o2 ON true",
        POLICY,
    )
    assert verdict.tables == ("samples.tpch.customer", "samples.tpch.orders")


def test_allow_list_patterns() -> None:
    narrow = GuardPolicy(
        dialect="duckdb", allowed_tables=("samples.tpch.nation", "samples.tpch.reg*"), max_rows=10
    )
    check("SELECT * FROM samples.tpch.nation JOIN samples.tpch.region ON true", narrow)
    with pytest.raises(LakechatError, match=r"samples\.tpch\.orders"):
        check("SELECT * FROM samples.tpch.orders", narrow)


def test_system_schemas_stay_closed_under_wildcards() -> None:
    wide = GuardPolicy(dialect="postgres", allowed_tables=("samples.*.*",), max_rows=10)
    check("SELECT * FROM samples.tpch.nation", wide)
    for sql in (
        "SELECT * FROM samples.pg_catalog.pg_authid",
        "SELECT * FROM samples.information_schema.tables",
    ):
        with pytest.raises(LakechatError, match="system schemas"):
            check(sql, wide)


def test_fetch_first_is_capped_like_limit() -> None:
    verdict = check("SELECT * FROM samples.tpch.nation FETCH FIRST 50000 ROWS ONLY", POLICY)
    assert verdict.limit_applied and "10000" in verdict.sql


def test_a_cte_only_shadows_inside_its_own_query() -> None:
    # the inner "nation" is the CTE; the outer one is the real, allowed table: fine
    check(
        "SELECT * FROM samples.tpch.nation, (WITH nation AS (SELECT 1) SELECT * FROM nation) x",
        POLICY,
    )
    # but a bare outer name is not covered by an inner CTE of the same name
    with pytest.raises(LakechatError, match=r"catalog\.schema\.table"):
        check("SELECT * FROM nation, (WITH nation AS (SELECT 1) SELECT * FROM nation) x", POLICY)


def test_postgres_dialect_attacks_are_refused() -> None:
    pg = GuardPolicy(dialect="postgres", allowed_tables=("samples.tpch.*",), max_rows=10)
    for sql in (
        "SELECT query_to_xml('SELECT * FROM hr.salaries', true, false, '')",
        "SELECT lo_unlink(1)",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT * FROM payroll, (WITH payroll AS (SELECT 1) SELECT * FROM payroll) x",
    ):
        with pytest.raises(LakechatError) as refused:
            check(sql, pg)
        assert refused.value.code.startswith("guard."), sql
