"""The file store on S3: moto's S3 server on a local port, reached the way a user reaches
MinIO (``AWS_ENDPOINT_URL``), checked with boto3 for what really landed in the bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import boto3
import fsspec.config
import pytest
from moto.server import ThreadedMotoServer

from lakechat.errors import BadRequest, DependencyUnavailable
from lakechat.knowledge.files import FileStore
from tests.conftest import free_port

BUCKET = "lakechat-files"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """moto's S3 server for this module, with one empty bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        with closing(s3):
            s3.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> str:
    """Only what a user sets for MinIO: dummy credentials, a region and the endpoint."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never wait for an instance role
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")  # nor read the developer's profile
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    return endpoint


@pytest.fixture
def bucket(s3_env: str) -> Iterator[Any]:
    """boto3's view of the bucket, to check what the store wrote."""
    with closing(boto3.client("s3")) as s3:
        yield s3


def keys_under(s3: Any, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def prefix() -> str:
    """A prefix of its own for each test: the server and bucket live for the whole module."""
    return f"tests/{uuid.uuid4().hex}"


@pytest.fixture
def store(s3_env: str, prefix: str) -> FileStore:
    return FileStore(f"s3://{BUCKET}/{prefix}")


def test_files_round_trip_under_nested_keys(store: FileStore, bucket: Any, prefix: str) -> None:
    store.put("acme/ab/abcdef.pdf", b"%PDF-1.7 original")
    store.put("acme/ab/cd/deeper.md", b"# Deeper")
    assert keys_under(bucket, prefix) == [
        f"{prefix}/acme/ab/abcdef.pdf",
        f"{prefix}/acme/ab/cd/deeper.md",
    ]
    assert store.get("acme/ab/abcdef.pdf") == b"%PDF-1.7 original"
    assert store.get("acme/ab/cd/deeper.md") == b"# Deeper"

    store.put("acme/ab/abcdef.pdf", b"%PDF-1.7 replaced")
    assert store.get("acme/ab/abcdef.pdf") == b"%PDF-1.7 replaced"

    store.delete("acme/ab/abcdef.pdf")
    store.delete("acme/ab/abcdef.pdf")  # deleting twice is fine
    assert keys_under(bucket, prefix) == [f"{prefix}/acme/ab/cd/deeper.md"]
    with pytest.raises(DependencyUnavailable):
        store.get("acme/ab/abcdef.pdf")


def test_another_process_sees_writes_and_deletes_at_once(
    store: FileStore, bucket: Any, prefix: str
) -> None:
    # the API stages uploads and a worker reads and deletes them: no cached view may lag
    worker = FileStore(f"s3://{BUCKET}/{prefix}")
    store.put("staging/batch/0.md", b"first")
    assert worker.get("staging/batch/0.md") == b"first"
    bucket.put_object(Bucket=BUCKET, Key=f"{prefix}/staging/batch/0.md", Body=b"second")
    assert store.get("staging/batch/0.md") == b"second"
    worker.delete("staging/batch/0.md")
    with pytest.raises(DependencyUnavailable, match="no file is kept under"):
        store.get("staging/batch/0.md")
    store.put("staging/batch/0.md", b"third")
    assert worker.get("staging/batch/0.md") == b"third"


def test_keys_cannot_leave_the_prefix(s3_env: str, bucket: Any, prefix: str) -> None:
    store = FileStore(f"s3://{BUCKET}/{prefix}/inner")
    store.put("../../outside.md", b"escaped?")
    store.put("acme/../../../other-tenant/x.md", b"escaped?")
    store.put("/absolute.md", b"escaped?")
    assert keys_under(bucket, prefix) == [
        f"{prefix}/inner/absolute.md",
        f"{prefix}/inner/other-tenant/x.md",
        f"{prefix}/inner/outside.md",
    ]
    assert store.get("./outside.md") == b"escaped?"
    for nothing in ("", ".", "acme/..", "../"):
        with pytest.raises(BadRequest, match="names no file"):
            store.put(nothing, b"root?")


def test_a_missing_file_says_what_may_have_happened(store: FileStore) -> None:
    with pytest.raises(DependencyUnavailable) as caught:
        store.get("acme/ab/never-stored.pdf")
    message = caught.value.message
    assert "'acme/ab/never-stored.pdf'" in message
    assert "deleted, or FILES_URL pointed elsewhere" in message


def test_the_bucket_root_works_without_a_prefix(s3_env: str, bucket: Any) -> None:
    key = f"root-{uuid.uuid4().hex}/handbook.md"
    store = FileStore(f"s3://{BUCKET}")
    store.put(key, b"# Handbook")
    assert keys_under(bucket, key) == [key]
    assert store.get(key) == b"# Handbook"
    store.delete(key)
    assert keys_under(bucket, key) == []


def test_a_missing_bucket_is_not_created(s3_env: str, bucket: Any) -> None:
    store = FileStore("s3://no-such-bucket/files")
    with pytest.raises(DependencyUnavailable, match="cannot keep the file"):
        store.put("acme/handbook.md", b"# Handbook")
    assert [b["Name"] for b in bucket.list_buckets()["Buckets"]] == [BUCKET]


@pytest.mark.timeout(30)
def test_an_unreachable_endpoint_is_unavailable(
    s3_env: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing listens on the port; the documented FSSPEC_S3 variable makes it give up at once
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    options = '{"config_kwargs": {"connect_timeout": 1, "retries": {"total_max_attempts": 1}}}'
    conf: dict[str, Any] = {}
    fsspec.config.set_conf_env(conf, {"FSSPEC_S3": options})  # as fsspec reads it at import
    monkeypatch.setitem(fsspec.config.conf, "s3", conf["s3"])
    store = FileStore(f"s3://{BUCKET}/{prefix}")
    for what, call in (
        ("cannot keep the file", lambda: store.put("a.md", b"x")),
        ("cannot read the file", lambda: store.get("a.md")),
        ("cannot delete the file", lambda: store.delete("a.md")),
    ):
        with pytest.raises(DependencyUnavailable, match=what) as caught:
            call()
        assert "EndpointConnectionError: Could not connect to the endpoint URL" in (
            caught.value.message
        )


@pytest.mark.timeout(30)
def test_a_new_store_follows_a_changed_endpoint(
    s3_env: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fsspec would hand back the filesystem it made for this URL, still talking to moto
    FileStore(f"s3://{BUCKET}/{prefix}").put("a.md", b"kept")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own variable: no retries
    with pytest.raises(DependencyUnavailable, match="Could not connect to the endpoint URL"):
        FileStore(f"s3://{BUCKET}/{prefix}").get("a.md")


def test_health_sees_an_empty_prefix_as_reachable_and_a_missing_bucket_as_not(
    s3_env: str, bucket: Any, prefix: str, make_settings: Any
) -> None:
    from lakechat.observability.health import file_store_check

    empty = file_store_check(make_settings(files_url=f"s3://{BUCKET}/{prefix}/nothing-yet"))
    assert empty.probe() == "s3 store reachable"
    missing = file_store_check(make_settings(files_url="s3://no-such-bucket/prefix"))
    with pytest.raises(FileNotFoundError):
        missing.probe()
