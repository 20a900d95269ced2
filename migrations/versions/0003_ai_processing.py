"""ai processing: criteria, transcript_segments, call_scores, violations, organizations.scoring_mode

Revision ID: 0003_ai
Revises: 0002_hemis
Create Date: 2026-11-23 08:59:55.657073
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0003_ai'
down_revision = '0002_hemis'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_criteria_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria'))
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_organization_id'), ['organization_id'], unique=False)

    op.create_table('call_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_scores_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_call_scores_criterion_id_criteria')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_scores')),
    sa.UniqueConstraint('call_id', 'criterion_id', name=op.f('uq_call_scores_call_id_criterion_id'))
    )
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_scores_criterion_id'), ['criterion_id'], unique=False)

    op.create_table('transcript_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start_ms', sa.Integer(), nullable=False),
    sa.Column('end_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_transcript_segments_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_segments')),
    sa.UniqueConstraint('call_id', 'position', name=op.f('uq_transcript_segments_call_id_position'))
    )

    op.create_table('violations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.String(length=16), nullable=True),
    sa.Column('timestamp_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_violations_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violations')),
    sa.UniqueConstraint('call_id', 'position', name=op.f('uq_violations_call_id_position'))
    )

    # Existing organizations score out of 10, as the original did by default.
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scoring_mode', sa.String(length=16), server_default='TEN', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('scoring_mode')

    op.drop_table('violations')
    op.drop_table('transcript_segments')
    with op.batch_alter_table('call_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_scores_criterion_id'))

    op.drop_table('call_scores')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_organization_id'))

    op.drop_table('criteria')
