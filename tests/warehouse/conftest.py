"""Warehouse fixtures: each test gets its own SparkWarehouse on the run's Spark session
(tests/conftest.py), whose close() leaves the session running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakechat.settings import default_lakehouse_path


@pytest.fixture
def spark_warehouse(spark_session: Any, tpch_home: Path) -> Iterator[Any]:
    """A provider over the SF 0.01 lakehouse on the shared session."""
    from lakechat.warehouse.spark_provider import SparkWarehouse

    warehouse = SparkWarehouse(
        spark_session, lakehouse_dir=default_lakehouse_path(tpch_home), owns_session=False
    )
    yield warehouse
    warehouse.close()
