-- test: test_snapshots.py::test_list_between_and_null_operators
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT customer.c_mktsegment AS `market_segment`, COUNT(DISTINCT orders.o_custkey) AS `customer_count` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.orders AS orders JOIN samples.tpch.customer AS customer ON orders.o_custkey = customer.c_custkey) ON source.l_orderkey = orders.o_orderkey JOIN samples.tpch.part AS part ON source.l_partkey = part.p_partkey WHERE (customer.c_mktsegment IN ('BUILDING', 'MACHINERY')) AND (NOT source.l_shipmode IN ('AIR', 'REG AIR')) AND (part.p_size BETWEEN 10 AND 15) AND (NOT source.l_receiptdate IS NULL) AND (customer.c_comment IS NULL) GROUP BY customer.c_mktsegment ORDER BY `market_segment` ASC NULLS LAST
