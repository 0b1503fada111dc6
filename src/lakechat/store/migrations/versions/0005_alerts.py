"""Alert rules' state, their events (triggered, resolved, errors) and notifications.

Revision ID: 0005_alerts
Revises: 0004_chunk_vectors
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lakechat.store.types import UtcDateTime

revision = "0005_alerts"
down_revision = "0004_chunk_vectors"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_state",
        sa.Column("rule", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("next_run_at", UtcDateTime(), nullable=False),
        sa.Column("last_run_at", UtcDateTime(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("time", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("condition", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_alert_events_rule_time", "alert_events", ["rule", "time"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "event_id",
            BIG_ID,
            sa.ForeignKey("alert_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_alert_deliveries_event_id", "alert_deliveries", ["event_id"])
    op.create_index("ix_alert_deliveries_status", "alert_deliveries", ["status", "rule"])


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_status", table_name="alert_deliveries")
    op.drop_index("ix_alert_deliveries_event_id", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_events_rule_time", table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_table("alert_state")
