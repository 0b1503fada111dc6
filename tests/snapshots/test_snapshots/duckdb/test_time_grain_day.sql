-- test: test_snapshots.py::test_time_grain_day
-- engine: duckdb
-- rewrite with: pytest --overwrite-snapshots
SELECT CAST(DATE_TRUNC('DAY', source.o_orderdate) AS DATE) AS "order_date", COUNT(*) AS "order_count" FROM samples.tpch.orders AS source WHERE (source.o_orderdate BETWEEN '1995-03-01' AND '1995-03-10') GROUP BY CAST(DATE_TRUNC('DAY', source.o_orderdate) AS DATE) ORDER BY "order_date" ASC
