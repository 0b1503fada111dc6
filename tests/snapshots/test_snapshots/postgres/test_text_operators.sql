-- test: test_snapshots.py::test_text_operators
-- engine: postgres
-- rewrite with: pytest --overwrite-snapshots
SELECT part.p_type AS "part_type", SUM(source.l_extendedprice * (1 - source.l_discount)) AS "revenue" FROM samples.tpch.lineitem AS source JOIN samples.tpch.part AS part ON source.l_partkey = part.p_partkey WHERE (POSITION('BRASS' IN part.p_type) > 0) AND (LEFT(part.p_type, 5) = 'PROMO') AND (RIGHT(part.p_container, 3) = 'BOX') GROUP BY part.p_type ORDER BY "part_type" ASC
