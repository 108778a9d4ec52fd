"""live presence: when a caller joined and left a language queue, an adviser's last action

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 06:00:00

Advisers are told about callers waiting in a live queue, and supervisors see how long
they wait (hotline/agents/waiting.py); an adviser who has done nothing for
HOTLINE_AGENT_IDLE_MINUTES no longer counts as available (hotline/agents/presence.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("dequeued_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_calls_queued_at", ["queued_at"], unique=False)
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("last_active_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("last_active_at")
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_queued_at")
        batch.drop_column("dequeued_at")
        batch.drop_column("queued_at")
