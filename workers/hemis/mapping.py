"""HEMIS items → row dicts for `students` / `employees`.

Normalizes the quirks: ids `int | str` → str, classifier codes `str | int` → str, Unix-second
timestamps (negative before 1970) → tz-aware UTC. Blank values (None, "", whitespace, and a 0 GPA,
which the list sends for everyone) become None; the upsert never lets None overwrite a stored value.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The enrolment key of a student item without `meta_id`: its person, as before enrolments were kept.
PERSON_KEY_PREFIX = "person:"

# Columns that are always written, even when the new value is empty.
ALWAYS_WRITTEN = frozenset({"raw", "is_active", "synced_at", "last_seen_run_id", "deactivated_by_run_id",
                            "tutor_groups"})


class UnusableItem(ValueError):
    """An item without the key it must be stored under (reported in the run's errors)."""


def text(value: Any) -> str | None:
    if value.__class__ is str:  # the common case first: ~35 calls per record, the mapping's hot path
        return value.strip() or None
    if value is None or isinstance(value, (dict, list)):
        return None
    result = str(value).strip()
    return result or None


def id_text(value: Any) -> str | None:
    """Ids are ints or strings upstream (a hex specialty id was seen): keep them as text."""
    kind = value.__class__
    if kind is int:
        return str(value)
    if kind is str:
        return value.strip() or None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return text(value)


def code_of(value: Any) -> str | None:
    return id_text(value.get("code")) if isinstance(value, dict) else None


def name_of(value: Any) -> str | None:
    return text(value.get("name")) if isinstance(value, dict) else None


def timestamp(value: Any) -> datetime | None:
    """Unix seconds (UTC, maybe negative) → aware datetime; anything else → None."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return EPOCH + timedelta(seconds=seconds)


def birth_date(value: Any) -> date | None:
    moment = timestamp(value)
    return moment.date() if moment is not None else None


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", False, True) else None
    except (TypeError, ValueError):
        return None


def gpa(value: Any) -> float | None:
    """The list sends avg_gpa 0 for everyone: 0 means unknown."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number or None


def _person(item: dict[str, Any]) -> dict[str, Any]:
    department = item.get("department") if isinstance(item.get("department"), dict) else {}
    return {
        "full_name": text(item.get("full_name")),
        "short_name": text(item.get("short_name")),
        "first_name": text(item.get("first_name")),
        "second_name": text(item.get("second_name")),
        "third_name": text(item.get("third_name")),
        "gender_code": code_of(item.get("gender")),
        "gender_name": name_of(item.get("gender")),
        "birth_date": birth_date(item.get("birth_date")),
        "image": text(item.get("image")),
        "department_id": id_text(department.get("id")),
        "department_name": text(department.get("name")),
        "year_of_enter": int_or_none(item.get("year_of_enter")),
        "hemis_created_at": timestamp(item.get("created_at")),
        "hemis_updated_at": timestamp(item.get("updated_at", item.get("update_at"))),
        "raw": item,
    }


def enrolment_key(item: dict[str, Any]) -> str | None:
    """What a student row is stored under: the enrolment (`meta_id`), or, for an item without one,
    its person (`person:<id>`); None when the item has neither."""
    meta_id = id_text(item.get("meta_id"))
    if meta_id is not None:
        return meta_id
    hemis_id = id_text(item.get("id"))
    return None if hemis_id is None else PERSON_KEY_PREFIX + hemis_id


def student_row(item: dict[str, Any]) -> dict[str, Any]:
    hemis_id = id_text(item.get("id"))
    if hemis_id is None:
        raise UnusableItem(f"student item without id (meta_id={item.get('meta_id')!r})")
    specialty = item.get("specialty") if isinstance(item.get("specialty"), dict) else {}
    group = item.get("group") if isinstance(item.get("group"), dict) else {}
    return {
        "enrolment_key": enrolment_key(item),
        "hemis_id": hemis_id,
        "meta_id": id_text(item.get("meta_id")),
        "student_id_number": text(item.get("student_id_number")),
        "university_code": code_of(item.get("university")),
        "university_name": name_of(item.get("university")) or text(item.get("university")),
        "specialty_id": id_text(specialty.get("id")),
        "specialty_code": id_text(specialty.get("code")),
        "specialty_name": text(specialty.get("name")),
        "group_id": id_text(group.get("id")),
        "group_name": text(group.get("name")),
        "status_code": code_of(item.get("studentStatus")),
        "status_name": name_of(item.get("studentStatus")),
        "education_form_code": code_of(item.get("educationForm")),
        "education_form_name": name_of(item.get("educationForm")),
        "education_type_code": code_of(item.get("educationType")),
        "education_type_name": name_of(item.get("educationType")),
        "payment_form_code": code_of(item.get("paymentForm")),
        "payment_form_name": name_of(item.get("paymentForm")),
        "level_code": code_of(item.get("level")),
        "level_name": name_of(item.get("level")),
        "semester_id": _ref_id(item.get("semester")),
        "semester_code": code_of(item.get("semester")),
        "semester_name": name_of(item.get("semester")),
        "education_year_code": code_of(item.get("educationYear")),
        "email": text(item.get("email")),
        "phone": text(item.get("phone")),
        "avg_gpa": gpa(item.get("avg_gpa")),
        **_person(item),
    }


def employee_row(item: dict[str, Any]) -> dict[str, Any]:
    hemis_id, meta_id = id_text(item.get("id")), id_text(item.get("meta_id"))
    if hemis_id is None or meta_id is None:
        raise UnusableItem(f"employee item without id/meta_id (id={item.get('id')!r}, meta_id={item.get('meta_id')!r})")
    groups = item.get("tutorGroups")
    return {
        "meta_id": meta_id,
        "hemis_id": hemis_id,
        "employee_id_number": text(item.get("employee_id_number")),
        "staff_position_code": code_of(item.get("staffPosition")),
        "staff_position_name": name_of(item.get("staffPosition")),
        "academic_degree_code": code_of(item.get("academicDegree")),
        "academic_degree_name": name_of(item.get("academicDegree")),
        "academic_rank_code": code_of(item.get("academicRank")),
        "academic_rank_name": name_of(item.get("academicRank")),
        "employment_form_code": code_of(item.get("employmentForm")),
        "employment_form_name": name_of(item.get("employmentForm")),
        "employee_status_code": code_of(item.get("employeeStatus")),
        "employee_status_name": name_of(item.get("employeeStatus")),
        "employee_type_code": code_of(item.get("employeeType")),
        "employee_type_name": name_of(item.get("employeeType")),
        "specialty": text(item.get("specialty")),
        # A list is an answer, not a blank: an empty list means "no tutor groups any more".
        "tutor_groups": groups if isinstance(groups, list) else [],
        **_person(item),
    }


def _ref_id(value: Any) -> str | None:
    """The `id` of a nested object (a semester the student is in), as text."""
    return id_text(value.get("id")) if isinstance(value, dict) else None


def record_key(kind: str, item: dict[str, Any]) -> str | None:
    """The key that counts a record once, as HEMIS's totalCount counts list items: a student's
    enrolment (`enrolment_key`), an employee row's `meta_id`, a lookup row's `id`."""
    if kind == "students":
        return enrolment_key(item)
    return id_text(item.get("meta_id" if kind == "employees" else "id"))
