-- test: test_snapshots.py::test_time_grains_month_quarter_year
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT CAST(DATE_TRUNC('YEAR', orders.o_orderdate) AS DATE) AS `year`, CAST(DATE_TRUNC('QUARTER', orders.o_orderdate) AS DATE) AS `quarter`, CAST(DATE_TRUNC('MONTH', source.l_shipdate) AS DATE) AS `ship_month`, COUNT(*) AS `line_item_count` FROM samples.tpch.lineitem AS source JOIN samples.tpch.orders AS orders ON source.l_orderkey = orders.o_orderkey GROUP BY CAST(DATE_TRUNC('YEAR', orders.o_orderdate) AS DATE), CAST(DATE_TRUNC('QUARTER', orders.o_orderdate) AS DATE), CAST(DATE_TRUNC('MONTH', source.l_shipdate) AS DATE) ORDER BY `year` ASC NULLS LAST, `quarter` ASC NULLS LAST, `ship_month` ASC NULLS LAST
