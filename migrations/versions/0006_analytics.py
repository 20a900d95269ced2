"""analytics: call_log, organization schedule and time zone, user names, calls.score_max

Revision ID: 0006_analytics
Revises: 0003_ai
Create Date: 2026-12-01 22:47:19.152186
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006_analytics'
down_revision = '0005_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ext_code', sa.String(length=16), nullable=True),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('from_number', sa.String(length=64), nullable=True),
    sa.Column('to_number', sa.String(length=64), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('call_duration_s', sa.Integer(), nullable=True),
    sa.Column('talk_duration_s', sa.Integer(), nullable=True),
    sa.Column('answer_duration_s', sa.Integer(), nullable=True),
    sa.Column('has_recording', sa.Boolean(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['users.id'], name=op.f('fk_call_log_employee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_call_log_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_log')),
    sa.UniqueConstraint('organization_id', 'record_id', name=op.f('uq_call_log_organization_id_record_id'))
    )
    with op.batch_alter_table('call_log', schema=None) as batch_op:
        batch_op.create_index('ix_call_log_organization_id_employee_id_started_at', ['organization_id', 'employee_id', 'started_at'], unique=False)
        batch_op.create_index('ix_call_log_organization_id_started_at', ['organization_id', 'started_at'], unique=False,
                              postgresql_include=['employee_id', 'status', 'direction', 'talk_duration_s'])

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_max', sa.Integer(), nullable=True))
        batch_op.create_index('ix_calls_organization_id_started_at', ['organization_id', 'started_at'], unique=False,
                              postgresql_include=['id', 'employee_id', 'overall_score', 'score_max'])

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('sync_schedule', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('next_scheduled_sync_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_organizations_next_scheduled_sync_at'), ['next_scheduled_sync_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('last_name', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_next_scheduled_sync_at'))
        batch_op.drop_column('next_scheduled_sync_at')
        batch_op.drop_column('sync_schedule')
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_organization_id_started_at')
        batch_op.drop_column('score_max')

    with op.batch_alter_table('call_log', schema=None) as batch_op:
        batch_op.drop_index('ix_call_log_organization_id_started_at')
        batch_op.drop_index('ix_call_log_organization_id_employee_id_started_at')

    op.drop_table('call_log')
