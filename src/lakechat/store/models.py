"""SQLAlchemy models of the state store. Alembic migrations create these tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lakechat.store.types import UtcDateTime, utcnow

#: An auto-incrementing 64-bit id on PostgreSQL that is still ROWID on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ApiKeyRow(Base):
    """An API key: only its SHA-256 hash and a visible prefix are kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ChatSessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200))
    tenant: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    memory: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_created", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    feedback_rating: Mapped[str | None] = mapped_column(String(10), nullable=True)
    feedback_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RequestLogRow(Base):
    """One row per API request: lakechat's inference table."""

    __tablename__ = "request_log"
    __table_args__ = (Index("ix_request_log_time", "time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(128), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    principal: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(300))
    http_status: Mapped[int] = mapped_column(Integer)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    domain: Mapped[str | None] = mapped_column(String(50), nullable=True)
    sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    tables: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class AuditLogRow(Base):
    """Who changed what: every executed change and admin action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_time", "time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    principal: Mapped[str] = mapped_column(String(200))
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    object: Mapped[str | None] = mapped_column(String(500), nullable=True)
    statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class JobRow(Base):
    """Background work with its progress."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    principal: Mapped[str] = mapped_column(String(200))
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CatalogMetadataRow(Base):
    """The embedded catalog's governance of one object (catalog, schema, table or column,
    by its dotted full name): owner, comment, who made it."""

    __tablename__ = "catalog_metadata"

    full_name: Mapped[str] = mapped_column(String(1100), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(255), nullable=True)


class CatalogTagRow(Base):
    __tablename__ = "catalog_tags"

    full_name: Mapped[str] = mapped_column(String(1100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(256), default="")


class CatalogGrantRow(Base):
    __tablename__ = "catalog_grants"

    full_name: Mapped[str] = mapped_column(String(1100), primary_key=True)
    principal: Mapped[str] = mapped_column(String(255), primary_key=True)
    privilege: Mapped[str] = mapped_column(String(40), primary_key=True)


class CatalogGroupRow(Base):
    """A group the embedded catalog knows; API keys join groups by name."""

    __tablename__ = "catalog_groups"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProposalRow(Base):
    """A catalog change waiting for someone allowed to confirm it."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(200))
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DocumentRow(Base):
    """A document the team ingested; its original is in the file store under ``file_key``."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_tenant_name", "tenant", "name", "version", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: how the document was cut into chunks (chunking.SPLITTING); None before it was kept
    splitting: Mapped[str | None] = mapped_column(String(100), nullable=True, default=None)
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    file_key: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChunkRow(Base):
    """A piece of a document: what is indexed, searched and quoted."""

    __tablename__ = "doc_chunks"
    __table_args__ = (
        Index("ix_doc_chunks_document", "document_id", "position"),
        Index("ix_doc_chunks_embedded_with", "embedded_with"),
    )

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    #: the embedder its vector was made with; None until it has one
    embedded_with: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)


class AlertStateRow(Base):
    """One alert rule's current state, and when it is next due (the scheduler's claim)."""

    __tablename__ = "alert_state"

    rule: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: ok or triggered: the episode the rule is in
    state: Mapped[str] = mapped_column(String(20), default="ok")
    #: when ``state`` began
    since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: the schedule ``next_run_at`` was computed from (a changed schedule recomputes it)
    schedule: Mapped[str] = mapped_column(String(200))
    next_run_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class AlertEventRow(Base):
    """A change in an alert rule's state (triggered, resolved) or an evaluation error."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_rule_time", "rule", "time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    condition: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)


class AlertDeliveryRow(Base):
    """One notification of an event to one channel, retried until delivered."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_status", "status", "rule"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("alert_events.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(Text)
    #: pending (not delivered yet; retried), delivered, or failed (gave up)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class UserPreferenceRow(Base):
    """A user's long-term preference (preferred workspace, summary or detail), kept until
    ``expires_at`` (HEALTH_MEMORY_DAYS after it was last set)."""

    __tablename__ = "user_preferences"
    __table_args__ = (Index("ix_user_preferences_expires_at", "expires_at"),)

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
