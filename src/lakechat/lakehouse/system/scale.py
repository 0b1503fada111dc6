"""Grow ``billing.usage`` to a chosen row count without changing what it says.

A real account's ``billing.usage`` holds millions of records; the generated one holds tens
of thousands. To measure the monitor at a real account's size, every generated record is
split into finer records of the same workspace, SKU, tags and metadata: its interval cut
into consecutive pieces and its quantity shared out, the last piece taking the remainder so
each record's quantities still add up exactly. Sums, ratios, medians of daily sums and
shares are unchanged, so every injected incident still measures the same; only the row
count grows. Each piece stays inside its record's interval, so inside its usage day.

A record whose interval holds a list-price change stays whole: its cost is priced at its
end time, and a piece ending before the change would be priced at the other price.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb

from lakechat.errors import BadRequest

#: The most rows ``--system-scale`` accepts (about 50 GB of system.duckdb).
MAX_ROWS = 1_000_000_000
#: Rows written per progress step.
ROWS_PER_STEP = 1_000_000

_COUNT = re.compile(r"(\d+(?:\.\d+)?)([km]?)", re.IGNORECASE)
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}

# Every usage record with its place in time order (n), whether it must stay whole, and its
# place among the records that are split (m), which spreads the remainder over the window.
_ORIGINALS = """
CREATE TEMP TABLE usage_original AS
WITH boundaries AS (
    SELECT sku_name, usage_unit, price_start_time AS at FROM billing.list_prices
    UNION
    SELECT sku_name, usage_unit, price_end_time FROM billing.list_prices
    WHERE price_end_time IS NOT NULL
), marked AS (
    SELECT u.*, EXISTS (
        SELECT 1 FROM boundaries b
        WHERE b.sku_name = u.sku_name AND b.usage_unit = u.usage_unit
          AND b.at > u.usage_start_time AND b.at <= u.usage_end_time
    ) AS whole
    FROM billing.usage u
)
SELECT *,
       row_number() OVER (ORDER BY usage_start_time, record_id) - 1 AS n,
       row_number() OVER (PARTITION BY whole ORDER BY usage_start_time, record_id) - 1 AS m
FROM marked
"""

# One batch of originals (n in [$first, $last)) as their pieces: $k pieces each, one more
# for $extra of every $split records, spread evenly. Parameters: $k, $extra, $split,
# $first, $last.
_SPLIT = """
INSERT INTO billing.usage BY NAME
WITH counted AS (
    SELECT *, CASE WHEN whole THEN 1
                   ELSE $k + ((m + 1) * $extra // $split - m * $extra // $split) END AS parts
    FROM usage_original WHERE n >= $first AND n < $last
), pieces AS (
    SELECT c.*, s.i, (c.usage_quantity / c.parts)::DECIMAL(38, 18) AS piece,
           epoch_us(c.usage_end_time) - epoch_us(c.usage_start_time) AS span
    FROM counted c CROSS JOIN range($k + 1) s(i)
    WHERE s.i < c.parts
)
SELECT * EXCLUDE (whole, n, m, parts, i, piece, span) REPLACE (
    CASE WHEN parts = 1 THEN record_id ELSE md5(record_id || ':' || i)::UUID::VARCHAR END
        AS record_id,
    usage_start_time + to_microseconds(span * i // parts) AS usage_start_time,
    usage_start_time + to_microseconds(span * (i + 1) // parts) AS usage_end_time,
    CASE WHEN i < parts - 1 THEN piece ELSE usage_quantity - (parts - 1) * piece END
        AS usage_quantity
)
FROM pieces
ORDER BY usage_start_time, record_id
"""


def parse_row_count(text: str) -> int:
    """``10000000``, ``10M``, ``2.5m`` or ``500k`` as a number of rows; BadRequest if not."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    match = _COUNT.fullmatch(cleaned)
    rows = float(match.group(1)) * _MULTIPLIERS[match.group(2).lower()] if match else -1.0
    if not match or rows != int(rows):
        raise BadRequest(
            f"--system-scale {text!r}: give a whole number of usage rows, "
            "such as 10000000, 10M or 500k"
        )
    return check_row_count(int(rows))


def check_row_count(rows: int) -> int:
    """``rows`` if it is a row count ``scale_usage`` can reach; BadRequest if not."""
    if not 1 <= rows <= MAX_ROWS:
        raise BadRequest(
            f"--system-scale {rows:,}: the usage row count must be between 1 and {MAX_ROWS:,}"
        )
    return rows


def scale_steps(rows: int) -> int:
    """How many progress steps ``scale_usage`` reports for ``rows``."""
    return max(1, -(-rows // ROWS_PER_STEP))


def scale_usage(
    conn: duckdb.DuckDBPyConnection,
    rows: int,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Split the records of ``billing.usage`` until it holds exactly ``rows`` rows.

    Returns the row count before scaling. BadRequest if ``rows`` is below it (records are
    split, never dropped, so fewer rows would change what the table says).
    """
    check_row_count(rows)
    (natural,) = _one(conn, "SELECT count(*) FROM billing.usage")
    if rows < natural:
        raise BadRequest(
            f"--system-scale {rows:,}: the generated billing.usage already has {natural:,} "
            "rows; give at least that many (records are split, never dropped)"
        )
    steps = scale_steps(rows)
    if rows == natural:
        if progress:
            progress(steps, steps)
        return natural
    conn.execute(_ORIGINALS)
    try:
        (whole,) = _one(conn, "SELECT count(*) FROM usage_original WHERE whole")
        split = natural - whole
        if split == 0:
            raise BadRequest(f"--system-scale {rows:,}: no usage record can be split")
        k, extra = divmod(rows - whole, split)
        conn.execute("DELETE FROM billing.usage")
        batch = -(-natural // steps)
        for step in range(steps):
            bounds = {"first": step * batch, "last": (step + 1) * batch}
            conn.execute(_SPLIT, {"k": k, "extra": extra, "split": split, **bounds})
            if progress:
                progress(step + 1, steps)
    finally:
        conn.execute("DROP TABLE IF EXISTS usage_original")
    return int(natural)


def _one(conn: duckdb.DuckDBPyConnection, sql: str) -> tuple[int]:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return (int(row[0]),)
