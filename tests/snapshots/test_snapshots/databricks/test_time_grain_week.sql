-- test: test_snapshots.py::test_time_grain_week
-- engine: databricks
-- rewrite with: pytest --overwrite-snapshots
SELECT CAST(DATE_TRUNC('WEEK', source.l_shipdate) AS DATE) AS `ship_date`, SUM(source.l_extendedprice * (1 - source.l_discount)) AS `revenue` FROM samples.tpch.lineitem AS source GROUP BY CAST(DATE_TRUNC('WEEK', source.l_shipdate) AS DATE) ORDER BY `ship_date` ASC NULLS LAST
