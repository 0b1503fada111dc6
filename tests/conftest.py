"""Shared fixtures: isolated settings, a migrated state store, apps, keys, PostgreSQL, Redis.

Tests that need PostgreSQL or Redis skip when the server is unreachable on a developer's
machine, and fail when CI=true.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lakechat.api.app import create_app
from lakechat.security.api_keys import ApiKeyService
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "LAKECHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LAKECHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(name: str, reason: str) -> None:
    """Skip locally, fail in CI: CI must run every test."""
    message = f"{name} unreachable: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true requires it)")
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the developer's shell or a config.yaml in the work tree."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields or name == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("LAKECHAT_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def make_settings(home: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        # the embedding model is loaded only by the tests about documents, which ask for it
        values: dict[str, Any] = {
            "lakechat_home": home,
            "log_format": "json",
            "embeddings_provider": "none",
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def migrated(settings: Settings) -> Iterator[StateStore]:
    store = StateStore(settings.state_url)
    upgrade(store)
    yield store
    store.dispose()


@pytest.fixture
def make_client() -> Iterator[Callable[[Settings], TestClient]]:
    """Build a migrated app for given settings and serve it through TestClient (with lifespan)."""
    opened: list[TestClient] = []

    def build(settings: Settings, app_hook: Callable[[FastAPI], None] | None = None) -> TestClient:
        store = StateStore(settings.state_url)
        upgrade(store)
        store.dispose()
        app = create_app(settings)
        if app_hook:
            app_hook(app)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[[Settings], TestClient], settings: Settings) -> TestClient:
    return make_client(settings)


def issue_key(client_or_store: TestClient | StateStore, **kwargs: Any) -> str:
    store = (
        client_or_store
        if isinstance(client_or_store, StateStore)
        else client_or_store.app.state.services.store
    )  # type: ignore[attr-defined]
    kwargs.setdefault("name", "test-" + secrets.token_hex(3))
    return ApiKeyService(store).create(**kwargs).secret


@pytest.fixture
def admin_key(client: TestClient) -> str:
    return issue_key(client, role="admin")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is part of the test install
        service_missing("PostgreSQL", "psycopg is not installed")
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL", str(exc).splitlines()[0])
    name = "lakechat_test_" + secrets.token_hex(6)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    try:
        import redis
    except ImportError:  # pragma: no cover
        service_missing("Redis", "redis is not installed")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", str(exc))
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of our own in the shared Redis, cleaned up afterwards."""
    prefix = "lakechat-test-" + secrets.token_hex(4)
    yield prefix
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()
    except Exception:
        pass


@pytest.fixture(scope="session")
def tpch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with samples.tpch at SF 0.01, built once per test run."""
    from lakechat.lakehouse.build import build_lakehouse
    from lakechat.settings import default_lakehouse_path

    home = tmp_path_factory.mktemp("tpch-home")
    build_lakehouse(default_lakehouse_path(home), scale_factor=0.01)
    return home


@pytest.fixture
def duckdb_warehouse(tpch_home: Path) -> Iterator[Any]:
    from lakechat.settings import default_lakehouse_path
    from lakechat.warehouse.duckdb_provider import DuckDBWarehouse

    warehouse = DuckDBWarehouse(default_lakehouse_path(tpch_home), max_concurrency=5)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def pg_samples_url(tpch_home: Path) -> Iterator[str]:
    """A PostgreSQL database named ``samples`` holding samples.tpch at SF 0.01.

    It must be called ``samples``: PostgreSQL resolves samples.tpch.orders only in a database
    of that name. It is created for the test run and dropped afterwards.
    """
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        service_missing("PostgreSQL", "psycopg is not installed")
    from lakechat.settings import default_lakehouse_path
    from tests.warehouse.pg_tpch import load_tpch

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL", str(exc).splitlines()[0])
    with admin:
        admin.execute('DROP DATABASE IF EXISTS "samples" WITH (FORCE)')
        admin.execute('CREATE DATABASE "samples"')
    url = POSTGRES_URL.rpartition("/")[0] + "/samples"
    load_tpch(default_lakehouse_path(tpch_home) / "samples.duckdb", url)
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute('DROP DATABASE IF EXISTS "samples" WITH (FORCE)')


def pytest_addoption(parser: pytest.Parser) -> None:
    # here, not in tests/semantic/conftest.py: pytest reads options only from initial conftests
    parser.addoption(
        "--overwrite-snapshots",
        action="store_true",
        default=False,
        help="rewrite the compiler's SQL snapshot files under tests/snapshots/ (refused in CI)",
    )


@pytest.fixture(scope="session")
def spark_session(tpch_home: Path) -> Iterator[Any]:
    """The run's one local Spark session (Java 17), its scratch space beside the test lakehouse.

    Starting Spark takes seconds and a JVM holds one session per process, so every folder's
    tests share this one; a SparkWarehouse on it leaves it running when closed.
    """
    import warnings

    from lakechat.settings import default_lakehouse_path
    from lakechat.warehouse.spark_provider import MIRROR_FOLDER, local_session

    if shutil.which("java") is None:
        service_missing("Spark", "no java on PATH (Spark needs Java 17)")
    with pytest.MonkeyPatch.context() as env, warnings.catch_warnings():
        # Once a Spark Connect session was made (test_spark_provider.py) pyspark leaves
        # SPARK_CONNECT_MODE_ENABLED set and its builder then refuses a local session.
        env.delenv("SPARK_CONNECT_MODE_ENABLED", raising=False)
        # Starting Spark checks the pandas version and warns about pandas 3; raised as an
        # error there, pyspark decides the Spark Connect client is unusable for the process.
        warnings.filterwarnings(
            "ignore", "PySpark does not yet fully support pandas", category=FutureWarning
        )
        session = local_session(default_lakehouse_path(tpch_home) / MIRROR_FOLDER)
    yield session
    session.stop()
