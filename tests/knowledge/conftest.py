"""Vector store fixtures: every ``VectorIndex`` on real storage, opened and reopened per test.

pgvector runs on PostgreSQL 16 from the ``pgserver`` wheel (it bundles the extension),
started once per session under /tmp; it skips when it cannot start here, and fails in CI.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from platformdirs.api import RuntimeDirWarning

from lakechat.errors import first_line
from lakechat.knowledge.base import VectorIndex
from lakechat.knowledge.vectors_local import LocalVectorIndex
from lakechat.knowledge.vectors_pg import PgVectorIndex
from lakechat.knowledge.vectors_qdrant import QdrantVectorIndex
from tests.conftest import service_missing

#: opens this test's store with this many dimensions; a second call reopens the same storage
OpenStore = Callable[[int], VectorIndex]

BACKENDS = [
    pytest.param("local", id="local"),
    pytest.param("qdrant-memory", id="qdrant-memory"),
    pytest.param("qdrant-disk", id="qdrant-disk"),
    pytest.param("pgvector", id="pgvector", marks=pytest.mark.slow),
]


@pytest.fixture(scope="session")
def pgvector_url() -> Iterator[str]:
    """A PostgreSQL server with pgvector for the session; its data folder is deleted after."""
    # pgserver makes a `pgserver` user when run as root and opens the parent folders to it,
    # so the data lives under /tmp, never under the work tree
    pgdata = Path(tempfile.mkdtemp(prefix="lakechat-pgvector-"))
    try:
        with warnings.catch_warnings():
            # pgserver asks platformdirs for a runtime folder at import; without
            # XDG_RUNTIME_DIR (containers, CI) that warns, and a /tmp folder serves instead
            warnings.simplefilter("ignore", RuntimeDirWarning)
            import pgserver

        server = pgserver.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:
        shutil.rmtree(pgdata, ignore_errors=True)
        service_missing("PostgreSQL with pgvector (pgserver)", first_line(exc))
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(pgdata, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a store on storage of its own (a folder, a Qdrant folder, a table)."""
    backend: str = request.param
    table = f"vectors_{uuid.uuid4().hex[:12]}"
    url = request.getfixturevalue("pgvector_url") if backend == "pgvector" else ""
    opened: list[VectorIndex] = []

    def open_(dimensions: int) -> VectorIndex:
        store: VectorIndex
        if backend == "local":
            store = LocalVectorIndex(tmp_path / "vectors", dimensions)
        elif backend == "qdrant-memory":
            store = QdrantVectorIndex(dimensions, location=":memory:")
        elif backend == "qdrant-disk":
            store = QdrantVectorIndex(dimensions, path=str(tmp_path / "qdrant"))
        else:
            store = PgVectorIndex(url, dimensions, table=table)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
