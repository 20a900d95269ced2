"""students per enrolment (issue 20 point 3): `students.enrolment_key` unique, `hemis_id` the person

Why: `student-list` lists a person (`id`) once per enrolment (`meta_id`): a bachelor's and a
master's are two items. Keyed by `hemis_id`, one overwrote the other, the end-of-run count never
matched totalCount and deactivation never ran. A row is now an enrolment, keyed by
`enrolment_key`: the `meta_id`, or `person:<hemis_id>` for an item without one (the key such an
item gets from the sync, `workers.hemis.mapping.enrolment_key`).

Existing rows (one per person) all stay: each gets the `meta_id` it was last written with (the
enrolment the next sync updates in place), or `person:<hemis_id>` when it has none or shares it
with another row (which HEMIS never does, but a key must be unique for the upgrade not to fail).
`hemis_id` stays, indexed, no longer unique.

The downgrade goes back to one row per person only when that loses nothing: with a person on
two rows it stops and says so.

Revision ID: 0011_student_enrolments
Revises: 0010_call_list
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_student_enrolments'
down_revision = '0010_call_list'
branch_labels = None
depends_on = None

ENROLMENT_KEY_LENGTH = 80  # shared.models.hemis.ENROLMENT_KEY_LENGTH when this was written
PERSON_KEY_PREFIX = 'person:'  # workers.hemis.mapping.PERSON_KEY_PREFIX

# One statement, any size: the IN list is computed once (a hashed subplan on PostgreSQL).
BACKFILL = sa.text(
    "UPDATE students SET enrolment_key = CASE WHEN meta_id IN "
    "(SELECT meta_id FROM students WHERE meta_id IS NOT NULL GROUP BY meta_id HAVING count(*) = 1) "
    "THEN meta_id ELSE :prefix || hemis_id END")
PEOPLE_ON_SEVERAL_ROWS = sa.text(
    "SELECT count(*) FROM (SELECT hemis_id FROM students GROUP BY hemis_id HAVING count(*) > 1) AS people")


def upgrade() -> None:
    with op.batch_alter_table('students') as batch_op:
        batch_op.add_column(sa.Column('enrolment_key', sa.String(length=ENROLMENT_KEY_LENGTH), nullable=True))
    op.get_bind().execute(BACKFILL, {"prefix": PERSON_KEY_PREFIX})
    with op.batch_alter_table('students') as batch_op:
        batch_op.alter_column('enrolment_key', existing_type=sa.String(length=ENROLMENT_KEY_LENGTH), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_students_enrolment_key'), ['enrolment_key'])
        batch_op.drop_constraint(batch_op.f('uq_students_hemis_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_students_hemis_id'), ['hemis_id'], unique=False)


def downgrade() -> None:
    people = int(op.get_bind().execute(PEOPLE_ON_SEVERAL_ROWS).scalar() or 0)
    if people:
        raise RuntimeError(
            f"cannot downgrade below 0011_student_enrolments: {people} HEMIS students have several enrolments "
            "stored, and one row per person would lose all but one of each; delete the extra rows first "
            "if that is really wanted")
    with op.batch_alter_table('students') as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_hemis_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_students_hemis_id'), ['hemis_id'])
        batch_op.drop_constraint(batch_op.f('uq_students_enrolment_key'), type_='unique')
        batch_op.drop_column('enrolment_key')
