"""store-first SMS intake: raw deliveries, processed by the worker

Revision ID: s13a
Revises: 0014
Create Date: 2026-12-01 09:30:00

`/sms/incoming` stores each delivery once (`sms_deliveries`, unique on MessageSid) and
answers; the worker turns pending rows into messages, cases and replies. On PostgreSQL
an insert notifies `hotline_inbound`, which wakes the worker's processor at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db

revision = "s13a"
down_revision = "r14b"
branch_labels = None
depends_on = None

PENDING = "processed_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "sms_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),  # sealed: hotline.encryption
        sa.Column("received_at", hotline.db.UTCDateTime(), nullable=False),
        sa.Column("processed_at", hotline.db.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", hotline.db.UTCDateTime(), nullable=True),
        sa.Column("failed_at", hotline.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sid"),
    )
    op.create_index("ix_sms_deliveries_sender", "sms_deliveries", ["sender_hash", "id"])
    op.create_index(
        "ix_sms_deliveries_pending",
        "sms_deliveries",
        ["id"],
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION hotline_inbound_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('hotline_inbound', '');
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER sms_deliveries_notify AFTER INSERT ON sms_deliveries"
        " FOR EACH STATEMENT EXECUTE FUNCTION hotline_inbound_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sms_deliveries_notify ON sms_deliveries")
        op.execute("DROP FUNCTION hotline_inbound_notify()")
    op.drop_index("ix_sms_deliveries_pending", table_name="sms_deliveries")
    op.drop_index("ix_sms_deliveries_sender", table_name="sms_deliveries")
    op.drop_table("sms_deliveries")
