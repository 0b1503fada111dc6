"""Generated SQL corpora for the guard: attacks that must be refused, queries that must pass."""

from __future__ import annotations

import itertools

T = "samples.tpch"

WRITES = [
    f"INSERT INTO {T}.nation VALUES (99, 'X', 0, 'x')",
    f"INSERT INTO {T}.nation SELECT * FROM {T}.nation",
    f"UPDATE {T}.nation SET n_name = 'X'",
    f"DELETE FROM {T}.nation",
    f"DELETE FROM {T}.nation WHERE n_nationkey = 1",
    f"DROP TABLE {T}.nation",
    f"DROP SCHEMA {T} CASCADE",
    f"CREATE TABLE {T}.copy AS SELECT * FROM {T}.nation",
    f"CREATE OR REPLACE TABLE {T}.nation (x INT)",
    "CREATE VIEW v AS SELECT 1",
    "CREATE MACRO m(x) AS x + 1",
    "CREATE SCHEMA evil",
    f"ALTER TABLE {T}.nation ADD COLUMN x INT",
    f"ALTER TABLE {T}.nation RENAME TO n2",
    f"TRUNCATE {T}.nation",
    f"MERGE INTO {T}.nation t USING {T}.region r ON t.n_regionkey = r.r_regionkey WHEN MATCHED THEN DELETE",
    f"COPY {T}.nation TO '/tmp/lakechat-x.csv'",
    f"COPY {T}.nation FROM '/tmp/lakechat-x.csv'",
    f"COPY (SELECT * FROM {T}.nation) TO '/tmp/lakechat-x.parquet' (FORMAT parquet)",
    "ATTACH '/tmp/lakechat-x.duckdb' AS x",
    "ATTACH 'postgres:dbname=test' AS pg (TYPE postgres)",
    "DETACH samples",
    "INSTALL httpfs",
    "FORCE INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET GLOBAL threads = 1",
    "RESET ALL",
    "PRAGMA enable_profiling",
    "PRAGMA database_list",
    "CALL dbgen(sf = 1)",
    "CALL pragma_table_info('x')",
    "CHECKPOINT",
    "FORCE CHECKPOINT",
    "EXPORT DATABASE '/tmp/lakechat-export'",
    "IMPORT DATABASE '/tmp/lakechat-export'",
    "USE samples",
    "BEGIN TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "VACUUM",
    "ANALYZE",
    f"GRANT SELECT ON {T}.nation TO bob",
    f"REVOKE SELECT ON {T}.nation FROM bob",
    f"COMMENT ON TABLE {T}.nation IS 'x'",
    f"SELECT * INTO {T}.copy FROM {T}.nation",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    "DROP SECRET s",
    "CREATE SEQUENCE s",
    f"CREATE INDEX i ON {T}.nation (n_name)",
    f"SELECT * FROM {T}.nation FOR UPDATE",
    "DEALLOCATE ALL",
    "PREPARE p AS SELECT 1",
    "EXECUTE p",
]

HIDDEN_WRITES = [
    f"WITH x AS (DELETE FROM {T}.nation RETURNING *) SELECT * FROM x",
    f"WITH x AS (INSERT INTO {T}.nation VALUES (1, 'a', 1, 'a') RETURNING *) SELECT * FROM x",
    f"WITH x AS (UPDATE {T}.nation SET n_name = 'a' RETURNING *) SELECT count(*) FROM x",
    f"SELECT * FROM (DELETE FROM {T}.nation RETURNING *) t",
    f"SELECT * FROM {T}.nation WHERE n_nationkey IN (SELECT n_nationkey FROM (DELETE FROM {T}.nation RETURNING n_nationkey))",
]

FILE_AND_SECRET_READS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "SELECT * FROM parquet_scan('/data/*.parquet')",
    "SELECT * FROM read_json('/etc/x.json')",
    "SELECT * FROM read_json_auto('https://example.com/x.json')",
    "SELECT * FROM read_ndjson('/tmp/x.ndjson')",
    "SELECT * FROM read_text('/etc/shadow')",
    "SELECT * FROM read_blob('/etc/shadow')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM parquet_metadata('/x.parquet')",
    "SELECT * FROM parquet_schema('/x.parquet')",
    "SELECT * FROM delta_scan('s3://b/t')",
    "SELECT * FROM iceberg_scan('s3://b/t')",
    "SELECT * FROM sqlite_scan('/tmp/x.db', 't')",
    "SELECT * FROM postgres_scan('dbname=test', 'public', 't')",
    "SELECT * FROM postgres_query('db', 'DROP TABLE t')",
    "SELECT * FROM mysql_scan('db', 't')",
    "SELECT * FROM query('DELETE FROM samples.tpch.nation')",
    "SELECT * FROM query_table('samples.tpch.nation')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT * FROM '/data/*.parquet'",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_tables()",
    "SELECT getenv('HOME')",
    "SELECT getenv('DATABRICKS_TOKEN') AS t",
    "SELECT current_setting('threads')",
    "SELECT which_secret('s3://b', 's3')",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_ls_dir('/')",
    "SELECT pg_sleep(600)",
    "SELECT set_config('search_path', 'x', false)",
    "SELECT lo_import('/etc/passwd')",
    "SELECT dblink('host=evil', 'SELECT 1')",
    "SELECT http_get('https://example.com')",
    "SELECT secret('scope', 'key')",
    "SELECT reflect('java.lang.Runtime', 'getRuntime')",
    "SELECT java_method('java.lang.System', 'getenv', 'HOME')",
    "SELECT try_reflect('java.lang.Runtime', 'getRuntime')",
    "SELECT read_text('/etc/passwd')",
]

