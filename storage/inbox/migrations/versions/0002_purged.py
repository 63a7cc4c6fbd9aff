"""Purged referrals are remembered: a copy restored from a backup is refused, not reopened.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.inbox.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purged_referrals",
        sa.Column("referral_id", sa.Uuid, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("purged_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_purged_referrals_reference", "purged_referrals", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_purged_referrals_reference", "purged_referrals")
    op.drop_table("purged_referrals")
