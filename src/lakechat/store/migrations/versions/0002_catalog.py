"""Catalog governance (owners, comments, tags, grants, groups) and change proposals.

Revision ID: 0002_catalog
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lakechat.store.types import UtcDateTime

revision = "0002_catalog"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_metadata",
        sa.Column("full_name", sa.String(1100), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "catalog_tags",
        sa.Column("full_name", sa.String(1100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "catalog_grants",
        sa.Column("full_name", sa.String(1100), primary_key=True),
        sa.Column("principal", sa.String(255), primary_key=True),
        sa.Column("privilege", sa.String(40), primary_key=True),
    )
    op.create_table(
        "catalog_groups",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("tenant", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "proposals",
        "catalog_groups",
        "catalog_grants",
        "catalog_tags",
        "catalog_metadata",
    ):
        op.drop_table(table)
