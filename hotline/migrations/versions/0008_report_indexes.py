"""report indexes: cases by opening time, calls by case

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 06:00:00

Supervisors' reports select the cases opened in a date range and then each case's
calls (see hotline/reports/models.py).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_created_at", "cases", ["created_at"], unique=False)
    op.create_index("ix_calls_case_id", "calls", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_calls_case_id", table_name="calls")
    op.drop_index("ix_cases_created_at", table_name="cases")
