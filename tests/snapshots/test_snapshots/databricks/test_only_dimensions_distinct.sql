-- test: test_snapshots.py::test_only_dimensions_distinct
-- engine: databricks
-- rewrite with: pytest --overwrite-snapshots
SELECT DISTINCT customer_region.r_name AS `customer_region`, customer_nation.n_name AS `customer_nation` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.orders AS orders JOIN (samples.tpch.customer AS customer JOIN (samples.tpch.nation AS customer_nation JOIN samples.tpch.region AS customer_region ON customer_nation.n_regionkey = customer_region.r_regionkey) ON customer.c_nationkey = customer_nation.n_nationkey) ON orders.o_custkey = customer.c_custkey) ON source.l_orderkey = orders.o_orderkey ORDER BY `customer_region` ASC NULLS LAST, `customer_nation` ASC NULLS LAST
