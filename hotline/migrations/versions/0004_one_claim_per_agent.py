"""one held callback per agent, guaranteed by the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 05:00:00

The holder index becomes a partial unique index, so two concurrent claims by one agent
cannot both hold a request. Requests an agent held beyond the first (left by the race
this closes) go back to the queue first, keeping the one claimed earliest.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CLAIMED = text("status = 'claimed'")


def upgrade() -> None:
    op.execute(
        """
        UPDATE callback_requests
        SET status = 'queued', claimed_by_id = NULL, claimed_at = NULL,
            lease_expires_at = NULL
        WHERE status = 'claimed' AND EXISTS (
            SELECT 1 FROM callback_requests AS earlier
            WHERE earlier.status = 'claimed'
              AND earlier.claimed_by_id = callback_requests.claimed_by_id
              AND (earlier.claimed_at < callback_requests.claimed_at
                   OR (earlier.claimed_at = callback_requests.claimed_at
                       AND earlier.id < callback_requests.id))
        )
        """
    )
    op.drop_index("ix_callbacks_holder", table_name="callback_requests")
    op.create_index(
        "uq_callbacks_holder",
        "callback_requests",
        ["claimed_by_id"],
        unique=True,
        postgresql_where=_CLAIMED,
        sqlite_where=_CLAIMED,
    )


def downgrade() -> None:
    op.drop_index("uq_callbacks_holder", table_name="callback_requests")
    op.create_index(
        "ix_callbacks_holder",
        "callback_requests",
        ["claimed_by_id"],
        postgresql_where=_CLAIMED,
        sqlite_where=_CLAIMED,
    )
