-- test: test_snapshots.py::test_metric_filter_having
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT supplier_nation.n_name AS `supplier_nation`, COUNT(DISTINCT source.l_orderkey) AS `order_count`, AVG(source.l_discount) AS `avg_discount` FROM samples.tpch.lineitem AS source JOIN (samples.tpch.supplier AS supplier JOIN samples.tpch.nation AS supplier_nation ON supplier.s_nationkey = supplier_nation.n_nationkey) ON source.l_suppkey = supplier.s_suppkey WHERE (source.l_shipmode = 'TRUCK') GROUP BY supplier_nation.n_name HAVING ((COUNT(DISTINCT source.l_orderkey) > 2400) OR (AVG(source.l_discount) < 0.0495)) ORDER BY `supplier_nation` ASC NULLS LAST
