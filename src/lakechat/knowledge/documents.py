"""Documents and their chunks in the state store.

A document is one file (or one ``POST /ingest`` section) of one tenant, by name and
version. Storing it again with the same content changes nothing; with new content, the
chunks whose text is unchanged keep their ids (so their vectors stay), the others are
replaced, and the result says which chunk ids went and which chunks are new, for the
indexes to follow.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from lakechat.errors import NotFound
from lakechat.knowledge.chunking import SPLITTING, Chunk
from lakechat.store.database import StateStore
from lakechat.store.models import ChunkRow, DocumentRow
from lakechat.store.types import utcnow


@dataclass(frozen=True)
class StoredChunk:
    """A chunk with what retrieval filters and cites by."""

    id: str
    document_id: str
    document: str  # the document's name
    title: str
    version: str
    tags: tuple[str, ...]
    position: int
    path: tuple[str, ...]
    page: int | None
    text: str

    @property
    def chapter(self) -> str | None:
        return self.path[0] if self.path else None

    @property
    def section(self) -> str | None:
        return self.path[-1] if self.path else None

    def for_search(self) -> str:
        """The text that is indexed and embedded: where the chunk sits, then what it says.
        The title leads unless the heading path already starts with it (a Markdown H1)."""
        where = self.path if self.path[:1] == (self.title,) else (self.title, *self.path)
        return f"{' > '.join(where)}\n{self.text}"


@dataclass(frozen=True)
class Stored:
    document_id: str
    status: str  # "added" | "replaced" | "unchanged"
    removed: tuple[str, ...] = ()
    added: tuple[StoredChunk, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NewDocument:
    tenant: str
    name: str
    title: str
    kind: str
    version: str
    tags: tuple[str, ...]
    data_hash: str
    size_bytes: int
    file_key: str | None
    created_by: str


class DocumentStore:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    def save(self, doc: NewDocument, chunks: Sequence[Chunk]) -> Stored:
        now = utcnow()
        with self.store.session() as session:
            row = session.scalar(select(DocumentRow).where(
                DocumentRow.tenant == doc.tenant, DocumentRow.name == doc.name, DocumentRow.version == doc.version))  # fmt: skip
            if (
                row is not None
                and row.content_hash == doc.data_hash
                and row.splitting == SPLITTING
                and row.title == doc.title
                and list(row.tags) == list(doc.tags)
            ):
                return Stored(row.id, "unchanged")
            status = "replaced" if row is not None else "added"
            # a new title or tags change what every chunk carries: then all are indexed again
            relabelled = row is not None and (
                row.title != doc.title or list(row.tags) != list(doc.tags)
            )
            if row is None:
                row = DocumentRow(id=uuid.uuid4().hex, tenant=doc.tenant, name=doc.name, created_by=doc.created_by,
                                  created_at=now)  # fmt: skip
                session.add(row)
            row.title, row.kind, row.version, row.tags = (
                doc.title,
                doc.kind,
                doc.version,
                list(doc.tags),
            )
            row.content_hash, row.size_bytes, row.file_key = (
                doc.data_hash,
                doc.size_bytes,
                doc.file_key,
            )
            row.chunk_count, row.updated_at, row.splitting = len(chunks), now, SPLITTING
            old = {
                c.id: c
                for c in session.scalars(select(ChunkRow).where(ChunkRow.document_id == row.id))
            }
            wanted = _ids(row.id, chunks)
            removed = [i for i in old if i not in wanted.values()]
            if removed:
                session.execute(delete(ChunkRow).where(ChunkRow.id.in_(removed)))
            added: list[StoredChunk] = []
            for position, chunk_id in wanted.items():
                c = chunks[position]
                if chunk_id in old:
                    old[chunk_id].position = position
                    continue
                session.add(ChunkRow(id=chunk_id, document_id=row.id, position=position, path=list(c.path),
                                     page=c.page, text=c.text, digest=c.digest))  # fmt: skip
                added.append(self._stored(row, chunk_id, position, list(c.path), c.page, c.text))
            refresh = [c for c in old.values() if c.id not in removed] if relabelled else []
            for stale in refresh:  # their vectors carry the old title and tags
                stale.embedded_with = None
            removed_ids = tuple(removed) + tuple(c.id for c in refresh)
            added += [
                self._stored(row, c.id, c.position, list(c.path), c.page, c.text) for c in refresh
            ]
            return Stored(row.id, status, removed_ids, tuple(added))

    @staticmethod
    def _stored(row: DocumentRow, chunk_id: str, position: int, path: list[str], page: int | None,
                text: str) -> StoredChunk:  # fmt: skip
        return StoredChunk(chunk_id, row.id, row.name, row.title, row.version, tuple(row.tags), position,
                           tuple(path), page, text)  # fmt: skip

    def delete(self, tenant: str, document_id: str) -> tuple[DocumentRow, list[str]]:
        """Remove a document; returns it and its chunk ids (for the indexes)."""
        with self.store.session() as session:
            row = session.get(DocumentRow, document_id)
            if row is None or row.tenant != tenant:
                raise NotFound(f"no document {document_id!r}")
            ids = list(
                session.scalars(select(ChunkRow.id).where(ChunkRow.document_id == document_id))
            )
            session.execute(delete(ChunkRow).where(ChunkRow.document_id == document_id))
            session.delete(row)
            return row, ids

    def uses_file(self, file_key: str) -> bool:
        """Whether any document still keeps its original under ``file_key``."""
        with self.store.session() as session:
            return (
                session.scalar(
                    select(DocumentRow.id).where(DocumentRow.file_key == file_key).limit(1)
                )
                is not None
            )

    def get(self, tenant: str, document_id: str) -> DocumentRow:
        with self.store.session() as session:
            row = session.get(DocumentRow, document_id)
        if row is None or row.tenant != tenant:
            raise NotFound(f"no document {document_id!r}")
        return row

    def listed(
        self, tenant: str, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[DocumentRow], int]:
        with self.store.session() as session:
            total = session.scalar(
                select(func.count()).select_from(DocumentRow).where(DocumentRow.tenant == tenant)
            )
            rows = list(session.scalars(select(DocumentRow).where(DocumentRow.tenant == tenant)
                                        .order_by(DocumentRow.name, DocumentRow.version).offset(offset).limit(limit)))  # fmt: skip
        return rows, int(total or 0)

    def chunks(self, tenant: str | None = None) -> Iterator[StoredChunk]:
        """Every chunk (of one tenant), with its document's fields, in document order.

        Plain columns, not ORM rows: building the index of 100,000 chunks read them in
        6.2 s as entities and in well under a second as rows."""
        query = (select(ChunkRow.id, ChunkRow.document_id, DocumentRow.name, DocumentRow.title,
                        DocumentRow.version, DocumentRow.tags, ChunkRow.position, ChunkRow.path,
                        ChunkRow.page, ChunkRow.text)
                 .join(DocumentRow, ChunkRow.document_id == DocumentRow.id)
                 .order_by(DocumentRow.id, ChunkRow.position))  # fmt: skip
        if tenant is not None:
            query = query.where(DocumentRow.tenant == tenant)
        with self.store.session() as session:
            for (
                cid,
                doc_id,
                name,
                title,
                version,
                tags,
                position,
                path,
                page,
                text,
            ) in session.execute(query):
                yield StoredChunk(cid, doc_id, name, title, version, tuple(tags), position,
                                  tuple(path), page, text)  # fmt: skip

    def without_vectors(self, embedder: str, limit: int) -> list[tuple[str, StoredChunk]]:
        """Up to ``limit`` chunks (with their tenant) that have no vector from ``embedder``."""
        query = (select(ChunkRow, DocumentRow).join(DocumentRow, ChunkRow.document_id == DocumentRow.id)
                 .where(or_(ChunkRow.embedded_with.is_(None), ChunkRow.embedded_with != embedder))
                 .order_by(DocumentRow.id, ChunkRow.position).limit(limit))  # fmt: skip
        with self.store.session() as session:
            return [
                (doc.tenant, self._stored(doc, c.id, c.position, list(c.path), c.page, c.text))
                for c, doc in session.execute(query)
            ]

    def count_without_vectors(self, embedder: str) -> int:
        with self.store.session() as session:
            return int(session.scalar(select(func.count()).select_from(ChunkRow).where(
                or_(ChunkRow.embedded_with.is_(None), ChunkRow.embedded_with != embedder))) or 0)  # fmt: skip

    def mark_embedded(self, ids: Sequence[str], embedder: str) -> None:
        with self.store.session() as session:
            session.execute(
                update(ChunkRow).where(ChunkRow.id.in_(list(ids))).values(embedded_with=embedder)
            )

    def stamp(self) -> tuple[int, datetime | None]:
        """What changes when any document does (indexes rebuild when it moves)."""
        with self.store.session() as session:
            count, latest = session.execute(
                select(func.count(DocumentRow.id), func.max(DocumentRow.updated_at))
            ).one()
        return int(count or 0), latest


def _ids(document_id: str, chunks: Sequence[Chunk]) -> dict[int, str]:
    """Chunk ids from the document and the chunk's content, so unchanged chunks keep theirs."""
    ids: dict[int, str] = {}
    seen: set[str] = set()
    for position, c in enumerate(chunks):
        base = hashlib.sha256(f"{document_id}\x1f{c.digest}".encode()).hexdigest()[:32]
        chunk_id, n = base, 1
        while chunk_id in seen:  # the same text twice in one document
            chunk_id, n = f"{base}-{n}", n + 1
        seen.add(chunk_id)
        ids[position] = chunk_id
    return ids


def as_json(row: DocumentRow) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "title": row.title, "kind": row.kind, "version": row.version,
        "tags": list(row.tags), "size_bytes": row.size_bytes, "chunks": row.chunk_count,
        "content_hash": row.content_hash, "created_by": row.created_by,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
    }  # fmt: skip
