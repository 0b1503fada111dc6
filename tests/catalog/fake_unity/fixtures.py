"""Pytest fixtures for the fake Unity Catalog.

tests/catalog/conftest.py imports them, so every catalog test can use them.

- ``fake_unity``: a started, empty fake (``.host``, ``.token``, ``.warehouse_id``, ``.log``),
  with the SDK's environment variables removed for the test, so a client built by the code
  under test (``WorkspaceClient(host=..., token=..., auth_type="pat")``) sees only the fake;
- ``fake_unity_lakehouse``: the same fake seeded from the demo lakehouse (SF 0.01);
- ``unity_client``: a real ``WorkspaceClient`` pointed at ``fake_unity``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.fake_unity.client import sdk_environment_variables, workspace_client
from tests.catalog.fake_unity.server import FakeUnityCatalog

__all__ = ["fake_unity", "fake_unity_lakehouse", "unity_client", "workspace_client"]


@pytest.fixture
def fake_unity(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUnityCatalog]:
    for name in sdk_environment_variables():
        monkeypatch.delenv(name, raising=False)
    with FakeUnityCatalog() as fake:
        yield fake


@pytest.fixture
def fake_unity_lakehouse(fake_unity: FakeUnityCatalog, tpch_home: Path) -> FakeUnityCatalog:
    from lakechat.settings import default_lakehouse_path

    return fake_unity.seed_from_lakehouse(default_lakehouse_path(tpch_home))


@pytest.fixture
def unity_client(fake_unity: FakeUnityCatalog) -> Any:
    return fake_unity.workspace_client()
