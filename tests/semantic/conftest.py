"""Semantic-layer fixtures: the shipped models and the SQL snapshot files.

Snapshots the metricflow way: the SQL a test compiles for an engine is kept in
``tests/snapshots/<test file>/<engine>/<test name>.sql`` under a header naming the test.
A changed or missing file fails the test; ``pytest --overwrite-snapshots`` (registered in
tests/conftest.py, the only conftest whose options pytest always reads) rewrites the files
on purpose, and never when CI=true.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import pytest

from lakechat.semantic.loader import SHIPPED_MODELS, load_models
from lakechat.semantic.model import MetricView
from tests.conftest import IN_CI

SNAPSHOT_ROOT = Path(__file__).resolve().parents[1] / "snapshots"
OVERWRITE_OPTION = "--overwrite-snapshots"

#: ``(engine, sql)``: compare ``sql`` with the calling test's snapshot file for ``engine``.
SnapshotCheck = Callable[[str, str], None]


@pytest.fixture(scope="session")
def shipped_models() -> dict[str, MetricView]:
    """The models shipped in the wheel, by id (tpch_sales, tpch_orders)."""
    return {
        model_id: loaded.view for model_id, loaded in load_models([SHIPPED_MODELS]).models.items()
    }


def snapshot_path(test_file: str, engine: str, test_name: str) -> Path:
    return SNAPSHOT_ROOT / Path(test_file).stem / engine / f"{test_name}.sql"


def snapshot_text(test_file: str, test_name: str, engine: str, sql: str) -> str:
    """A snapshot file's content: a header naming the test, then the SQL exactly as compiled."""
    header = (
        f"-- test: {Path(test_file).name}::{test_name}\n"
        f"-- engine: {engine}\n"
        f"-- rewrite with: pytest {OVERWRITE_OPTION}\n"
    )
    return f"{header}{sql}\n"


def check_snapshot(path: Path, expected: str, *, overwrite: bool, in_ci: bool) -> None:
    """Fail unless ``path`` holds ``expected``; with ``overwrite`` write it instead (not in CI)."""
    if overwrite:
        if in_ci:
            pytest.fail(f"{OVERWRITE_OPTION} is refused when CI=true: snapshots change on purpose")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != expected:
            path.write_text(expected)
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot at {path}: run pytest with {OVERWRITE_OPTION} to write it, "
            "then review and commit the file"
        )
    stored = path.read_text()
    if stored != expected:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile=str(path),
                tofile="compiled now",
            )
        )
        pytest.fail(
            f"the compiled SQL differs from {path}; if the change is intended, rerun with "
            f"{OVERWRITE_OPTION} and commit the file\n{diff}"
        )


@pytest.fixture
def sql_snapshot(request: pytest.FixtureRequest) -> SnapshotCheck:
    """Check SQL against the calling test's snapshot file for an engine."""
    test_file = str(request.node.path)
    test_name = request.node.name
    overwrite = bool(request.config.getoption(OVERWRITE_OPTION))

    def check(engine: str, sql: str) -> None:
        path = snapshot_path(test_file, engine, test_name)
        expected = snapshot_text(test_file, test_name, engine, sql)
        check_snapshot(path, expected, overwrite=overwrite, in_ci=IN_CI)

    return check
