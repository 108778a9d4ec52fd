"""job heartbeat: a running outbox job renews its lease

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:20:00

`outbox_jobs.heartbeat_at` is renewed every few seconds by the process running the job
(hotline.jobs.heartbeat). A started job whose heartbeat is older than the lease was
abandoned by a dead worker and is handed out again within a minute, instead of after
a fixed 15 minutes counted from its start. Jobs already started count from their start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.add_column(sa.Column("heartbeat_at", hotline.db.UTCDateTime(), nullable=True))
    op.execute("UPDATE outbox_jobs SET heartbeat_at = started_at WHERE started_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.drop_column("heartbeat_at")
