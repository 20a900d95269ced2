"""branches and departments (issue 19 point 2): `branches`, `departments`, and each user's
`department_id` and `managed_department_id`

A department belongs to a branch of the same organization; names are unique within the
organization (branches) and within the branch (departments). The new user columns are nullable:
nobody is in a department until an ADMIN says so, and every existing figure stays the same.

Revision ID: 0012_teams
Revises: 0011_student_enrolments
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012_teams'
down_revision = '0011_student_enrolments'
branch_labels = None
depends_on = None

TEAM_NAME_LENGTH = 200  # shared.models.teams.TEAM_NAME_LENGTH when this was written


def upgrade() -> None:
    op.create_table(
        'branches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=TEAM_NAME_LENGTH), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_branches_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branches')),
        sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_branches_organization_id_name')),
    )
    op.create_table(
        'departments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=TEAM_NAME_LENGTH), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_departments_branch_id_branches')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_departments_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
        sa.UniqueConstraint('branch_id', 'name', name=op.f('uq_departments_branch_id_name')),
    )
    op.create_index(op.f('ix_departments_organization_id'), 'departments', ['organization_id'], unique=False)
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('managed_department_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_managed_department_id'), ['managed_department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_department_id_departments'), 'departments',
                                    ['department_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_users_managed_department_id_departments'), 'departments',
                                    ['managed_department_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_managed_department_id_departments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_users_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_managed_department_id'))
        batch_op.drop_index(batch_op.f('ix_users_department_id'))
        batch_op.drop_column('managed_department_id')
        batch_op.drop_column('department_id')
    op.drop_index(op.f('ix_departments_organization_id'), table_name='departments')
    op.drop_table('departments')
    op.drop_table('branches')
