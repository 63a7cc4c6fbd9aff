"""The inbox tables (SQLAlchemy Core). Alembic migrations in storage/inbox/migrations create them;
this module is what queries are written against, and must match the newest migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend (SQLite keeps no time zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the inbox")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        when: datetime = value
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


metadata = sa.MetaData()

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("recipient", sa.String(64), nullable=False, index=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("outcome", sa.String(32)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("key_ids", sa.String(1024), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("coordinator", sa.String(200)),
    sa.Column("envelope", sa.LargeBinary, nullable=False),
    sa.Column("idempotency_hash", sa.String(64), unique=True),
)

status_events = sa.Table(
    "status_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "referral_id",
        sa.Uuid,
        sa.ForeignKey("referrals.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32)),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("note", sa.LargeBinary),
    # The referral's status chain (storage.inbox.statuschain), from migration 0003.
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

recipient_keys = sa.Table(
    "recipient_keys",
    metadata,
    sa.Column("recipient", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("reference", sa.String(16)),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Ids and references of crypto-shredded referrals (never their content): a row that comes back
# with one of them (a restored backup) is refused by `show` and named by `audit-verify`.
purged_referrals = sa.Table(
    "purged_referrals",
    metadata,
    sa.Column("referral_id", sa.Uuid, primary_key=True),
    sa.Column("reference", sa.String(16), nullable=False, index=True),
    sa.Column("purged_at", UTCDateTime, nullable=False),
)
