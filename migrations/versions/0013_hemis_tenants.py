"""HEMIS per organization (issue 20 points 1 and 5): each organization its own HEMIS, its rows
and runs its own; the lookup lists as tables

- `organizations` gains `hemis_url`, `hemis_token`, `hemis_sync_schedule`, `next_hemis_sync_at`.
- `students` and `employees` gain `organization_id`; their HEMIS keys are unique within the
  organization (`(organization_id, enrolment_key)`, `(organization_id, meta_id)`). Students gain
  `semester_id` (their semester in `hemis_semesters`; its code repeats across curricula).
- New `hemis_departments`, `hemis_specialties`, `hemis_groups`, `hemis_semesters`, each unique on
  `(organization_id, hemis_id)`.

Existing rows lose nothing: the HEMIS rows and the HEMIS runs synced so far (the deployment's one
HEMIS) go to the organization that HEMIS served, the deployment's only organization, or its first
(lowest id) when there are several; when there is no organization but there are HEMIS rows, one
named "HEMIS" is created to hold them.

Revision ID: 0013_hemis_tenants
Revises: 0012_teams
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_hemis_tenants'
down_revision = '0012_teams'
branch_labels = None
depends_on = None

# shared.models.hemis when this was written
ID_LENGTH = 64
CODE_LENGTH = 32
NAME_LENGTH = 255
RUN_ID_LENGTH = 36
HEMIS_RUN_KINDS = ('hemis_students', 'hemis_employees', 'hemis_student', 'hemis_employee')
HOLDER_NAME = 'HEMIS'
STUDENT_LIST_COLUMNS = ('is_active', 'department_id', 'group_id', 'specialty_id', 'status_code',
                        'education_form_code', 'level_code', 'synced_at')

LOOKUP_COLUMNS = {
    'hemis_departments': [
        ('structure_type_code', CODE_LENGTH), ('structure_type_name', NAME_LENGTH),
        ('locality_type_code', CODE_LENGTH), ('locality_type_name', NAME_LENGTH), ('parent_id', ID_LENGTH),
        ('active', None)],
    'hemis_specialties': [
        ('department_id', ID_LENGTH), ('education_type_code', CODE_LENGTH), ('education_type_name', NAME_LENGTH)],
    'hemis_groups': [
        ('department_id', ID_LENGTH), ('specialty_id', ID_LENGTH), ('curriculum_id', ID_LENGTH),
        ('education_lang_code', CODE_LENGTH), ('education_lang_name', NAME_LENGTH),
        ('education_form_code', CODE_LENGTH), ('education_form_name', NAME_LENGTH)],
    'hemis_semesters': [
        ('curriculum_id', ID_LENGTH), ('education_year_code', CODE_LENGTH), ('education_year_name', NAME_LENGTH),
        ('level_code', CODE_LENGTH), ('level_name', NAME_LENGTH), ('current', None), ('start_date', 'date'),
        ('end_date', 'date')],
}


def upgrade() -> None:
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.add_column(sa.Column('hemis_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('hemis_token', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hemis_sync_schedule', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('next_hemis_sync_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_organizations_next_hemis_sync_at'), ['next_hemis_sync_at'], unique=False)
    holder = _holder_of_existing_rows()
    _scope_students(holder)
    _scope_employees(holder)
    if holder is not None:
        op.get_bind().execute(
            sa.text('UPDATE sync_runs SET organization_id = :org WHERE organization_id IS NULL AND kind IN :kinds')
            .bindparams(sa.bindparam('kinds', expanding=True)), {'org': holder, 'kinds': list(HEMIS_RUN_KINDS)})
    for table, columns in LOOKUP_COLUMNS.items():
        _create_lookup(table, columns)


def _holder_of_existing_rows() -> int | None:
    """The organization the rows synced so far belong to (created when rows exist and none does)."""
    bind = op.get_bind()
    first = bind.execute(sa.text('SELECT min(id) FROM organizations')).scalar()
    if first is not None:
        return int(first)
    rows = bind.execute(sa.text('SELECT (SELECT count(*) FROM students) + (SELECT count(*) FROM employees)')).scalar()
    if not rows:
        return None
    bind.execute(sa.text("INSERT INTO organizations (name, scoring_mode, time_zone, created_at) "
                         "VALUES (:name, 'TEN', 'Asia/Tashkent', CURRENT_TIMESTAMP)"), {'name': HOLDER_NAME})
    return int(bind.execute(sa.text('SELECT min(id) FROM organizations')).scalar())


def _add_organization(table: str, holder: int | None) -> None:
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
    if holder is not None:
        op.get_bind().execute(sa.text(f'UPDATE {table} SET organization_id = :org'), {'org': holder})
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column('organization_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f(f'fk_{table}_organization_id_organizations'), 'organizations',
                                    ['organization_id'], ['id'], ondelete='CASCADE')


def _scope_students(holder: int | None) -> None:
    _add_organization('students', holder)
    with op.batch_alter_table('students') as batch_op:
        batch_op.add_column(sa.Column('semester_id', sa.String(length=ID_LENGTH), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_students_enrolment_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_students_organization_id_enrolment_key'),
                                          ['organization_id', 'enrolment_key'])
        batch_op.drop_index(batch_op.f('ix_students_hemis_id'))
        batch_op.drop_index(batch_op.f('ix_students_student_id_number'))
        batch_op.create_index('ix_students_organization_id_hemis_id', ['organization_id', 'hemis_id'])
        batch_op.create_index('ix_students_organization_id_student_id_number',
                              ['organization_id', 'student_id_number'])
    # The read API's list order with the columns its filters test (SQLite ignores the INCLUDE).
    op.create_index('ix_students_list', 'students', ['organization_id', 'full_name', 'id'],
                    postgresql_include=list(STUDENT_LIST_COLUMNS))


def _scope_employees(holder: int | None) -> None:
    _add_organization('employees', holder)
    with op.batch_alter_table('employees') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_employees_meta_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_employees_organization_id_meta_id'),
                                          ['organization_id', 'meta_id'])
        batch_op.drop_index(batch_op.f('ix_employees_hemis_id'))
        batch_op.drop_index(batch_op.f('ix_employees_employee_id_number'))
        batch_op.create_index('ix_employees_organization_id_hemis_id', ['organization_id', 'hemis_id'])
        batch_op.create_index('ix_employees_organization_id_employee_id_number',
                              ['organization_id', 'employee_id_number'])


def _column(name: str, kind: int | str | None) -> sa.Column:
    if kind is None:
        return sa.Column(name, sa.Boolean(), nullable=True)
    if kind == 'date':
        return sa.Column(name, sa.Date(), nullable=True)
    return sa.Column(name, sa.String(length=int(kind)), nullable=True)


def _create_lookup(table: str, columns: list[tuple[str, int | str | None]]) -> None:
    op.create_table(
        table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('hemis_id', sa.String(length=ID_LENGTH), nullable=False),
        sa.Column('code', sa.String(length=CODE_LENGTH), nullable=True),
        sa.Column('name', sa.String(length=NAME_LENGTH), nullable=True),
        *[_column(name, kind) for name, kind in columns],
        sa.Column('raw', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('last_seen_run_id', sa.String(length=RUN_ID_LENGTH), nullable=True),
        sa.Column('deactivated_by_run_id', sa.String(length=RUN_ID_LENGTH), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f(f'fk_{table}_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('organization_id', 'hemis_id', name=op.f(f'uq_{table}_organization_id_hemis_id')),
    )


def downgrade() -> None:
    for table in reversed(list(LOOKUP_COLUMNS)):
        op.drop_table(table)
    organizations = int(op.get_bind().execute(sa.text(
        'SELECT count(DISTINCT organization_id) FROM (SELECT organization_id FROM students UNION ALL '
        'SELECT organization_id FROM employees) AS scoped')).scalar() or 0)
    if organizations > 1:
        raise RuntimeError(
            f"cannot downgrade below 0013_hemis_tenants: HEMIS rows of {organizations} organizations are stored, "
            "and one deployment-wide table would mix them; delete the other organizations' rows first")
    with op.batch_alter_table('employees') as batch_op:
        batch_op.drop_index('ix_employees_organization_id_employee_id_number')
        batch_op.drop_index('ix_employees_organization_id_hemis_id')
        batch_op.drop_constraint(batch_op.f('uq_employees_organization_id_meta_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_employees_organization_id_organizations'), type_='foreignkey')
        batch_op.drop_column('organization_id')
        batch_op.create_unique_constraint(batch_op.f('uq_employees_meta_id'), ['meta_id'])
        batch_op.create_index(batch_op.f('ix_employees_hemis_id'), ['hemis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employees_employee_id_number'), ['employee_id_number'], unique=False)
    op.drop_index('ix_students_list', table_name='students')
    with op.batch_alter_table('students') as batch_op:
        batch_op.drop_index('ix_students_organization_id_student_id_number')
        batch_op.drop_index('ix_students_organization_id_hemis_id')
        batch_op.drop_constraint(batch_op.f('uq_students_organization_id_enrolment_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_students_organization_id_organizations'), type_='foreignkey')
        batch_op.drop_column('organization_id')
        batch_op.drop_column('semester_id')
        batch_op.create_unique_constraint(batch_op.f('uq_students_enrolment_key'), ['enrolment_key'])
        batch_op.create_index(batch_op.f('ix_students_hemis_id'), ['hemis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_student_id_number'), ['student_id_number'], unique=False)
    # Plain ALTERs (SQLite >= 3.35 drops a column in place): copying `organizations` as batch mode
    # would, SQLite refuses to drop a table other rows still point to.
    with op.batch_alter_table('organizations', recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_next_hemis_sync_at'))
        batch_op.drop_column('next_hemis_sync_at')
        batch_op.drop_column('hemis_sync_schedule')
        batch_op.drop_column('hemis_token')
        batch_op.drop_column('hemis_url')
