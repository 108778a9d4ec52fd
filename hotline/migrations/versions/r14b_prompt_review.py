"""prompt review: reviewers per language and versions of pack texts

Revision ID: r14b
Revises: 0014
Create Date: 2026-12-01 09:30:00

`prompt_reviewers` says which agents review which language; `prompt_versions` keeps
every reviewed or edited text of a language pack (who, when), the latest being live.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db

revision = "r14b"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", hotline.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["granted_by"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agent_id", "language", name="uq_prompt_reviewer"),
    )
    op.create_index("ix_prompt_reviewers_agent_id", "prompt_reviewers", ["agent_id"])
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_prompt_versions_lookup", "prompt_versions", ["language", "channel", "key"]
    )


def downgrade() -> None:
    op.drop_index("ix_prompt_versions_lookup", table_name="prompt_versions")
    op.drop_table("prompt_versions")
    op.drop_index("ix_prompt_reviewers_agent_id", table_name="prompt_reviewers")
    op.drop_table("prompt_reviewers")
