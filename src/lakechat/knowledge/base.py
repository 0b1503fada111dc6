"""The knowledge protocols: an embedder, and a vector store (the embedded index, Qdrant and
pgvector each implement it), with what they share: the hit, the payload a vector carries,
and the filters.

A payload holds what retrieval filters by (tenant, document, chapter, version, tags), so a
store filters where the vectors are instead of after the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from lakechat.knowledge.documents import StoredChunk

Payload = dict[str, Any]


@dataclass(frozen=True)
class VectorHit:
    id: str
    #: cosine similarity of the query and the vector, -1 to 1
    score: float
    payload: Payload


@dataclass(frozen=True)
class Filters:
    """Only chunks of these chapters, versions, documents, or with any of these tags."""

    chapters: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    #: document ids or names
    documents: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.chapters or self.versions or self.documents or self.tags)

    def passes(self, chunk: StoredChunk) -> bool:
        return self.passes_payload(payload_of(chunk, ""))

    def passes_payload(self, payload: Payload) -> bool:
        if self.chapters and payload.get("chapter") not in self.chapters:
            return False
        if self.versions and payload.get("version") not in self.versions:
            return False
        if self.documents and not (
            {payload.get("document"), payload.get("document_id")} & set(self.documents)
        ):
            return False
        return not self.tags or bool(set(payload.get("tags") or ()) & set(self.tags))


def payload_of(chunk: StoredChunk, tenant: str) -> Payload:
    """What a chunk's vector carries."""
    return {"tenant": tenant, "document_id": chunk.document_id, "document": chunk.document,
            "chapter": chunk.chapter, "version": chunk.version, "tags": list(chunk.tags)}  # fmt: skip


class Embedder(Protocol):
    #: the model's name, shown by /health and kept beside the vectors
    name: str

    @property
    def dimensions(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalized float32 row per text."""
        ...

    def close(self) -> None:
        """Release connections (an API client's pool)."""
        ...


class VectorIndex(Protocol):
    """A store of normalized vectors by chunk id, searched by cosine similarity."""

    #: "local", "qdrant" or "pgvector"
    name: str
    dimensions: int

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[Payload]) -> None:
        """Add or replace these vectors (one row per id)."""
        ...

    def delete(self, ids: Sequence[str]) -> int:
        """Remove these ids; returns how many were there."""
        ...

    def count(self) -> int: ...

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, tenant: str | None = None
    ) -> list[VectorHit]:
        """The ``k`` nearest vectors (best first) of ``tenant`` that pass ``filters``."""
        ...

    def close(self) -> None: ...


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as contiguous float32, so a dot product is the cosine; an
    all-zero row stays zero (its cosine would otherwise be NaN)."""
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.ascontiguousarray(rows / np.where(norms == 0, 1, norms), dtype=np.float32)
