-- test: test_snapshots.py::test_metric_by_dimension
-- engine: postgres
-- rewrite with: pytest --overwrite-snapshots
SELECT source.o_orderstatus AS "order_status", COUNT(*) AS "order_count" FROM samples.tpch.orders AS source GROUP BY source.o_orderstatus ORDER BY "order_status" ASC