#: Found by an adversarial review: functions in every position, SQL run from strings,
#: settings, large objects and server-level changes.
REVIEWED_BYPASSES = [
    "SELECT * FROM LATERAL json_execute_serialized_sql(json_serialize_sql('SELECT * FROM secret.hr.salaries'))",
    "SELECT t.* FROM samples.tpch.region n, LATERAL read_duckdb('/tmp/x/secret.duckdb', table_name='salaries') t",
    "SELECT * FROM LATERAL enable_logging(storage='file', storage_path='/tmp/x')",
    "SELECT * FROM LATERAL enable_logging('QueryLog')",
    "SELECT type, message FROM LATERAL duckdb_logs() t",
    "SELECT * FROM LATERAL checkpoint()",
    "SELECT * FROM LATERAL enable_profiling()",
    "SELECT * FROM LATERAL pragma_storage_info('secret.hr.salaries')",
    "SUMMARIZE SELECT * FROM LATERAL duckdb_databases()",
    "SELECT d.database_name, d.path FROM duckdb_databases d, (WITH duckdb_databases AS (SELECT 1 AS one) SELECT * FROM duckdb_databases) x",
    "SELECT * FROM payroll, (WITH payroll AS (SELECT 1) SELECT * FROM payroll) x",
    "SELECT * FROM duckdb_columns",
    "SELECT query_to_xml('SELECT * FROM hr.salaries', true, false, '')",
    "SELECT table_to_xml('hr.salaries', true, false, '')",
    "SELECT database_to_xml(true, false, '')",
    "SELECT * FROM ts_stat('SELECT 1')",
    "SELECT lo_unlink(36296)",
    "SELECT lo_create(0)",
    "SELECT lo_from_bytea(0, decode('00', 'hex'))",
    "SELECT loread(lo_open(36296, 262144), 100)",
    "SELECT pg_create_physical_replication_slot('slot', true)",
    "SELECT pg_advisory_lock(42)",
    "SELECT pg_switch_wal()",
    "SELECT pg_create_restore_point('x')",
    "SELECT pg_stat_reset()",
    "SELECT pg_notify('chan', 'x')",
    "SELECT pg_backup_start('x')",
    "SELECT (pg_show_all_settings()).name",
    "SELECT pg_ls_waldir()",
    "SELECT nextval('seq')",
    "SHOW ALL TABLES",
    "SELECT rolname FROM samples.pg_catalog.pg_authid",
    "SELECT * FROM samples.information_schema.tables",
]

OUTSIDE_THE_ALLOW_LIST = [
    "SELECT * FROM main.hr.salaries",
    "SELECT * FROM system.access.audit",
    "SELECT * FROM samples.other.secrets",
    "SELECT * FROM tpch.nation",
    "SELECT * FROM nation",
    "SELECT * FROM information_schema.tables",
    f"SELECT n_name FROM {T}.nation UNION ALL SELECT name FROM main.hr.salaries",
    f"SELECT * FROM {T}.nation n JOIN main.hr.salaries s ON true",
    f"SELECT * FROM {T}.nation WHERE n_nationkey IN (SELECT id FROM main.hr.salaries)",
    "WITH s AS (SELECT * FROM main.hr.salaries) SELECT * FROM s",
    "DESCRIBE main.hr.salaries",
    "SUMMARIZE main.hr.salaries",
    "EXPLAIN SELECT * FROM main.hr.salaries",
    'SELECT * FROM "main"."hr"."salaries"',
]


def _case_variants(sql: str) -> list[str]:
    return [
        sql,
        sql.lower(),
        sql.upper(),
        "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(sql)),
    ]


def _dressings(sql: str) -> list[str]:
    return [
        f"/* analytics */ {sql}",
        f"{sql} -- done",
        sql.replace(" ", "\n\t", 2),
        f"  {sql} ;  ",
        f"SELECT 1; {sql}",
        f"{sql}; SELECT 1",
        f"{sql};{sql}",
    ]


