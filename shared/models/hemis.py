"""Students and employees synced from HEMIS (one HEMIS per deployment, so no organization column).

HEMIS ids are `int | str` in the wild (a hex `specialty.id` was seen), so ids are kept as strings.
A student row is one enrolment: `student-list` lists a person (`id`) once per enrolment (`meta_id`),
e.g. a bachelor's and a master's, so rows are keyed by `enrolment_key` (the `meta_id`; the person's
`id` as `person:<id>` for an item without one) and `hemis_id` is the person, on several rows.
`raw` holds the whole upstream item; the columns are the fields people query.
`last_seen_run_id` is the last full run that saw the record; after a complete and consistent run,
records it did not see get `is_active = false` and `deactivated_by_run_id`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, JSONType, UTCDateTime, utcnow

ID_LENGTH = 64
CODE_LENGTH = 32
NAME_LENGTH = 255
RUN_ID_LENGTH = 36
# `meta_id`, or `person:` + the person's id (an id of at most ID_LENGTH characters).
ENROLMENT_KEY_LENGTH = 80


def _name() -> Mapped[str | None]:
    return mapped_column(String(NAME_LENGTH))


def _code() -> Mapped[str | None]:
    return mapped_column(String(CODE_LENGTH))


class HemisRecordMixin:
    """Columns every synced HEMIS record has."""

    full_name: Mapped[str | None] = _name()
    short_name: Mapped[str | None] = _name()
    first_name: Mapped[str | None] = _name()
    second_name: Mapped[str | None] = _name()
    third_name: Mapped[str | None] = _name()
    gender_code: Mapped[str | None] = _code()
    gender_name: Mapped[str | None] = _name()
    birth_date: Mapped[date | None] = mapped_column(Date)
    image: Mapped[str | None] = mapped_column(String(500))
    department_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    department_name: Mapped[str | None] = _name()
    year_of_enter: Mapped[int | None] = mapped_column(Integer)
    hemis_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hemis_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raw: Mapped[dict] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_seen_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    deactivated_by_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Student(HemisRecordMixin, Base):
    """One row per enrolment: a person studying for two degrees has two rows (two `meta_id`s)."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_key: Mapped[str] = mapped_column(String(ENROLMENT_KEY_LENGTH), unique=True)
    hemis_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    meta_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Unverified records have none; the number is kept once known (blanks never overwrite).
    student_id_number: Mapped[str | None] = mapped_column(String(CODE_LENGTH), index=True)
    university_code: Mapped[str | None] = _code()
    university_name: Mapped[str | None] = _name()
    specialty_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    specialty_code: Mapped[str | None] = _code()
    specialty_name: Mapped[str | None] = _name()
    group_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    group_name: Mapped[str | None] = _name()
    status_code: Mapped[str | None] = _code()
    status_name: Mapped[str | None] = _name()
    education_form_code: Mapped[str | None] = _code()
    education_form_name: Mapped[str | None] = _name()
    education_type_code: Mapped[str | None] = _code()
    education_type_name: Mapped[str | None] = _name()
    payment_form_code: Mapped[str | None] = _code()
    payment_form_name: Mapped[str | None] = _name()
    level_code: Mapped[str | None] = _code()
    level_name: Mapped[str | None] = _name()
    semester_code: Mapped[str | None] = _code()
    semester_name: Mapped[str | None] = _name()
    education_year_code: Mapped[str | None] = _code()
    email: Mapped[str | None] = _name()
    phone: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    avg_gpa: Mapped[float | None] = mapped_column(Float)


class Employee(HemisRecordMixin, Base):
    """One row per position: a person working in two departments has two rows (two `meta_id`s)."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meta_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    hemis_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    employee_id_number: Mapped[str | None] = mapped_column(String(CODE_LENGTH), index=True)
    staff_position_code: Mapped[str | None] = _code()
    staff_position_name: Mapped[str | None] = _name()
    academic_degree_code: Mapped[str | None] = _code()
    academic_degree_name: Mapped[str | None] = _name()
    academic_rank_code: Mapped[str | None] = _code()
    academic_rank_name: Mapped[str | None] = _name()
    employment_form_code: Mapped[str | None] = _code()
    employment_form_name: Mapped[str | None] = _name()
    employee_status_code: Mapped[str | None] = _code()
    employee_status_name: Mapped[str | None] = _name()
    employee_type_code: Mapped[str | None] = _code()
    employee_type_name: Mapped[str | None] = _name()
    specialty: Mapped[str | None] = _name()
    tutor_groups: Mapped[list | None] = mapped_column(JSONType)
