"""Which embedder and vector store the settings select, and the knowledge base built on them."""

from __future__ import annotations

import re
from collections.abc import Callable

from lakechat.errors import ConfigurationError
from lakechat.knowledge.base import Embedder, VectorIndex
from lakechat.knowledge.files import FileStore
from lakechat.knowledge.service import KnowledgeBase
from lakechat.settings import Settings
from lakechat.store.database import StateStore


def build_embedder(settings: Settings) -> Embedder | None:
    """EMBEDDINGS_PROVIDER: openai, local, none, or auto (openai when EMBEDDINGS_URL is
    set, else the packaged model when installed, else none: lexical search only)."""
    from lakechat.knowledge.embedders import LocalEmbedder, OpenAIEmbedder, local_embedder_installed

    provider = settings.embeddings_provider
    if provider == "auto":
        if settings.embeddings_url:
            provider = "openai"
        else:
            provider = "local" if local_embedder_installed() else "none"
    if provider == "none":
        return None
    if provider == "local":
        if not local_embedder_installed():
            raise ConfigurationError(
                "EMBEDDINGS_PROVIDER=local needs the `embeddings` extra: "
                "pip install 'lakechat[embeddings]' torch==2.13.0"
            )
        return LocalEmbedder()
    if not settings.embeddings_url:
        raise ConfigurationError("EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_URL (…/v1)")
    key = settings.embeddings_api_key or settings.openai_api_key
    return OpenAIEmbedder(
        settings.embeddings_url,
        key.get_secret_value() if key is not None else None,
        settings.embeddings_model,
    )


def vector_opener(settings: Settings) -> Callable[[Embedder], VectorIndex]:
    """Opens VECTOR_STORE for an embedder (the store's vector size is the embedder's)."""
    store = settings.vector_store
    if store == "qdrant":
        if not settings.qdrant_url:
            raise ConfigurationError("VECTOR_STORE=qdrant needs QDRANT_URL")
        url = settings.qdrant_url
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None

        def open_qdrant(embedder: Embedder) -> VectorIndex:
            from lakechat.knowledge.vectors_qdrant import QdrantVectorIndex

            collection = settings.qdrant_collection
            if url == ":memory:":
                return QdrantVectorIndex(embedder.dimensions, location=url, collection=collection)
            if "://" not in url:  # a folder: Qdrant's local mode on disk
                return QdrantVectorIndex(embedder.dimensions, path=url, collection=collection)
            return QdrantVectorIndex(
                embedder.dimensions, url=url, api_key=key, collection=collection
            )

        return open_qdrant
    if store == "pgvector":
        pg_url = settings.pgvector_url or settings.database_url or ""
        if not pg_url.startswith(("postgres://", "postgresql")):
            raise ConfigurationError(
                "VECTOR_STORE=pgvector needs PGVECTOR_URL (or a PostgreSQL DATABASE_URL)"
            )

        def open_pgvector(embedder: Embedder) -> VectorIndex:
            from lakechat.knowledge.vectors_pg import PgVectorIndex

            return PgVectorIndex(pg_url, embedder.dimensions)

        return open_pgvector

    def open_local(embedder: Embedder) -> VectorIndex:
        from lakechat.knowledge.vectors_local import LocalVectorIndex

        # one folder per embedder: switching models never mixes vectors of two sizes
        folder = settings.home / "vectors" / re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder.name)
        return LocalVectorIndex(folder, embedder.dimensions)

    return open_local


def build_knowledge(settings: Settings, store: StateStore) -> KnowledgeBase:
    embedder = build_embedder(settings)
    opener = vector_opener(settings)  # checks VECTOR_STORE's settings even without an embedder
    return KnowledgeBase(
        store,
        FileStore(settings.files_location),
        embedder,
        opener if embedder is not None else None,
        min_relevance=settings.docs_min_relevance,
    )
