"""casework: case life, topics, notes and timeline, unread markers, referral directory

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:00:00

Cases gain the statuses `waiting` and `referred` and an outcome when closed; "one open
case per caller" becomes "one case not yet closed per caller". The single free-text
`topic` column becomes the `case_topics` table (several topics per case).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seed_key', sa.String(length=64), nullable=True),
    sa.Column('name_ja', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('known_as', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('prefecture', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.Column('verified_at', hotline.db.UTCDateTime(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', hotline.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', hotline.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['verified_by_id'], ['agents.id'], name=op.f('fk_organisations_verified_by_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('seed_key', name=op.f('uq_organisations_seed_key'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_kind'), ['kind'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', hotline.db.UTCDateTime(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_case_events_agent_id_agents')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_at', ['case_id', 'at'], unique=False)

    op.create_table('case_reads',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('read_at', hotline.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_case_reads_agent_id_agents')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reads_case_id_cases')),
    sa.PrimaryKeyConstraint('agent_id', 'case_id', name=op.f('pk_case_reads'))
    )
    op.create_table('case_topics',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_topics_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', 'topic', name=op.f('pk_case_topics'))
    )
    with op.batch_alter_table('case_topics', schema=None) as batch_op:
        batch_op.create_index('ix_case_topics_topic', ['topic', 'case_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('at', hotline.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_referrals_agent_id_agents')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['message_id'], ['sms_messages.id'], name=op.f('fk_referrals_message_id_sms_messages')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referrals_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_organisation_id'), ['organisation_id'], unique=False)

    op.execute(
        "INSERT INTO case_topics (case_id, topic)"
        " SELECT id, substr(topic, 1, 32) FROM cases WHERE topic IS NOT NULL"
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('awaiting_reply_since', hotline.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('number_share_agreed_at', hotline.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('number_share_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.drop_index("uq_cases_one_open_per_caller")
        batch_op.create_index('ix_cases_active_assigned', ['assigned_agent_id'], unique=False, postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
        batch_op.create_index('ix_cases_active_activity', ['last_activity_at', 'id'], unique=False, postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
        batch_op.create_index('ix_cases_active_language', ['language', 'awaiting_reply_since'], unique=False, postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
        batch_op.create_index('uq_cases_one_active_per_caller', ['caller_id'], unique=True, postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
        batch_op.create_foreign_key(batch_op.f('fk_cases_number_share_recorded_by_id_agents'), 'agents', ['number_share_recorded_by_id'], ['id'])
        batch_op.drop_column('topic')
    # Mixed directions: an expression index, made outside SQLite's batch copy.
    op.create_index(
        "ix_cases_active_needs_reply",
        "cases",
        [sa.text("urgent DESC"), "awaiting_reply_since", sa.text("last_activity_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("status <> 'closed'"),
        sqlite_where=sa.text("status <> 'closed'"),
    )



def downgrade() -> None:
    op.drop_index("ix_cases_active_needs_reply", table_name="cases")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.VARCHAR(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_cases_number_share_recorded_by_id_agents'), type_='foreignkey')
        batch_op.drop_index('uq_cases_one_active_per_caller', postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'"))
        batch_op.drop_index('ix_cases_active_language')
        batch_op.drop_index('ix_cases_active_activity')
        batch_op.drop_index('ix_cases_active_assigned')
        batch_op.create_index("uq_cases_one_open_per_caller", ['caller_id'], unique=True, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_column('number_share_recorded_by_id')
        batch_op.drop_column('number_share_agreed_at')
        batch_op.drop_column('awaiting_reply_since')
        batch_op.drop_column('outcome')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('case_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_case_topics_topic')

    op.drop_table('case_topics')
    op.drop_table('case_reads')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_at')

    op.drop_table('case_events')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_kind'))

    op.drop_table('organisations')
