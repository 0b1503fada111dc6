"""Warehouse fixtures: one local Spark session for the whole run, shared by every provider.

Starting Spark takes seconds and a JVM holds one session per process, so the session is
session-scoped; each test gets its own SparkWarehouse on it, whose close() leaves it running.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakechat.settings import default_lakehouse_path
from tests.conftest import service_missing


@pytest.fixture(scope="session")
def spark_session(tpch_home: Path) -> Iterator[Any]:
    """Spark in local mode (Java 17), its scratch space beside the test lakehouse."""
    from lakechat.warehouse.spark_provider import MIRROR_FOLDER, local_session

    if shutil.which("java") is None:
        service_missing("Spark", "no java on PATH (Spark needs Java 17)")
    with warnings.catch_warnings():
        # Starting Spark imports pyspark.testing.utils, which checks the pandas version and
        # warns about pandas 3 (the databricks extra installs it). Raised as an error there,
        # pyspark decides the Spark Connect client is unusable for the whole process.
        warnings.filterwarnings(
            "ignore", "PySpark does not yet fully support pandas", category=FutureWarning
        )
        session = local_session(default_lakehouse_path(tpch_home) / MIRROR_FOLDER)
    yield session
    session.stop()


@pytest.fixture
def spark_warehouse(spark_session: Any, tpch_home: Path) -> Iterator[Any]:
    """A provider over the SF 0.01 lakehouse on the shared session."""
    from lakechat.warehouse.spark_provider import SparkWarehouse

    warehouse = SparkWarehouse(
        spark_session, lakehouse_dir=default_lakehouse_path(tpch_home), owns_session=False
    )
    yield warehouse
    warehouse.close()
