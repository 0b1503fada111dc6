-- test: test_snapshots.py::test_tpch_q1
-- engine: duckdb
-- rewrite with: pytest --overwrite-snapshots
SELECT source.l_returnflag AS "return_flag", source.l_linestatus AS "line_status", SUM(source.l_quantity) AS "quantity", SUM(source.l_extendedprice) AS "gross_revenue", SUM(source.l_extendedprice * (1 - source.l_discount)) AS "revenue", SUM(source.l_extendedprice * (1 - source.l_discount) * (1 + source.l_tax)) AS "charge", AVG(source.l_quantity) AS "avg_quantity", AVG(source.l_extendedprice) AS "avg_price", AVG(source.l_discount) AS "avg_discount", COUNT(*) AS "line_item_count" FROM samples.tpch.lineitem AS source WHERE (source.l_shipdate <= '1998-09-02') GROUP BY source.l_returnflag, source.l_linestatus ORDER BY "return_flag" ASC, "line_status" ASC
