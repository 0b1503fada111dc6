-- test: test_snapshots.py::test_measure_ratio
-- engine: databricks
-- rewrite with: pytest --overwrite-snapshots
SELECT customer.c_mktsegment AS `market_segment`, (SUM(source.l_extendedprice * (1 - source.l_discount))) / (COUNT(DISTINCT source.l_orderkey)) AS `revenue_per_order` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.orders AS orders JOIN samples.tpch.customer AS customer ON orders.o_custkey = customer.c_custkey) ON source.l_orderkey = orders.o_orderkey GROUP BY customer.c_mktsegment HAVING (((SUM(source.l_extendedprice * (1 - source.l_discount))) / (COUNT(DISTINCT source.l_orderkey))) > 137000) ORDER BY `market_segment` ASC NULLS LAST
