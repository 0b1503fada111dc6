"""The file store: documents' originals, kept under a key, in a local folder by default or
wherever an fsspec URL points (``FILES_URL``: s3://bucket/prefix, az://container/prefix,
gs://bucket/prefix, with that protocol's fsspec package installed)."""

from __future__ import annotations

import posixpath
from typing import Any

from lakechat.errors import DependencyUnavailable, first_line


class FileStore:
    def __init__(self, location: str) -> None:
        import fsspec

        self.location = location
        self.fs: Any
        self.fs, _, paths = fsspec.get_fs_token_paths(
            location if "://" in location else f"file://{location}"
        )
        self.root = paths[0].rstrip("/")

    def _path(self, key: str) -> str:
        clean = posixpath.normpath("/" + key).lstrip("/")
        return f"{self.root}/{clean}"

    def put(self, key: str, data: bytes) -> str:
        path = self._path(key)
        try:
            self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
            self.fs.pipe_file(path, data)
        except OSError as exc:
            raise DependencyUnavailable(
                "file_store", f"cannot keep the file: {first_line(exc)}"
            ) from exc
        return key

    def get(self, key: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._path(key))
        except OSError as exc:
            raise DependencyUnavailable(
                "file_store", f"cannot read the file: {first_line(exc)}"
            ) from exc
        return data

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            if self.fs.exists(path):
                self.fs.rm_file(path)
        except OSError as exc:
            raise DependencyUnavailable(
                "file_store", f"cannot delete the file: {first_line(exc)}"
            ) from exc