def _wrapped_reads(sql: str) -> list[str]:
    return [
        f"SELECT * FROM ({sql}) t",
        f"WITH t AS ({sql}) SELECT * FROM t",
        f"SELECT n_name FROM {T}.nation UNION ALL SELECT * FROM ({sql}) u",
        f"SELECT * FROM {T}.nation WHERE EXISTS ({sql})",
        f"EXPLAIN {sql}",
    ]


def attacks() -> list[str]:
    """At least 500 distinct statements the guard must refuse."""
    out: set[str] = set()
    for sql in WRITES + HIDDEN_WRITES:
        out.update(_case_variants(sql))
        out.update(_dressings(sql))
        out.add(f"EXPLAIN {sql}")
    for sql in FILE_AND_SECRET_READS + OUTSIDE_THE_ALLOW_LIST + REVIEWED_BYPASSES:
        out.update(_case_variants(sql))
        out.update(_dressings(sql))
        out.update(_wrapped_reads(sql))
    out.add("")
    out.add(";;")
    out.add("SELEC * FROM samples.tpch.nation")
    out.add("SELECT * FROM samples.tpch.nation WHERE")
    out.add("SELECT 'unterminated")
    return sorted(out)


NUMERIC = {
    "lineitem": ["l_quantity", "l_extendedprice", "l_discount", "l_tax"],
    "orders": ["o_totalprice"],
    "customer": ["c_acctbal"],
    "part": ["p_retailprice", "p_size"],
    "supplier": ["s_acctbal"],
    "partsupp": ["ps_supplycost", "ps_availqty"],
}
DIMENSIONS = {
    "lineitem": ["l_returnflag", "l_linestatus", "l_shipmode", "l_shipinstruct"],
    "orders": ["o_orderstatus", "o_orderpriority", "o_clerk"],
    "customer": ["c_mktsegment", "c_nationkey"],
    "part": ["p_brand", "p_container", "p_type"],
    "supplier": ["s_nationkey"],
    "partsupp": ["ps_suppkey"],
}
AGGREGATES = ["sum({c})", "avg({c})", "min({c})", "max({c})", "count(DISTINCT {c})"]


