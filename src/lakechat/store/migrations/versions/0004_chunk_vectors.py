"""Which embedder each chunk's vector was made with, and how each document was cut.

Revision ID: 0004_chunk_vectors
Revises: 0003_documents
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_chunk_vectors"
down_revision = "0003_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no vector yet (no embedder, or embedding failed): the catch-up embeds these
    with op.batch_alter_table("doc_chunks") as batch:
        batch.add_column(sa.Column("embedded_with", sa.String(200), nullable=True))
    op.create_index("ix_doc_chunks_embedded_with", "doc_chunks", ["embedded_with"])
    # NULL: cut before this was recorded, so the next ingestion cuts it again
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("splitting", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("splitting")
    op.drop_index("ix_doc_chunks_embedded_with", table_name="doc_chunks")
    with op.batch_alter_table("doc_chunks") as batch:
        batch.drop_column("embedded_with")
