"""The embedded vector index: every chunk's vector in one float32 matrix on disk.

Search is exact (cosine on normalized vectors is one matrix-vector product; 100,000 chunks
of 384 dimensions take a few milliseconds), filters are a boolean mask over the rows.
Changes are written to a new file that replaces the old one (``os.replace``), and a process
whose copy is older than the file reads it again, so several workers share one index.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lakechat.knowledge.base import Filters, Payload, VectorHit, unit_rows


class LocalVectorIndex:
    name = "local"

    def __init__(self, folder: Path, dimensions: int) -> None:
        self.folder = folder
        self.dimensions = dimensions
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._payloads: list[Payload] = []
        self._tenants: np.ndarray | None = None
        self._matrix = np.zeros((0, dimensions), dtype=np.float32)
        self._stamp: int | None = None

    @property
    def _file(self) -> Path:
        return self.folder / "vectors.npz"

    # reading and writing the file ---------------------------------------------------------
    def _fresh(self) -> None:
        """Read the file again when another process (or an earlier run) wrote it."""
        try:
            stamp = self._file.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if stamp == self._stamp:
            return
        with np.load(self._file, allow_pickle=False) as saved:
            matrix = saved["matrix"]
            meta = json.loads(bytes(saved["meta"]).decode())
        if matrix.shape[1] != self.dimensions:
            raise ValueError(
                f"the vector index in {self.folder} holds {matrix.shape[1]}-dimension vectors; the "
                f"embedder makes {self.dimensions}: delete the folder and ingest again"
            )
        self._tenants = None
        self._matrix, self._ids, self._payloads, self._stamp = (
            matrix,
            meta["ids"],
            meta["payloads"],
            stamp,
        )

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        staged = self.folder / f".vectors.{uuid.uuid4().hex}.npz"
        meta = json.dumps({"ids": self._ids, "payloads": self._payloads}).encode()
        with open(staged, "wb") as out:
            np.savez(out, matrix=self._matrix, meta=np.frombuffer(meta, dtype=np.uint8))
        os.replace(staged, self._file)
        self._stamp = self._file.stat().st_mtime_ns

    # changes ------------------------------------------------------------------------------
    def upsert(self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[Payload]) -> None:
        if len(ids) != len(vectors) or len(ids) != len(payloads):
            raise ValueError("ids, vectors and payloads must be as many")
        with self._lock:
            self._fresh()
            replaced = set(ids)
            keep = [i for i, known in enumerate(self._ids) if known not in replaced]
            matrix = unit_rows(
                np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dimensions)
            )
            self._matrix = np.vstack([self._matrix[keep], matrix]) if keep else matrix
            self._ids = [self._ids[i] for i in keep] + list(ids)
            self._payloads = [self._payloads[i] for i in keep] + [dict(p) for p in payloads]
            self._tenants = None
            self._save()

    def delete(self, ids: Sequence[str]) -> int:
        with self._lock:
            self._fresh()
            gone = set(ids)
            keep = [i for i, known in enumerate(self._ids) if known not in gone]
            removed = len(self._ids) - len(keep)
            if removed:
                self._matrix = self._matrix[keep]
                self._ids = [self._ids[i] for i in keep]
                self._payloads = [self._payloads[i] for i in keep]
                self._tenants = None
                self._save()
            return removed

    # reading ------------------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            self._fresh()
            return len(self._ids)

    def _tenant_column(self) -> np.ndarray:
        """Each row's tenant, as an array (remade only when the rows changed)."""
        if self._tenants is None or len(self._tenants) != len(self._payloads):
            self._tenants = np.array([p.get("tenant") for p in self._payloads], dtype=object)
        return self._tenants

    def close(self) -> None:
        """Nothing to release: the file is read whole and closed."""

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, tenant: str | None = None
    ) -> list[VectorHit]:
        with self._lock:
            self._fresh()
            matrix, ids, payloads = self._matrix, self._ids, self._payloads
            tenants = self._tenant_column()
        if not ids or k <= 0:
            return []
        query = unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, self.dimensions))[0]
        scores = matrix @ query
        if tenant is not None:  # a numpy comparison: a Python loop over 100,000 rows took 22 ms
            scores = np.where(tenants == tenant, scores, -np.inf)
        if filters:
            allowed = np.fromiter(
                (filters.passes_payload(p) for p in payloads), dtype=bool, count=len(payloads)
            )
            scores = np.where(allowed, scores, -np.inf)
        k = min(k, len(ids))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [
            VectorHit(ids[i], float(scores[i]), payloads[i]) for i in best if np.isfinite(scores[i])
        ]
