"""Chunk vectors in PostgreSQL with the pgvector extension: one table, one row per chunk.

The payload's fields (see ``payload_of``) are columns, so filters are a WHERE clause next to
an HNSW index on cosine distance. The table, its indexes and the extension are made on first
use; a table made for another embedder's vector size is refused, not mixed.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from lakechat.errors import DependencyUnavailable, first_line
from lakechat.knowledge.base import Filters, Payload, VectorHit, unit_rows

#: the payload fields kept as columns (``payload_of``'s keys); other keys are not stored
FIELDS = ("tenant", "document_id", "document", "chapter", "version", "tags")
BATCH = 500
#: pgvector's largest ``hnsw.ef_search``; a search wanting more scans the table instead
MAX_EF_SEARCH = 1000


class PgVectorIndex:
    """A ``VectorIndex`` on one PostgreSQL table, searched by pgvector's cosine distance.

    HNSW is approximate and pgvector (before 0.8) filters the candidates the index returns,
    so a filter that rejects most rows can leave fewer than ``k`` hits, or miss a better one.
    Each search therefore raises ``hnsw.ef_search`` to ``max(ef_search, 4 * k)``: more
    candidates, slower searches, near-exact results. Past 1,000 (pgvector's limit) the search
    skips the index and scans the table, which is exact and linear in its size.
    """

    name = "pgvector"

    def __init__(
        self,
        url: str,
        dimensions: int,
        *,
        table: str = "lakechat_vectors",
        ef_search: int = 40,
        connect_timeout: float = 5.0,
    ) -> None:
        # a SQLAlchemy URL names its driver (postgresql+psycopg://); libpq does not take it
        self._conninfo = re.sub(r"^(postgres(?:ql)?)\+\w+://", r"\1://", url)
        self.dimensions = dimensions
        self.table = table
        self.ef_search = ef_search
        self._connect_timeout = max(1, int(connect_timeout))
        parts = conninfo_to_dict(self._conninfo)
        self._where = (
            f"PostgreSQL at {parts.get('host') or 'localhost'}:{parts.get('port') or 5432}"
            f"/{parts.get('dbname') or ''}"
        )
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None

    # the connection and the table ---------------------------------------------------------
    @contextlib.contextmanager
    def _calling(self) -> Iterator[psycopg.Connection]:
        """A pooled connection; driver errors become ``DependencyUnavailable``."""
        try:
            with self._ready().connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise DependencyUnavailable(
                "vector store", f"{self._where}: {first_line(exc)}"
            ) from exc

    def _ready(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._set_up()
                pool = ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=4,
                    kwargs={"autocommit": True, "connect_timeout": self._connect_timeout},
                    configure=register_vector,
                    check=ConnectionPool.check_connection,
                    timeout=self._connect_timeout + 5,
                    open=False,
                )
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    def _set_up(self) -> None:
        """Make the extension, table and indexes once; refuse a table of another size."""
        try:
            conn = psycopg.connect(self._conninfo, connect_timeout=self._connect_timeout)
        except psycopg.Error as exc:
            raise DependencyUnavailable(
                "vector store", f"cannot connect to {self._where}: {first_line(exc)}"
            ) from exc
        table = sql.Identifier(self.table)
        with conn, conn.cursor() as cur:
            # one worker at a time, so two first starts do not both create the table
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('lakechat pgvector setup'))")
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
            if cur.fetchone() is None:
                try:
                    cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
                except psycopg.Error as exc:
                    raise DependencyUnavailable(
                        "vector store",
                        f"{self._where} has no pgvector extension ({first_line(exc)}); install "
                        "pgvector on the server and run CREATE EXTENSION vector as its owner",
                    ) from exc
            cur.execute(
                "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(%s) "
                "AND attname = 'embedding' AND NOT attisdropped",
                [table.as_string(conn)],
            )
            found = cur.fetchone()
            if found is not None and found[0] != self.dimensions:
                raise ValueError(
                    f"the pgvector table {self.table} ({self._where}) holds {found[0]}-dimension "
                    f"vectors; the embedder makes {self.dimensions}: drop the table and ingest "
                    "again"
                )
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, tenant text NOT NULL, "
                    "document_id text, document text, chapter text, version text, "
                    "tags text[] NOT NULL DEFAULT '{{}}', embedding vector({}) NOT NULL)"
                ).format(table, sql.Literal(self.dimensions))
            )
            cur.execute(
                sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw (embedding vector_cosine_ops)"
                ).format(sql.Identifier(f"{self.table}_embedding"), table)
            )
            cur.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (tenant)").format(
                    sql.Identifier(f"{self.table}_tenant"), table
                )
            )
        conn.close()

    # changes ------------------------------------------------------------------------------
    def upsert(self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[Payload]) -> None:
        if len(ids) != len(vectors) or len(ids) != len(payloads):
            raise ValueError("ids, vectors and payloads must be as many")
        matrix = unit_rows(np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1))
        if matrix.shape[1] != self.dimensions:
            raise ValueError(f"vectors have {matrix.shape[1]} dimensions, not {self.dimensions}")
        statement = sql.SQL(
            "INSERT INTO {} (id, tenant, document_id, document, chapter, version, tags, embedding) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET {}"
        ).format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column))
                for column in (*FIELDS, "embedding")
            ),
        )
        rows = [
            (
                chunk_id,
                str(p.get("tenant") or ""),
                p.get("document_id"),
                p.get("document"),
                p.get("chapter"),
                p.get("version"),
                [str(tag) for tag in p.get("tags") or ()],
                row,
            )
            for chunk_id, row, p in zip(ids, matrix, payloads, strict=True)
        ]
        with self._calling() as conn, conn.transaction(), conn.cursor() as cur:
            for start in range(0, len(rows), BATCH):
                cur.executemany(statement, rows[start : start + BATCH])

    def delete(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        statement = sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(self.table))
        with self._calling() as conn:
            return conn.execute(statement, [list(ids)]).rowcount

    # reading ------------------------------------------------------------------------------
    def count(self) -> int:
        statement = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(self.table))
        with self._calling() as conn:
            found = conn.execute(statement).fetchone()
        return int(found[0]) if found else 0

    def search(
        self, vector: np.ndarray, k: int, filters: Filters | None = None, tenant: str | None = None
    ) -> list[VectorHit]:
        if k <= 0:
            return []
        query = unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, self.dimensions))[0]
        where, params = _where_clause(filters, tenant)
        statement = sql.SQL(
            "SELECT id, tenant, document_id, document, chapter, version, tags, "
            "1 - (embedding <=> %s) FROM {} WHERE {} ORDER BY embedding <=> %s LIMIT %s"
        ).format(sql.Identifier(self.table), where)
        ef = max(self.ef_search, 4 * k)
        with self._calling() as conn, conn.transaction():
            if ef > MAX_EF_SEARCH:
                conn.execute("SELECT set_config('enable_indexscan', 'off', true)")
            else:
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
            rows = conn.execute(statement, [query, *params, query, k]).fetchall()
        return [
            VectorHit(
                row[0], float(row[7]), dict(zip(FIELDS, (*row[1:6], list(row[6])), strict=True))
            )
            for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
            self._pool = None


def _where_clause(
    filters: Filters | None, tenant: str | None
) -> tuple[sql.Composable, list[object]]:
    """The WHERE condition for a tenant and ``Filters``, and its parameters."""
    conditions: list[sql.Composable] = [sql.SQL("true")]
    params: list[object] = []
    if tenant is not None:
        conditions.append(sql.SQL("tenant = %s"))
        params.append(tenant)
    if filters:
        if filters.chapters:
            conditions.append(sql.SQL("chapter = ANY(%s)"))
            params.append(list(filters.chapters))
        if filters.versions:
            conditions.append(sql.SQL("version = ANY(%s)"))
            params.append(list(filters.versions))
        if filters.documents:  # a document by its id or by its name
            conditions.append(sql.SQL("(document_id = ANY(%s) OR document = ANY(%s))"))
            params += [list(filters.documents), list(filters.documents)]
        if filters.tags:  # any of them
            conditions.append(sql.SQL("tags && %s::text[]"))
            params.append(list(filters.tags))
    return sql.SQL(" AND ").join(conditions), params
