"""The documents' parts one app instance (or jobs worker) uses, and what users do with them:
ingest, delete, search and answer.

Vectors follow the state store, not the other way round: each chunk records the embedder
its vector was made with, and whatever has none (new chunks, an embedder that was down, a
new embedder) is embedded by the catch-up that follows every ingestion. A failure there
loses nothing: the chunks are searchable by their words meanwhile, and the next ingestion
or ``lakechat docs reindex`` embeds them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lakechat.errors import DependencyUnavailable, LakechatError
from lakechat.knowledge.answers import DocsAnswer, answer_from_passages, answer_from_selection
from lakechat.knowledge.base import Embedder, Filters, VectorIndex, payload_of
from lakechat.knowledge.documents import DocumentStore, Stored
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.ingest import Ingestor, Outcome, Progress, Upload
from lakechat.knowledge.lexical import LexicalIndex
from lakechat.knowledge.retrieval import Retrieved, Retriever
from lakechat.store.database import StateStore
from lakechat.store.models import DocumentRow

log = logging.getLogger(__name__)

#: chunks per encode call: the model sorts texts by length only within one call, so
#: small calls pad more (64 a call ran 1.21x the word pieces of one call, 256 ran 1.02x)
EMBED_BATCH = 256
#: an ingestion embeds what is pending once this many new chunks wait
EMBED_EVERY = 256


@dataclass(frozen=True)
class IngestReport:
    outcomes: list[Outcome]
    embedded: int
    #: why vectors could not be made (the chunks are stored and searchable by their words)
    vectors_error: str | None = None


class KnowledgeBase:
    def __init__(
        self,
        store: StateStore,
        files: FileStore,
        embedder: Embedder | None = None,
        open_vectors: Callable[[Embedder], VectorIndex] | None = None,
        *,
        min_relevance: float = 0.35,
    ) -> None:
        self.documents = DocumentStore(store)
        self.files = files
        self.embedder = embedder
        self._open_vectors = open_vectors
        self._vectors: VectorIndex | None = None
        self.min_relevance = min_relevance
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._lexical: dict[str, tuple[object, LexicalIndex]] = {}

    # the parts ------------------------------------------------------------------------------
    @property
    def vectors(self) -> VectorIndex | None:
        """The vector store, opened on first use (its size comes from the embedder)."""
        if self.embedder is None or self._open_vectors is None:
            return None
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = self._open_vectors(self.embedder)
        return self._vectors

    @property
    def search_mode(self) -> str:
        return "hybrid" if self.embedder is not None else "lexical"

    def warm_up(self) -> None:
        """Load the embedder and open the vector store ahead of the first question."""
        if self.embedder is not None:
            self.embedder.encode(["warm up"])
            _ = self.vectors

    def close(self) -> None:
        if self._vectors is not None:
            self._vectors.close()
        if self.embedder is not None:
            self.embedder.close()

    def lexical(self, tenant: str) -> LexicalIndex:
        """The tenant's BM25 index, rebuilt when any document changed since it was built
        (one build at a time: questions arriving meanwhile wait for it, not build their own)."""
        stamp = self.documents.stamp()
        cached = self._lexical.get(tenant)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._building:
            cached = self._lexical.get(tenant)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            index = LexicalIndex(self.documents.chunks(tenant))
            self._lexical[tenant] = (stamp, index)
            return index

    def retriever(self, tenant: str) -> Retriever:
        return Retriever(self.lexical(tenant), self.embedder, self.vectors, tenant)

    # changes --------------------------------------------------------------------------------
    def ingest(self, tenant: str, principal: str, uploads: Iterable[Upload],
               progress: Progress | None = None) -> IngestReport:  # fmt: skip
        """Store each upload (its own outcome), then embed what has no vector yet.

        ``progress(done, failed)`` counts files; a file is done once its chunks are
        stored and, with an embedder, embedded.
        """
        state = {"waiting": 0, "stored": 0, "failed": 0, "embedded": 0}
        errors: list[str] = []

        def stored(result: Stored) -> None:
            self._forget_vectors(result.removed)
            state["waiting"] += len(result.added)

        def file_done(done: int, failed: int) -> None:
            state["stored"], state["failed"] = done, failed
            if state["waiting"] >= EMBED_EVERY and not errors:
                state["embedded"] += self._catch_up(errors)
                state["waiting"] = 0
            if progress is not None and (state["waiting"] == 0 or self.embedder is None or errors):
                progress(done, failed)

        outcomes = Ingestor(self.documents, self.files, stored).ingest(
            tenant, principal, uploads, file_done
        )
        if not errors:
            state["embedded"] += self._catch_up(errors)
        if progress is not None:
            progress(state["stored"], state["failed"])
        return IngestReport(outcomes, state["embedded"], errors[0] if errors else None)

    def reindex(self, progress: Progress | None = None) -> tuple[int, str | None]:
        """Embed every chunk without a vector from this embedder; (embedded, error)."""
        errors: list[str] = []
        return self._catch_up(errors, progress), (errors[0] if errors else None)

    def pending_vectors(self) -> int:
        if self.embedder is None:
            return 0
        return self.documents.count_without_vectors(self.embedder.name)

    def delete(self, tenant: str, document_id: str) -> DocumentRow:
        """Remove a document, its chunks, its vectors and (unless another document has the
        same content) its original."""
        row, chunk_ids = self.documents.delete(tenant, document_id)
        self._forget_vectors(chunk_ids)
        if row.file_key and not self.documents.uses_file(row.file_key):
            self.files.delete(row.file_key)
        return row

    def _forget_vectors(self, ids: Sequence[str]) -> None:
        if not ids or self.embedder is None:
            return
        try:
            vectors = self.vectors
            if vectors is not None:
                vectors.delete(ids)
        except LakechatError as exc:
            # their chunks are gone, so search never returns them; the store keeps dead rows
            log.warning("vectors of %d removed chunks stay in the store: %s", len(ids), exc.message)

    def _catch_up(self, errors: list[str], progress: Progress | None = None) -> int:
        embedder = self.embedder
        if embedder is None:
            return 0
        embedded = 0
        while True:
            batch = self.documents.without_vectors(embedder.name, EMBED_BATCH)
            if not batch:
                return embedded
            try:
                vectors = self.vectors
                assert vectors is not None  # an embedder always has a store
                matrix = embedder.encode([chunk.for_search() for _, chunk in batch])
                vectors.upsert([c.id for _, c in batch], matrix,
                               [payload_of(c, tenant) for tenant, c in batch])  # fmt: skip
            except LakechatError as exc:
                log.warning("embedding document chunks failed: %s", exc.message)
                errors.append(exc.message)
                return embedded
            self.documents.mark_embedded([c.id for _, c in batch], embedder.name)
            embedded += len(batch)
            if progress is not None:
                progress(embedded, 0)

    # questions ------------------------------------------------------------------------------
    def search(self, tenant: str, query: str, top_k: int = 5,
               filters: Filters | None = None) -> list[Retrieved]:  # fmt: skip
        return self.retriever(tenant).search(query, top_k, filters)

    def answer(self, tenant: str, question: str, *, top_k: int = 5,
               filters: Filters | None = None) -> DocsAnswer:  # fmt: skip
        lexical = self.lexical(tenant)
        note = None
        try:
            found = Retriever(lexical, self.embedder, self.vectors, tenant).search(
                question, top_k, filters
            )
        except DependencyUnavailable as exc:  # the embedder or vector store is down
            log.warning("document search fell back to words only: %s", exc.message)
            found = Retriever(lexical, tenant=tenant).search(question, top_k, filters)
            note = (
                f"(Vector search is unavailable, so this answer matched words only: {exc.message})"
            )
        answer = answer_from_passages(question, found, lexical.weight, self.min_relevance)
        if note is None:
            return answer
        return dataclasses.replace(answer, response=f"{answer.response}\n\n{note}")

    def answer_in(self, tenant: str, question: str, selected: str) -> DocsAnswer:
        """Answer from the user's selected text alone."""
        embedder = self.embedder
        similarity = None
        if embedder is not None:

            def similarity(texts: Sequence[str]) -> Sequence[float]:
                matrix = embedder.encode([question, *texts])
                return [float(v) for v in matrix[1:] @ matrix[0]]

        return answer_from_selection(
            question, selected, self.lexical(tenant).weight, self.min_relevance, similarity
        )

    def health_detail(self) -> str:
        """/health's line on document search (it is public: no paths or URLs)."""
        embedder, vectors = self.embedder, self.vectors
        if embedder is None or vectors is None:
            return (
                "lexical search only: no embedder (install the `embeddings` extra, or set "
                "EMBEDDINGS_URL)"
            )
        return f"hybrid search: {embedder.name} vectors ({vectors.count()}) in the {vectors.name} store"

    def status(self) -> dict[str, Any]:
        """What /health and the CLI say about document search."""
        return {
            "search": self.search_mode,
            "embedder": self.embedder.name if self.embedder is not None else None,
            "vector_store": self.vectors.name if self.vectors is not None else None,
        }
