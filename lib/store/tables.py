"""Database schema (SQLAlchemy Core). Alembic migrations in lib/store/migrations create it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

org_settings = Table(
    "org_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

working_groups = Table(
    "working_groups",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("purpose", Text, nullable=False, default=""),
    Column("mount_point", String(200), nullable=False, default=""),
    Column("grants", JSON, nullable=False, default=list),
    Column("archived", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False, default=0),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("grp", String(64), nullable=False),
    Column("uid", String(64), nullable=False),
    Column("role", String(32), nullable=True),
    Column("until", Date, nullable=True),
    UniqueConstraint("grp", "uid", "role", name="uq_membership"),
    Index("ix_memberships_uid", "uid"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_actor", "actor"),
    Index("ix_audit_action", "action"),
    Index("ix_audit_at", "at"),  # revision 0003: the date filters
)

journal_runs = Table(
    "journal_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("actor", String(64), nullable=False),
    Column("request_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed
    # Revision 0005: the process applying the run and when it last said so (SqlJournal.claim).
    Column("holder", String(64), nullable=True),
    Column("heartbeat", DateTime(timezone=True), nullable=True),
    Index("ix_journal_runs_status", "status"),
    Index("ix_journal_runs_request", "request_id"),
)

journal_changes = Table(
    "journal_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("journal_runs.run_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("change", JSON, nullable=False),
    Column("change_key", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | running | done | failed | skipped
    Column("answer", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("run_id", "seq", name="uq_journal_change"),
    Index("ix_journal_changes_updated_at", "updated_at"),  # revision 0004: SqlJournal.last_change_at
)

# Revision 0002: the request workflow.
access_requests = Table(
    "access_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("grp", String(64), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_requests_state", "state"),
    Index("ix_requests_requester", "requester"),
)

sent_notifications = Table(
    "sent_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, nullable=False),
    Column("uid", String(64), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Index("ix_sent_notifications_request", "request_id"),
)

used_tokens = Table(
    "used_tokens",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("used_at", DateTime(timezone=True), nullable=False),
)

locks = Table(
    "locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

# Revision 0006: the last reading of Nextcloud, one for every worker (lib/store/readings_repo.py).
nextcloud_readings = Table(
    "nextcloud_readings",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
)
