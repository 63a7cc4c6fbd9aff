"""Each referral's status history is a hash chain: every event holds the previous one's hash.

Existing events are chained here, in their stored order (event id), so a history that was
already there is verified from now on like a new one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from storage.inbox.common import stored_time
from storage.inbox.statuschain import chained, seed

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_EVENTS = sa.table(
    "status_events",
    sa.column("id", sa.Integer),
    sa.column("referral_id", sa.Uuid),
    sa.column("status", sa.String),
    sa.column("outcome", sa.String),
    sa.column("at"),  # as the driver gives it: text on SQLite, a datetime on PostgreSQL
    sa.column("actor", sa.String),
    sa.column("note", sa.LargeBinary),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("status_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    conn = op.get_bind()
    e = _EVENTS.c
    rows = conn.execute(
        sa.select(
            e.id,
            e.referral_id,
            e.status,
            e.outcome,
            e.at,
            e.actor,
            e.note.is_not(None).label("has_note"),
        ).order_by(e.referral_id, e.id)
    ).all()
    previous: dict[uuid.UUID, str] = {}
    for row in rows:
        referral_id = uuid.UUID(str(row.referral_id))
        link = chained(
            previous.get(referral_id) or seed(referral_id),
            referral_id,
            status=row.status,
            outcome=row.outcome,
            at=stored_time(row.at),
            actor=row.actor,
            note=bool(row.has_note),
        )
        previous[referral_id] = link["hash"]
        conn.execute(_EVENTS.update().where(e.id == row.id).values(**link))
    with op.batch_alter_table("status_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("status_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
