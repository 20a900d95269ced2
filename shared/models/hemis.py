"""Students, employees and the lookup lists synced from HEMIS, per organization: each organization
syncs its own HEMIS (`shared.hemis.instance`), so every row carries `organization_id` and its
HEMIS keys are unique within the organization only.

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

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.models.base import Base, JSONType, UTCDateTime, utcnow

ID_LENGTH = 64
CODE_LENGTH = 32
NAME_LENGTH = 255
RUN_ID_LENGTH = 36
# What `ix_students_list` carries beside its keys: the columns `GET /students` filters on.
STUDENT_LIST_COLUMNS = ("is_active", "department_id", "group_id", "specialty_id", "status_code",
                        "education_form_code", "level_code", "synced_at")
# `meta_id`, or `person:` + the person's id (an id of at most ID_LENGTH characters).
ENROLMENT_KEY_LENGTH = 80


def _name() -> Mapped[str | None]:
    return mapped_column(String(NAME_LENGTH))


def _code() -> Mapped[str | None]:
    return mapped_column(String(CODE_LENGTH))


class SyncedMixin:
    """What every synced HEMIS row has: its organization, the whole upstream item, and the marks of
    the full run that last saw it."""

    @declared_attr
    def organization_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr
        return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))

    raw: Mapped[dict] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_seen_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    deactivated_by_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LENGTH))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HemisRecordMixin(SyncedMixin):
    """Columns every synced HEMIS person (student enrolment, employee position) has."""

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


class Student(HemisRecordMixin, Base):
    """One row per enrolment: a person studying for two degrees has two rows (two `meta_id`s)."""

    __tablename__ = "students"
    # The unique key leads with the organization, so it serves the organization's keyset pages too.
    __table_args__ = (UniqueConstraint("organization_id", "enrolment_key"),
                      Index("ix_students_organization_id_hemis_id", "organization_id", "hemis_id"),
                      Index("ix_students_organization_id_student_id_number", "organization_id", "student_id_number"),
                      # The read API's list order, with every column its filters test (`api.directory`): a
                      # page's keys, a rare filter value or a name search are read from the index alone.
                      Index("ix_students_list", "organization_id", "full_name", "id",
                            postgresql_include=list(STUDENT_LIST_COLUMNS)))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_key: Mapped[str] = mapped_column(String(ENROLMENT_KEY_LENGTH))
    hemis_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    meta_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # Unverified records have none; the number is kept once known (blanks never overwrite).
    student_id_number: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
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
    # The semester's id links to `hemis_semesters` (its code, "12", repeats across curricula).
    semester_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    semester_code: Mapped[str | None] = _code()
    semester_name: Mapped[str | None] = _name()
    education_year_code: Mapped[str | None] = _code()
    email: Mapped[str | None] = _name()
    phone: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    avg_gpa: Mapped[float | None] = mapped_column(Float)


class Employee(HemisRecordMixin, Base):
    """One row per position: a person working in two departments has two rows (two `meta_id`s)."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("organization_id", "meta_id"),
                      Index("ix_employees_organization_id_hemis_id", "organization_id", "hemis_id"),
                      Index("ix_employees_organization_id_employee_id_number", "organization_id",
                            "employee_id_number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meta_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    hemis_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    employee_id_number: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
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


# --- lookup lists (issue 20 point 5): what students and employees point to by HEMIS id ---------------
class HemisLookupMixin(SyncedMixin):
    """A lookup list row: keyed by its HEMIS `id` within the organization."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hemis_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    code: Mapped[str | None] = _code()
    name: Mapped[str | None] = _name()


class HemisDepartment(HemisLookupMixin, Base):
    """`department-list` (`active=all`): faculties, departments, centres; `parent_id` links up."""

    __tablename__ = "hemis_departments"
    __table_args__ = (UniqueConstraint("organization_id", "hemis_id"),)

    structure_type_code: Mapped[str | None] = _code()  # 11 = faculty, 12 = department (kafedra)...
    structure_type_name: Mapped[str | None] = _name()
    locality_type_code: Mapped[str | None] = _code()
    locality_type_name: Mapped[str | None] = _name()
    parent_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    active: Mapped[bool | None] = mapped_column()  # HEMIS's own flag (`active=all` lists both)


class HemisSpecialty(HemisLookupMixin, Base):
    """`specialty-list`: a programme, under the department that runs it."""

    __tablename__ = "hemis_specialties"
    __table_args__ = (UniqueConstraint("organization_id", "hemis_id"),)

    department_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    education_type_code: Mapped[str | None] = _code()
    education_type_name: Mapped[str | None] = _name()


class HemisGroup(HemisLookupMixin, Base):
    """`group-list`: a study group, of a department and a specialty, on a curriculum."""

    __tablename__ = "hemis_groups"
    __table_args__ = (UniqueConstraint("organization_id", "hemis_id"),)

    department_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    specialty_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    curriculum_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    education_lang_code: Mapped[str | None] = _code()
    education_lang_name: Mapped[str | None] = _name()
    education_form_code: Mapped[str | None] = _code()
    education_form_name: Mapped[str | None] = _name()


class HemisSemester(HemisLookupMixin, Base):
    """`semester-list`: one semester of one curriculum (`code` is the semester's classifier code)."""

    __tablename__ = "hemis_semesters"
    __table_args__ = (UniqueConstraint("organization_id", "hemis_id"),)

    curriculum_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    education_year_code: Mapped[str | None] = _code()
    education_year_name: Mapped[str | None] = _name()
    level_code: Mapped[str | None] = _code()
    level_name: Mapped[str | None] = _name()
    current: Mapped[bool | None] = mapped_column()
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
