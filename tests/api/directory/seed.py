"""Synced HEMIS rows for the directory's tests, inserted straight into the tables, as a sync would
leave them: students (some persons enrolled twice, some rows inactive, a few without a name),
employees (some persons in two positions) and the lookup lists. The rows are made from their
number by fixed rules, so each test computes what a filter must answer from the same dicts.

The same HEMIS ids are used in every organization, as two universities' HEMIS installations
would: a query that forgot the organization would mix them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from shared.models import Employee, Student
from shared.models.hemis import HemisDepartment, HemisGroup, HemisSemester, HemisSpecialty

SYNCED = datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc)
# (id, name): the last one starts like a formula, as a spreadsheet would read it
FACULTIES = (("7", "Fizika-matematika"), ("8", "Filologiya"), ("9", "=Iqtisodiyot+1"))
FORMS = (("11", "Kunduzgi"), ("13", "Sirtqi"))
STATUSES = (("11", "O‘qimoqda"), ("12", "Chetlashtirilgan"), ("14", "Bitirgan"))
SURNAMES = ("Karimov", "Karimova", "Алиев", "Ergashev", "Test_x% Ism", "@Qodirov", "Юсупова")
ENROLLED_TWICE_EVERY = 10  # every 10th student row is the previous row's person again (a second degree)
INACTIVE_EVERY = 7
UNNAMED = frozenset({5, 33})  # row numbers without a full name: they list last


def student_rows(organization_id: int, count: int) -> list[dict[str, Any]]:
    return [_student(organization_id, number) for number in range(count)]


def _student(organization_id: int, number: int) -> dict[str, Any]:
    faculty_id, faculty = FACULTIES[number % 3]
    form_code, form = FORMS[number // 3 % 2]
    status_code, status = STATUSES[number // 2 % 3]
    course = 1 + number // 5 % 4
    person = number - 1 if number % ENROLLED_TWICE_EVERY == 1 else number
    group = f"{faculty_id}{number % 2}"
    return {
        "organization_id": organization_id, "enrolment_key": f"m{number}", "meta_id": f"m{number}",
        "hemis_id": f"p{person}", "student_id_number": f"3{person:011d}",
        "full_name": None if number in UNNAMED else f"{SURNAMES[number % len(SURNAMES)]} {number:04d}",
        "first_name": f"Ism{number}", "birth_date": date(2000, 1, 1) + timedelta(days=number),
        "department_id": faculty_id, "department_name": faculty, "group_id": group, "group_name": f"G-{group}",
        "specialty_id": f"s{faculty_id}", "specialty_code": f"60{faculty_id}", "specialty_name": f"Spec {faculty_id}",
        "status_code": status_code, "status_name": status, "education_form_code": form_code,
        "education_form_name": form, "level_code": f"1{course}", "level_name": f"{course}-kurs",
        "avg_gpa": round(3 + number % 20 / 10, 1), "year_of_enter": 2020 + course,
        "is_active": number % INACTIVE_EVERY != 0, "raw": {"id": person},
        "synced_at": SYNCED + timedelta(hours=number), "hemis_updated_at": SYNCED - timedelta(days=number),
    }


def employee_rows(organization_id: int, count: int) -> list[dict[str, Any]]:
    rows = []
    for number in range(count):
        department_id, department = FACULTIES[number % 3]
        person = number - 1 if number % 4 == 1 else number  # every 4th row: a second position
        rows.append({
            "organization_id": organization_id, "meta_id": f"e{number}", "hemis_id": f"w{person}",
            "employee_id_number": f"90{person:08d}", "full_name": f"{SURNAMES[number % len(SURNAMES)]} E{number:03d}",
            "department_id": department_id, "department_name": department,
            "employee_status_code": "11" if number % 3 else "12", "employee_status_name": "Ishlamoqda",
            "employment_form_code": "11", "staff_position_code": "15", "staff_position_name": "Dotsent",
            "is_active": number % 5 != 0, "raw": {}, "synced_at": SYNCED + timedelta(hours=number)})
    return rows


def lookup_rows(organization_id: int) -> dict[type[Any], list[dict[str, Any]]]:
    base = {"organization_id": organization_id, "raw": {}, "synced_at": SYNCED}
    departments = [{**base, "hemis_id": faculty_id, "code": f"F{faculty_id}", "name": name,
                    "structure_type_code": "11", "active": True, "is_active": True} for faculty_id, name in FACULTIES]
    departments += [{**base, "hemis_id": f"k{number}", "code": f"K{number}", "name": f"Kafedra {number}",
                     "structure_type_code": "12", "parent_id": FACULTIES[number % 3][0], "active": number != 4,
                     "is_active": number != 5} for number in range(6)]
    specialties = [{**base, "hemis_id": f"s{faculty_id}", "code": f"60{faculty_id}", "name": f"Spec {faculty_id}",
                    "department_id": faculty_id, "is_active": True} for faculty_id, _ in FACULTIES]
    groups = [{**base, "hemis_id": f"{faculty_id}{half}", "code": None, "name": f"G-{faculty_id}{half}",
               "department_id": faculty_id, "specialty_id": f"s{faculty_id}", "curriculum_id": f"c{faculty_id}",
               "is_active": half == 0 or faculty_id != "8"} for faculty_id, _ in FACULTIES for half in (0, 1)]
    semesters = [{**base, "hemis_id": f"sem{faculty_id}{number}", "code": f"1{number}", "name": f"{number}-semestr",
                  "curriculum_id": f"c{faculty_id}", "current": number == 2, "is_active": True,
                  "start_date": date(2024, 9, 1)} for faculty_id, _ in FACULTIES for number in (1, 2)]
    return {HemisDepartment: departments, HemisSpecialty: specialties, HemisGroup: groups,
            HemisSemester: semesters}


def insert_rows(db: Session, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` into `model`'s table; their ids, in order."""
    ids = list(db.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    db.commit()
    return ids


def seed(db: Session, organization_id: int, *, students: int, employees: int) -> dict[str, Any]:
    """Every kind of row for one organization: the rows as inserted, each with its `id`."""
    found: dict[str, Any] = {}
    for key, model, rows in (("students", Student, student_rows(organization_id, students)),
                             ("employees", Employee, employee_rows(organization_id, employees))):
        for row, row_id in zip(rows, insert_rows(db, model, rows), strict=True):
            row["id"] = row_id
        found[key] = rows
    for model, rows in lookup_rows(organization_id).items():
        for row, row_id in zip(rows, insert_rows(db, model, rows), strict=True):
            row["id"] = row_id
        found[model.__tablename__] = rows
    return found


def listed_order(rows: list[dict[str, Any]], name: str = "full_name") -> list[int]:
    """The ids of `rows` in the directory's order: by name (C collation, the test database's), then id,
    rows without a name last."""
    return [row["id"] for row in sorted(rows, key=lambda row: (row[name] is None, row[name] or "", row["id"]))]
