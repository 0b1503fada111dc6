"""Each user's long-term preferences (the health agent's memory), with an expiry.

Revision ID: 0006_preferences
Revises: 0005_alerts
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lakechat.store.types import UtcDateTime

revision = "0006_preferences"
down_revision = "0005_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("principal", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_user_preferences_expires_at", "user_preferences", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_user_preferences_expires_at", table_name="user_preferences")
    op.drop_table("user_preferences")
