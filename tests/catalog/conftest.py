"""Catalog fixtures: a private copy of the demo lakehouse per test, and the embedded provider."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lakechat.catalog.base import Catalog
from lakechat.catalog.embedded import EmbeddedCatalog
from lakechat.catalog.unity import UnityCatalog
from lakechat.settings import default_lakehouse_path
from lakechat.store.database import StateStore
from tests.catalog.fake_unity.fixtures import fake_unity, fake_unity_lakehouse, unity_client
from tests.catalog.fake_unity.server import FakeUnityCatalog

__all__ = ["fake_unity", "fake_unity_lakehouse", "unity_client"]


@pytest.fixture
def lakehouse_copy(tpch_home: Path, home: Path) -> Path:
    """The demo lakehouse (SF 0.01) copied into this test's home: tests may change it."""
    target = default_lakehouse_path(home)
    shutil.copytree(default_lakehouse_path(tpch_home), target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture
def embedded(lakehouse_copy: Path, migrated: StateStore) -> EmbeddedCatalog:
    return EmbeddedCatalog(lakehouse_copy, migrated)


@pytest.fixture
def unity(fake_unity: FakeUnityCatalog, lakehouse_copy: Path) -> UnityCatalog:
    """lakechat's unity provider on the real databricks-sdk, against the local fake of Unity
    Catalog seeded with the same lakehouse (its owners and schema grants too)."""
    fake_unity.seed_from_lakehouse(lakehouse_copy)
    fake_unity.add_principals("analysts", "engineers", "data_stewards")
    return UnityCatalog(fake_unity.workspace_client(), fake_unity.warehouse_id)


@pytest.fixture(params=["embedded", "unity"])
def provider(request: pytest.FixtureRequest) -> Catalog:
    """Each catalog provider in turn, over the same lakehouse."""
    found: Catalog = request.getfixturevalue(request.param)
    return found
