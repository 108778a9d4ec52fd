"""sms_deliveries: the worker is woken by the web process, not by a trigger

Revision ID: s13b
Revises: s13a
Create Date: 2026-12-01 19:40:00

The statement trigger of s13a sent `NOTIFY hotline_inbound` inside every webhook's
INSERT, and PostgreSQL serialises the commits of transactions that notify: at 16
concurrent inserts the server committed 2,800–3,350 rows a second instead of 7,300–10,400.
Web processes now send the NOTIFY themselves, after the commit and once for any number
of texts (hotline.wakeup), so the trigger goes. The worker listens on the same channel.
"""

from __future__ import annotations

from alembic import op

revision = "s13b"
down_revision = "s13a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER sms_deliveries_notify ON sms_deliveries")
    op.execute("DROP FUNCTION hotline_inbound_notify()")


def downgrade() -> None:
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
