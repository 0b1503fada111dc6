-- test: test_snapshots.py::test_only_dimensions_distinct
-- engine: postgres
-- rewrite with: pytest --overwrite-snapshots
SELECT DISTINCT customer_region.r_name AS "customer_region", customer_nation.n_name AS "customer_nation" FROM samples.tpch.lineitem AS source LEFT JOIN samples.tpch.orders AS orders ON source.l_orderkey = orders.o_orderkey LEFT JOIN samples.tpch.customer AS customer ON orders.o_custkey = customer.c_custkey LEFT JOIN samples.tpch.nation AS customer_nation ON customer.c_nationkey = customer_nation.n_nationkey LEFT JOIN samples.tpch.region AS customer_region ON customer_nation.n_regionkey = customer_region.r_regionkey ORDER BY "customer_region" ASC, "customer_nation" ASC
