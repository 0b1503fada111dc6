-- test: test_snapshots.py::test_boolean_dimension
-- engine: databricks
-- rewrite with: pytest --overwrite-snapshots
SELECT customer.c_nationkey = supplier.s_nationkey AS `local_supplier`, SUM(source.l_extendedprice * (1 - source.l_discount)) AS `revenue` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.orders AS orders JOIN samples.tpch.customer AS customer ON orders.o_custkey = customer.c_custkey) ON source.l_orderkey = orders.o_orderkey JOIN samples.tpch.supplier AS supplier ON source.l_suppkey = supplier.s_suppkey WHERE ((customer.c_nationkey = supplier.s_nationkey) = TRUE) GROUP BY customer.c_nationkey = supplier.s_nationkey ORDER BY `local_supplier` ASC NULLS LAST
