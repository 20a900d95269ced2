"""hemis: students, employees

Revision ID: 0002_hemis
Revises: 0001
Create Date: 2026-11-23 08:59:43.720992
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002_hemis'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meta_id', sa.String(length=64), nullable=False),
    sa.Column('hemis_id', sa.String(length=64), nullable=False),
    sa.Column('employee_id_number', sa.String(length=32), nullable=True),
    sa.Column('staff_position_code', sa.String(length=32), nullable=True),
    sa.Column('staff_position_name', sa.String(length=255), nullable=True),
    sa.Column('academic_degree_code', sa.String(length=32), nullable=True),
    sa.Column('academic_degree_name', sa.String(length=255), nullable=True),
    sa.Column('academic_rank_code', sa.String(length=32), nullable=True),
    sa.Column('academic_rank_name', sa.String(length=255), nullable=True),
    sa.Column('employment_form_code', sa.String(length=32), nullable=True),
    sa.Column('employment_form_name', sa.String(length=255), nullable=True),
    sa.Column('employee_status_code', sa.String(length=32), nullable=True),
    sa.Column('employee_status_name', sa.String(length=255), nullable=True),
    sa.Column('employee_type_code', sa.String(length=32), nullable=True),
    sa.Column('employee_type_name', sa.String(length=255), nullable=True),
    sa.Column('specialty', sa.String(length=255), nullable=True),
    sa.Column('tutor_groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('full_name', sa.String(length=255), nullable=True),
    sa.Column('short_name', sa.String(length=255), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('second_name', sa.String(length=255), nullable=True),
    sa.Column('third_name', sa.String(length=255), nullable=True),
    sa.Column('gender_code', sa.String(length=32), nullable=True),
    sa.Column('gender_name', sa.String(length=255), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('image', sa.String(length=500), nullable=True),
    sa.Column('department_id', sa.String(length=64), nullable=True),
    sa.Column('department_name', sa.String(length=255), nullable=True),
    sa.Column('year_of_enter', sa.Integer(), nullable=True),
    sa.Column('hemis_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hemis_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_seen_run_id', sa.String(length=36), nullable=True),
    sa.Column('deactivated_by_run_id', sa.String(length=36), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employees')),
    sa.UniqueConstraint('meta_id', name=op.f('uq_employees_meta_id'))
    )
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employees_employee_id_number'), ['employee_id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_employees_hemis_id'), ['hemis_id'], unique=False)

    op.create_table('students',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hemis_id', sa.String(length=64), nullable=False),
    sa.Column('meta_id', sa.String(length=64), nullable=True),
    sa.Column('student_id_number', sa.String(length=32), nullable=True),
    sa.Column('university_code', sa.String(length=32), nullable=True),
    sa.Column('university_name', sa.String(length=255), nullable=True),
    sa.Column('specialty_id', sa.String(length=64), nullable=True),
    sa.Column('specialty_code', sa.String(length=32), nullable=True),
    sa.Column('specialty_name', sa.String(length=255), nullable=True),
    sa.Column('group_id', sa.String(length=64), nullable=True),
    sa.Column('group_name', sa.String(length=255), nullable=True),
    sa.Column('status_code', sa.String(length=32), nullable=True),
    sa.Column('status_name', sa.String(length=255), nullable=True),
    sa.Column('education_form_code', sa.String(length=32), nullable=True),
    sa.Column('education_form_name', sa.String(length=255), nullable=True),
    sa.Column('education_type_code', sa.String(length=32), nullable=True),
    sa.Column('education_type_name', sa.String(length=255), nullable=True),
    sa.Column('payment_form_code', sa.String(length=32), nullable=True),
    sa.Column('payment_form_name', sa.String(length=255), nullable=True),
    sa.Column('level_code', sa.String(length=32), nullable=True),
    sa.Column('level_name', sa.String(length=255), nullable=True),
    sa.Column('semester_code', sa.String(length=32), nullable=True),
    sa.Column('semester_name', sa.String(length=255), nullable=True),
    sa.Column('education_year_code', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('avg_gpa', sa.Float(), nullable=True),
    sa.Column('full_name', sa.String(length=255), nullable=True),
    sa.Column('short_name', sa.String(length=255), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('second_name', sa.String(length=255), nullable=True),
    sa.Column('third_name', sa.String(length=255), nullable=True),
    sa.Column('gender_code', sa.String(length=32), nullable=True),
    sa.Column('gender_name', sa.String(length=255), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('image', sa.String(length=500), nullable=True),
    sa.Column('department_id', sa.String(length=64), nullable=True),
    sa.Column('department_name', sa.String(length=255), nullable=True),
    sa.Column('year_of_enter', sa.Integer(), nullable=True),
    sa.Column('hemis_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hemis_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_seen_run_id', sa.String(length=36), nullable=True),
    sa.Column('deactivated_by_run_id', sa.String(length=36), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
    sa.UniqueConstraint('hemis_id', name=op.f('uq_students_hemis_id'))
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_student_id_number'), ['student_id_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_student_id_number'))

    op.drop_table('students')
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employees_hemis_id'))
        batch_op.drop_index(batch_op.f('ix_employees_employee_id_number'))

    op.drop_table('employees')
