-- test: test_snapshots.py::test_order_limit_offset
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT customer.c_custkey AS `customer_key`, customer.c_name AS `customer`, SUM(source.l_extendedprice * (1 - source.l_discount)) AS `net` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.orders AS orders JOIN samples.tpch.customer AS customer ON orders.o_custkey = customer.c_custkey) ON source.l_orderkey = orders.o_orderkey GROUP BY customer.c_custkey, customer.c_name ORDER BY `net` DESC, `customer_key` ASC NULLS LAST LIMIT 5 OFFSET 5
