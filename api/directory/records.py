"""What the directory shows of a table's rows: its columns, each a field of the JSON item named in
camelCase (`student_id_number` is `studentIdNumber`), and the response model of that item, built
from the same columns so that the two cannot drift apart.

A column is a model attribute's name, or a labelled SQL expression for a field computed from the
row (a student's `course`, from HEMIS's level code). Moments are ISO 8601 in UTC, days ISO dates.
Names of departments, groups and specialties are on the student and employee rows themselves (HEMIS
sends them with every record), so a list needs no join.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, create_model
from sqlalchemy import JSON, ColumnElement, Date, DateTime, Integer, Row, Select, case, select
from sqlalchemy.orm import InstrumentedAttribute

from api.openapi.common import Open
from shared.models import Employee, Student
from shared.models.base import UTCDateTime
from shared.models.hemis import HemisDepartment, HemisGroup, HemisSemester, HemisSpecialty

MAX_COURSE = 9


def course(level_code: ColumnElement[Any]) -> ColumnElement[Any]:
    """A student's course from HEMIS's level code ("11" is the 1st course ... "19" the 9th); null
    for another code."""
    return case({f"1{number}": number for number in range(1, MAX_COURSE + 1)},
                value=level_code, else_=None).cast(Integer).label("course")


COURSE = course(Student.level_code)
PERSON = ("id", "hemis_id", "meta_id")
NAMES = ("full_name", "first_name", "second_name", "third_name", "gender_code", "gender_name", "birth_date")
SYNC = ("is_active", "synced_at", "hemis_updated_at")
STUDENT_LIST = (*PERSON, "student_id_number", *NAMES, "department_id", "department_name", "specialty_id",
                "specialty_code", "specialty_name", "group_id", "group_name", "status_code", "status_name",
                "education_form_code", "education_form_name", "education_type_code", "education_type_name",
                "payment_form_code", "payment_form_name", "level_code", "level_name", COURSE, "semester_code",
                "semester_name", "education_year_code", "year_of_enter", "avg_gpa", *SYNC)
EMPLOYEE_LIST = (*PERSON, "employee_id_number", *NAMES, "department_id", "department_name", "staff_position_code",
                 "staff_position_name", "employee_status_code", "employee_status_name", "employment_form_code",
                 "employment_form_name", "employee_type_code", "employee_type_name", "academic_degree_code",
                 "academic_degree_name", "academic_rank_code", "academic_rank_name", "specialty", "year_of_enter",
                 *SYNC)
# What one record shows besides its list columns: contact details and the sync's marks.
RECORD_DETAIL = ("short_name", "image", "hemis_created_at", "created_at", "last_seen_run_id", "deactivated_by_run_id")
LOOKUP = ("id", "hemis_id", "code", "name")
LOOKUP_SYNC = ("is_active", "synced_at")


@dataclass(frozen=True)
class Shape:
    """The columns a list or a record shows of `model`, ordered by `name` then id."""

    model: type[Any]
    columns: tuple[ColumnElement[Any], ...]
    name: InstrumentedAttribute[Any]

    @classmethod
    def of(cls, model: type[Any], columns: tuple[str | ColumnElement[Any], ...], name: str = "full_name") -> Shape:
        return cls(model, tuple(getattr(model, column) if isinstance(column, str) else column for column in columns),
                   getattr(model, name))

    @property
    def row_id(self) -> InstrumentedAttribute[int]:
        return self.model.id  # type: ignore[no-any-return]

    def select(self) -> Select[Any]:
        return select(*self.columns).select_from(self.model)

    def keys(self) -> list[str]:
        return [camel(column.key or "") for column in self.columns]

    def item(self, row: Row[Any]) -> dict[str, Any]:
        return {key: _json(value) for key, value in zip(self.keys(), row, strict=True)}

    def response_model(self, model_name: str) -> type[BaseModel]:
        """The item as `/openapi.json` documents it: every field present, null when HEMIS sent none."""
        fields: dict[str, Any] = {key: (_json_type(column) | None, ...)
                                  for key, column in zip(self.keys(), self.columns, strict=True)}
        return create_model(model_name, __base__=Open, **fields)


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _json_type(column: ColumnElement[Any]) -> Any:
    kind = column.type
    if isinstance(kind, Date | DateTime | UTCDateTime):
        return str
    if isinstance(kind, JSON):
        return Any
    return kind.python_type


STUDENTS = Shape.of(Student, STUDENT_LIST)
STUDENT = Shape.of(Student, (*STUDENT_LIST, "enrolment_key", "university_code", "university_name", "email", "phone",
                             *RECORD_DETAIL))
EMPLOYEES = Shape.of(Employee, EMPLOYEE_LIST)
EMPLOYEE = Shape.of(Employee, (*EMPLOYEE_LIST, "tutor_groups", *RECORD_DETAIL))
DEPARTMENTS = Shape.of(HemisDepartment, (*LOOKUP, "structure_type_code", "structure_type_name", "locality_type_code",
                                         "locality_type_name", "parent_id",
                                         HemisDepartment.active.label("hemis_active"), *LOOKUP_SYNC), name="name")
GROUPS = Shape.of(HemisGroup, (*LOOKUP, "department_id", "specialty_id", "curriculum_id", "education_lang_code",
                               "education_lang_name", "education_form_code", "education_form_name", *LOOKUP_SYNC),
                  name="name")
SPECIALTIES = Shape.of(HemisSpecialty, (*LOOKUP, "department_id", "education_type_code", "education_type_name",
                                        *LOOKUP_SYNC), name="name")
SEMESTERS = Shape.of(HemisSemester, (*LOOKUP, "curriculum_id", "education_year_code", "education_year_name",
                                     "level_code", "level_name", "current", "start_date", "end_date", *LOOKUP_SYNC),
                     name="name")
