"""The file store: documents' originals, kept under a key, in a local folder by default or
wherever an fsspec URL points (``FILES_URL``: s3://bucket/prefix, az://container/prefix,
gs://bucket/prefix, with that protocol's fsspec package installed).

Where the store is and how to reach it is configured the storage's own way, so lakechat
has no setting for it beyond ``FILES_URL``:

- S3 on AWS: the usual credential chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``,
  ``AWS_PROFILE``, an instance or pod role) and ``AWS_DEFAULT_REGION``.
- An S3-compatible server (MinIO, Ceph, moto): the same, plus ``AWS_ENDPOINT_URL`` (or
  ``AWS_ENDPOINT_URL_S3`` to leave other AWS services alone), e.g.
  ``AWS_ENDPOINT_URL=http://minio:9000``. botocore reads it and addresses buckets by path
  on such an endpoint.
- Giving up sooner on an unreachable endpoint: botocore's ``AWS_MAX_ATTEMPTS`` (5 by
  default, with backoff, so about 7 seconds on a refused connection), or the timeouts too:
  ``FSSPEC_S3='{"config_kwargs": {"connect_timeout": 2, "retries": {"total_max_attempts":
  2}}}'``.
- Any option of the protocol's fsspec filesystem: ``FSSPEC_<PROTOCOL>`` as JSON or
  ``FSSPEC_<PROTOCOL>_<OPTION>`` as a string, which fsspec reads when it is imported and
  applies to every filesystem it makes (``FSSPEC_ABFS_ACCOUNT_NAME=...`` for Azure).

Several processes (the API, job workers) share one store, so nothing here trusts a cached
listing: reads, writes and deletes go to the storage each time.
"""

from __future__ import annotations

import posixpath
from typing import Any

from lakechat.errors import BadRequest, DependencyUnavailable, first_line

#: fsspec protocols that are a local folder, whose parent folders must exist before a write
LOCAL_PROTOCOLS = frozenset({"file", "local"})


class FileStore:
    """Files under keys such as ``acme/ab/abcd.pdf``; a key never reaches outside the root."""

    def __init__(self, location: str) -> None:
        import fsspec
        from fsspec.utils import get_protocol

        self.location = location
        # a filesystem of its own, not one fsspec made earlier in the process for the same
        # URL under other credentials or endpoint; no listings cache, as other processes
        # change the same keys. s3fs closes its connections when the filesystem is
        # collected or the process exits, so the store needs no close()
        options: dict[str, Any] = {"skip_instance_cache": True, "use_listings_cache": False}
        if get_protocol(location) in LOCAL_PROTOCOLS:
            # object stores have no folders to make (and s3fs's makedirs creates a missing
            # bucket, which would hide a mistyped FILES_URL)
            options["auto_mkdir"] = True
        self.fs: Any
        self.fs, root = fsspec.url_to_fs(location, **options)
        self.root = root.rstrip("/")

    def _path(self, key: str) -> str:
        clean = posixpath.normpath("/" + key).lstrip("/")
        if not clean:
            raise BadRequest(f"{key!r} names no file in the file store")
        return f"{self.root}/{clean}"

    def put(self, key: str, data: bytes) -> str:
        path = self._path(key)
        try:
            self.fs.pipe_file(path, data)
        except Exception as exc:  # each fsspec backend raises its own SDK's errors
            raise _unavailable("cannot keep the file", exc) from exc
        return key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data: bytes = self.fs.cat_file(path)
        except FileNotFoundError as exc:
            raise DependencyUnavailable(
                "file_store",
                f"no file is kept under {key!r}: it was deleted, or FILES_URL pointed "
                "elsewhere when it was stored",
            ) from exc
        except Exception as exc:
            raise _unavailable("cannot read the file", exc) from exc
        return data

    def delete(self, key: str) -> None:
        """Delete the file under ``key``; a key with no file is already deleted."""
        path = self._path(key)
        try:
            self.fs.rm_file(path)
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise _unavailable("cannot delete the file", exc) from exc


def _unavailable(what: str, exc: BaseException) -> DependencyUnavailable:
    reason = first_line(exc)
    if not isinstance(exc, OSError):  # an SDK error's class says what went wrong
        reason = f"{type(exc).__name__}: {reason}"
    return DependencyUnavailable("file_store", f"{what}: {reason}")
