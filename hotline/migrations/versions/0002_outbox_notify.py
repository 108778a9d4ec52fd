"""outbox rows wake the worker's relay (PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 16:00:00

A transaction that records outbox jobs sends one NOTIFY on `hotline_outbox` when it
commits (PostgreSQL folds repeats within a transaction into one). The worker's relay
LISTENs and pushes the jobs to Redis at once, so a web request neither pushes them
itself nor pays a round trip for the notification. SQLite has no notifications: there
the web process pushes after its response, as before.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION hotline_outbox_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('hotline_outbox', '');
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_jobs_notify AFTER INSERT ON outbox_jobs"
        " FOR EACH STATEMENT EXECUTE FUNCTION hotline_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER outbox_jobs_notify ON outbox_jobs")
    op.execute("DROP FUNCTION hotline_outbox_notify()")
