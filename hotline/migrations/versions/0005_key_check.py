"""key check: the stored fingerprint of HOTLINE_SECRET_KEY

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 05:00:00

`hotline serve` and `hotline worker` compare the configured key with this value and
refuse to start on a mismatch (hotline.preflight), instead of treating every known
worker as a stranger because their numbers no longer decrypt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_checks")),
        sa.UniqueConstraint("name", name=op.f("uq_key_checks_name")),
    )


def downgrade() -> None:
    op.drop_table("key_checks")
