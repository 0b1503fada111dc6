-- test: test_snapshots.py::test_row_level_security
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT COUNT(*) AS `order_count` FROM samples.tpch.orders AS source WHERE (source.o_clerk = 'Clerk#000000951') AND ((source.o_clerk = 'Clerk#000000001') OR (source.o_orderstatus = 'F'))
