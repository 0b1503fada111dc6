-- test: test_snapshots.py::test_comparison_operators
-- engine: postgres
-- rewrite with: pytest --overwrite-snapshots
SELECT source.l_shipmode AS "ship_mode", SUM(source.l_quantity) AS "quantity" FROM samples.tpch.lineitem AS source WHERE (source.l_quantity > 45) AND (source.l_discount <= 0.02) AND (source.l_shipdate >= '1995-01-01') AND (source.l_shipdate < '1996-01-01') AND (source.l_returnflag <> 'N') GROUP BY source.l_shipmode ORDER BY "ship_mode" ASC