def valid_queries() -> list[str]:
    """Analytical queries (besides the 22 TPC-H ones) that must pass unchanged and run."""
    out: list[str] = []
    for table, measures in NUMERIC.items():
        for measure, agg, dim in itertools.product(measures, AGGREGATES, DIMENSIONS[table][:2]):
            out.append(
                f"SELECT {dim}, {agg.format(c=measure)} AS value FROM {T}.{table} GROUP BY {dim} ORDER BY {dim}"
            )
    for table, dims in DIMENSIONS.items():
        measure = NUMERIC[table][0]
        for dim in dims:
            out.append(
                f"SELECT {dim}, count(*) AS n FROM {T}.{table} GROUP BY {dim} ORDER BY n DESC LIMIT 5"
            )
            out.append(
                f"SELECT {dim}, sum({measure}) AS total FROM {T}.{table} WHERE {measure} > 0 "
                f"GROUP BY {dim} HAVING count(*) > 1 ORDER BY total DESC"
            )
            out.append(f"SELECT count(DISTINCT {dim}) FROM {T}.{table}")
    out += [
        f"SELECT count(*) FROM {T}.orders WHERE o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1995-12-31'",
        f"SELECT date_trunc('month', o_orderdate) AS month, sum(o_totalprice) FROM {T}.orders GROUP BY 1 ORDER BY 1",
        f"SELECT extract(year FROM o_orderdate) AS y, count(*) FROM {T}.orders GROUP BY ALL ORDER BY y",
        f"SELECT n_name, count(*) AS customers FROM {T}.customer JOIN {T}.nation ON c_nationkey = n_nationkey GROUP BY n_name ORDER BY customers DESC LIMIT 5",
        f"SELECT r_name, sum(o_totalprice) FROM {T}.orders o JOIN {T}.customer c ON o.o_custkey = c.c_custkey JOIN {T}.nation n ON c.c_nationkey = n.n_nationkey JOIN {T}.region r ON n.n_regionkey = r.r_regionkey GROUP BY r_name",
        f"WITH big AS (SELECT * FROM {T}.orders WHERE o_totalprice > 300000) SELECT o_orderpriority, count(*) FROM big GROUP BY 1",
        f"WITH a AS (SELECT o_custkey, sum(o_totalprice) AS t FROM {T}.orders GROUP BY 1), b AS (SELECT * FROM a WHERE t > 1000000) SELECT count(*) FROM b",
        f"SELECT o_orderkey, rank() OVER (PARTITION BY o_orderpriority ORDER BY o_totalprice DESC) AS r FROM {T}.orders QUALIFY r <= 3",
        f"SELECT c_name, row_number() OVER (ORDER BY c_acctbal DESC) AS rn FROM {T}.customer ORDER BY rn LIMIT 10",
        f"SELECT o_orderstatus, sum(o_totalprice) / sum(sum(o_totalprice)) OVER () AS share FROM {T}.orders GROUP BY 1",
        f"SELECT CASE WHEN o_totalprice > 200000 THEN 'large' ELSE 'small' END AS size, count(*) FROM {T}.orders GROUP BY 1",
        f"SELECT upper(n_name), length(n_comment), substr(n_name, 1, 3) FROM {T}.nation",
        f"SELECT coalesce(NULL, n_name) FROM {T}.nation WHERE n_name LIKE 'A%' OR n_name IN ('CHINA', 'JAPAN')",
        f"SELECT n_name FROM {T}.nation WHERE n_regionkey NOT IN (SELECT r_regionkey FROM {T}.region WHERE r_name = 'ASIA')",
        f"SELECT n_name FROM {T}.nation UNION SELECT r_name FROM {T}.region",
        f"SELECT n_name FROM {T}.nation INTERSECT SELECT n_name FROM {T}.nation WHERE n_regionkey = 1",
        f"SELECT n_name FROM {T}.nation EXCEPT SELECT n_name FROM {T}.nation WHERE n_regionkey = 1",
        f"SELECT * FROM {T}.region",
        f"SELECT * FROM {T}.nation ORDER BY n_name LIMIT 10 OFFSET 5",
        f"SELECT DISTINCT l_shipmode FROM {T}.lineitem",
        f"SELECT l_shipmode, count(*) FILTER (WHERE l_returnflag = 'R') AS returned FROM {T}.lineitem GROUP BY 1",
        f"SELECT avg(l_discount) FROM {T}.lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL 1 YEAR",
        f"SELECT approx_count_distinct(l_orderkey) FROM {T}.lineitem",
        f"SELECT median(o_totalprice), quantile_cont(o_totalprice, 0.95) FROM {T}.orders",
        f"SELECT p_brand, string_agg(DISTINCT p_container, ', ') FROM {T}.part GROUP BY 1 ORDER BY 1 LIMIT 3",
        "SELECT s.i FROM range(5) AS s(i)",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT unnest([1, 2, 3]) AS x",
        "SELECT count(*) FROM samples.tpch.part WHERE strpos(p_type, 'BRASS') > 0",
        "SELECT count(*) FROM samples.tpch.part WHERE position('BRASS' IN p_type) > 0",
        "SELECT left(p_container, 2), right(p_type, 5) FROM samples.tpch.part LIMIT 5",
        "SELECT 1 AS one",
        f"SELECT o_orderpriority, count(*) FROM {T}.orders GROUP BY ROLLUP (o_orderpriority)",
        f"SELECT l_returnflag, l_linestatus, sum(l_quantity) FROM {T}.lineitem GROUP BY CUBE (l_returnflag, l_linestatus)",
        f"SELECT o_orderkey, lag(o_totalprice) OVER (ORDER BY o_orderdate) FROM {T}.orders LIMIT 20",
        f"SELECT c_mktsegment, max(c_acctbal) - min(c_acctbal) AS spread FROM {T}.customer GROUP BY 1",
        f"SELECT year(o_orderdate) AS y, month(o_orderdate) AS m, count(*) FROM {T}.orders GROUP BY 1, 2 ORDER BY 1, 2",
        f"SELECT p_type, round(avg(p_retailprice), 2) FROM {T}.part WHERE p_type ILIKE '%brass%' GROUP BY 1",
        f"SELECT s_name FROM {T}.supplier WHERE s_acctbal > (SELECT avg(s_acctbal) FROM {T}.supplier) ORDER BY s_name LIMIT 5",
        f"SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM {T}.lineitem GROUP BY 1 ORDER BY revenue DESC LIMIT 10",
        "VALUES (1, 'a'), (2, 'b')",
        "SHOW TABLES",
        f"DESCRIBE {T}.orders",
        f"SUMMARIZE {T}.region",
        f"EXPLAIN SELECT count(*) FROM {T}.orders",
        f"EXPLAIN ANALYZE SELECT count(*) FROM {T}.orders WHERE o_orderstatus = 'F'",
        f"SELECT 'DELETE FROM x' AS harmless_text, 'read_csv' AS also_text FROM {T}.region",
        f'SELECT n_name AS "drop" FROM {T}.nation',
        f"select n_name from {T}.nation where n_nationkey = 1",
        f"SELECT\n  n_name\nFROM\n  {T}.nation\n-- a comment\nWHERE n_regionkey = 2",
    ]
    return out
