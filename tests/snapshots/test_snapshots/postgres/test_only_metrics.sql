-- test: test_snapshots.py::test_only_metrics
-- engine: postgres
-- rewrite with: pytest --overwrite-snapshots
SELECT SUM(source.l_extendedprice * (1 - source.l_discount)) AS "revenue", SUM(source.l_quantity) AS "quantity" FROM samples.tpch.lineitem AS source
