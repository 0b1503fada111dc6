-- test: test_snapshots.py::test_time_zone_hour_grain
-- engine: spark
-- rewrite with: pytest --overwrite-snapshots
SELECT DATE_TRUNC('HOUR', CONVERT_TIMEZONE('UTC', 'America/New_York', source.event_time)) AS `event_time`, COUNT(*) AS `events` FROM (SELECT a.*, a.user_identity.email AS user_email, a.response.status_code AS status_code FROM system.access.audit AS a) AS source WHERE (CONVERT_TIMEZONE('UTC', 'America/New_York', source.event_time) >= CAST('1998-07-26 00:00:00' AS TIMESTAMP) AND CONVERT_TIMEZONE('UTC', 'America/New_York', source.event_time) < CAST('1998-08-02 00:00:00' AS TIMESTAMP)) GROUP BY DATE_TRUNC('HOUR', CONVERT_TIMEZONE('UTC', 'America/New_York', source.event_time)) ORDER BY `event_time` ASC NULLS LAST
