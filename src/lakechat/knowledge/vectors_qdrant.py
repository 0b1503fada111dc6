"""Chunk vectors in Qdrant: a server (``url``), or Qdrant's local mode (``path`` or
``location=":memory:"``), which has the same API and is how the tests run it.

Qdrant point ids must be UUIDs or integers, so each chunk id maps to a uuid5 and travels in
the payload as ``chunk_id``; hits carry the chunk id again. Filters and the tenant become a
Qdrant filter, so Qdrant filters while it searches instead of us after the fact.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ApiException

from lakechat.errors import DependencyUnavailable, first_line
from lakechat.knowledge.base import Filters, Payload, VectorHit, unit_rows

#: the namespace of the uuid5 point ids; changing it orphans every stored point
POINT_NAMESPACE = uuid.UUID("5b7c1f0e-3d7a-4c51-9a3e-8f2a6c4d9e10")
#: the payload key that keeps the chunk id (point ids are uuid5 of it)
CHUNK_ID = "chunk_id"
#: what filters look at; a server indexes these so filtered searches stay fast
INDEXED_FIELDS = ("tenant", "document_id", "document", "chapter", "version", "tags")
BATCH = 256


class QdrantVectorIndex:
    """A ``VectorIndex`` on one Qdrant collection with cosine distance."""

    name = "qdrant"

    def __init__(
        self,
        dimensions: int,
        *,
        url: str | None = None,
        api_key: str | None = None,
        path: str | None = None,
        location: str | None = None,
        collection: str = "lakechat_chunks",
    ) -> None:
        if sum(option is not None for option in (url, path, location)) != 1:
            raise ValueError('give exactly one of url, path or location=":memory:"')
        if location is not None and location != ":memory:":
            raise ValueError('location must be ":memory:"; give a server as url')
        self.dimensions = dimensions
        self.collection = collection
        self._url, self._api_key, self._path, self._location = url, api_key, path, location
        #: local mode keeps data in this process and SQLite, so its calls go one at a time
        self._local = url is None
        self._where = f"Qdrant at {url}" if url else f"Qdrant's local mode at {path or location}"
        self._lock = threading.RLock()
        self._client: QdrantClient | None = None
        self._exists = False

    # the connection and the collection ----------------------------------------------------
    @contextlib.contextmanager
    def _calling(self) -> Iterator[None]:
        """Serialize local-mode calls, and turn client errors into ``DependencyUnavailable``."""
        with contextlib.ExitStack() as local:
            if self._local:
                local.enter_context(self._lock)
                local.enter_context(warnings.catch_warnings())
                # local mode advises a server above 20,000 points on every such call: noise in
                # a log, and an error under pytest's warnings-as-errors
                warnings.filterwarnings("ignore", "Local mode is not recommended", UserWarning)
            try:
                yield
            # ApiException: an HTTP failure or refusal (a wrong key); RuntimeError: another
            # process holds local mode's folder
            except (ApiException, OSError, RuntimeError) as exc:
                raise DependencyUnavailable(
                    "vector store", f"{self._where}: {first_line(exc)}"
                ) from exc

    def _connected(self) -> QdrantClient:
        with self._lock:
            if self._client is None:
                # the version check runs on a thread and only warns; our calls report instead.
                # SQLite's same-thread check is off because _calling serializes local mode.
                self._client = QdrantClient(
                    url=self._url,
                    api_key=self._api_key,
                    path=self._path,
                    location=self._location,
                    check_compatibility=False,
                    force_disable_check_same_thread=self._local,
                )
            return self._client

    def _ready(self, create: bool) -> bool:
        """Whether the collection exists (made when ``create``); refuses another vector size."""
        if self._exists:
            return True
        client = self._connected()
        if not client.collection_exists(self.collection):
            if not create:
                return False
            self._create(client)
        params = client.get_collection(self.collection).config.params.vectors
        size = params.size if isinstance(params, models.VectorParams) else None
        if size != self.dimensions:
            raise ValueError(
                f"the Qdrant collection {self.collection} ({self._where}) holds {size}-dimension "
                f"vectors; the embedder makes {self.dimensions}: delete the collection and ingest "
                "again"
            )
        self._exists = True
        return True

    def _create(self, client: QdrantClient) -> None:
        vectors = models.VectorParams(size=self.dimensions, distance=models.Distance.COSINE)
        try:
            client.create_collection(self.collection, vectors_config=vectors)
        except ApiException:
            if not client.collection_exists(self.collection):
                raise
            return  # another worker made it first
        if not self._local:  # local mode ignores payload indexes, and warns about them
            for field in INDEXED_FIELDS:
                client.create_payload_index(
                    self.collection, field, field_schema=models.PayloadSchemaType.KEYWORD
                )

    # changes ------------------------------------------------------------------------------
    def upsert(self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[Payload]) -> None:
        if len(ids) != len(vectors) or len(ids) != len(payloads):
            raise ValueError("ids, vectors and payloads must be as many")
        matrix = unit_rows(np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1))
        if matrix.shape[1] != self.dimensions:
            raise ValueError(f"vectors have {matrix.shape[1]} dimensions, not {self.dimensions}")
        points = [
            models.PointStruct(id=_point_id(i), vector=row.tolist(), payload={**p, CHUNK_ID: i})
            for i, row, p in zip(ids, matrix, payloads, strict=True)
        ]
        with self._calling():
            self._ready(create=True)
            client = self._connected()
            for start in range(0, len(points), BATCH):
                client.upsert(self.collection, points[start : start + BATCH], wait=True)

    def delete(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self._calling():
            if not self._ready(create=False):
                return 0
            client = self._connected()
            found = client.retrieve(
                self.collection, [_point_id(i) for i in set(ids)], with_payload=False
            )
            if found:
                selector = models.PointIdsList(points=[point.id for point in found])
                client.delete(self.collection, points_selector=selector, wait=True)
            return len(found)

    # reading ------------------------------------------------------------------------------
    def count(self) -> int:
        with self._calling():
            if not self._ready(create=False):
                return 0
            return self._connected().count(self.collection, exact=True).count

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, tenant: str | None = None
    ) -> list[VectorHit]:
        if k <= 0:
            return []
        query = unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, self.dimensions))[0]
        with self._calling():
            if not self._ready(create=False):
                return []
            points = (
                self._connected()
                .query_points(
                    self.collection,
                    query=query.tolist(),
                    limit=k,
                    query_filter=qdrant_filter(filters, tenant),
                    with_payload=True,
                )
                .points
            )
        hits = []
        for point in points:
            payload = dict(point.payload or {})
            chunk_id = str(payload.pop(CHUNK_ID))
            hits.append(VectorHit(chunk_id, float(point.score), payload))
        return hits

    def close(self) -> None:
        """Release the HTTP connections, or local mode's folder lock so it can be reopened."""
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client, self._exists = None, False


def qdrant_filter(filters: Filters | None, tenant: str | None) -> models.Filter | None:
    """The Qdrant filter for a tenant and ``Filters``: every field must match one value."""
    must: list[models.Condition] = []
    if tenant is not None:
        must.append(_any_of("tenant", (tenant,)))
    if filters:
        for field, values in (
            ("chapter", filters.chapters),
            ("version", filters.versions),
            ("tags", filters.tags),  # on a list, any element matching is enough
        ):
            if values:
                must.append(_any_of(field, values))
        if filters.documents:  # a document by its id or by its name
            by: list[models.Condition] = [
                _any_of(field, filters.documents) for field in ("document_id", "document")
            ]
            must.append(models.Filter(should=by))
    return models.Filter(must=must) if must else None


def _any_of(field: str, values: Sequence[str]) -> models.FieldCondition:
    return models.FieldCondition(key=field, match=models.MatchAny(any=list(values)))


def _point_id(chunk_id: str) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, chunk_id))
