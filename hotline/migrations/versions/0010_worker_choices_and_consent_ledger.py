"""worker choices and consent ledger

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 05:33:02

The worker's choices (SMS allowed, may we say we are the hotline, call window) move
from each callback request onto the caller, with their history in `consent_entries`;
`privacy_notices` versions the notice's text. Existing callers take the answers of
their latest callback request made by phone (the only place the IVR asked them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.db


revision = '0010'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_notices',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('created_at', hotline.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_privacy_notices')),
    sa.UniqueConstraint('digest', name=op.f('uq_privacy_notices_digest'))
    )
    op.create_table('consent_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('at', hotline.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_consent_entries_agent_id_agents')),
    sa.ForeignKeyConstraint(['caller_id'], ['callers.id'], name=op.f('fk_consent_entries_caller_id_callers')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consent_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['notice_version'], ['privacy_notices.version'], name=op.f('fk_consent_entries_notice_version_privacy_notices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_entries'))
    )
    with op.batch_alter_table('consent_entries', schema=None) as batch_op:
        batch_op.create_index('ix_consent_entries_caller_subject', ['caller_id', 'subject', 'id'], unique=False)

    with op.batch_alter_table('callers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_allowed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('may_identify', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('call_window', sa.String(length=16), nullable=True))

    latest = (
        "(SELECT r.{column} FROM callback_requests r"
        " WHERE r.caller_id = callers.id AND r.source = 'voice'"
        " ORDER BY r.created_at DESC, r.id DESC LIMIT 1)"
    )
    op.execute(
        "UPDATE callers SET"
        f" sms_allowed = {latest.format(column='sms_allowed')},"
        f" may_identify = {latest.format(column='may_identify')},"
        f" call_window = {latest.format(column='window')}"
    )


def downgrade() -> None:
    with op.batch_alter_table('callers', schema=None) as batch_op:
        batch_op.drop_column('call_window')
        batch_op.drop_column('may_identify')
        batch_op.drop_column('sms_allowed')

    with op.batch_alter_table('consent_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_entries_caller_subject')

    op.drop_table('consent_entries')
    op.drop_table('privacy_notices')
