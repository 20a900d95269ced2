"""HEMIS lookup-list items → row dicts for `hemis_departments`, `hemis_specialties`,
`hemis_groups` and `hemis_semesters` (`shared/models/hemis.py`).

The item shapes, from the open-source clients that read them (sources in
`simulators/hemis/lookups.py`):
- `department-list`: `{id, name, code, parent: int|null, active, structureType{code,name},
  localityType{code,name}}`, the same object a student's `department` is (faculty: structureType
  "11", kafedra: "12").
- `specialty-list`: `{id, code, name, department{...}, educationType{code,name}, localityType, active}`.
- `group-list`: `{id, name, active, department{...}, specialty{id,code,name}, educationLang{code,name},
  _curriculum}` (one client saw `specialty` misspelled `specilaty`; no client reads an education
  form from a group, so those columns are filled only when an item carries `educationForm`).
- `semester-list`: `{id, code, name, _curriculum, _education_year, level{code,name}|null, current,
  curriculumWeeks[{id, current, start_date, end_date, start_date_f, end_date_f}]}`, one item per
  semester of each curriculum.

The same normalization as the students' (`mapping.py`): ids `int | str` → text, codes → text,
blanks → None (the upsert never lets None overwrite a stored value). A related row may arrive as
an object (`department: {id,...}`), a bare id (`parent: 12`) or a raw foreign key (`_department`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from shared.hemis.names import DEPARTMENTS, GROUPS, LOOKUP_KINDS, SEMESTERS, SPECIALTIES
from workers.hemis.mapping import UnusableItem, birth_date, code_of, id_text, name_of, text

__all__ = ["LIST_PARAMS", "LIST_PATHS", "LOOKUP_KINDS", "lookup_key", "lookup_row"]

LIST_PATHS: dict[str, str] = {DEPARTMENTS: "department-list", SPECIALTIES: "specialty-list",
                              GROUPS: "group-list", SEMESTERS: "semester-list"}
# department-list lists active departments only unless asked for all: a student or employee may
# still point to a closed faculty, so the table keeps both (HEMIS's own flag is the `active` column).
LIST_PARAMS: dict[str, dict[str, str]] = {DEPARTMENTS: {"active": "all"}, SPECIALTIES: {}, GROUPS: {},
                                          SEMESTERS: {}}
# `curriculumWeeks[].start_date_f`: the week's local date as HEMIS prints it.
LOCAL_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def lookup_key(kind: str, item: dict[str, Any]) -> str | None:
    """The HEMIS id a lookup row is stored under, as text; None for an item without one (counted
    as unusable, as `mapping.record_key` flags a student without a key)."""
    if kind not in LIST_PATHS:
        raise ValueError(f"not a lookup list: {kind!r}")
    return id_text(item.get("id"))


def lookup_row(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    """The row of one lookup item: `hemis_id`, `code`, `name`, the kind's own columns and `raw`;
    raises `UnusableItem` for an item without an id."""
    hemis_id = lookup_key(kind, item)
    if hemis_id is None:
        raise UnusableItem(f"{LIST_PATHS[kind]} item without id (name={item.get('name')!r})")
    return {"hemis_id": hemis_id, "code": id_text(item.get("code")), "name": text(item.get("name")),
            **_COLUMNS[kind](item), "raw": item}


def _department_columns(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "structure_type_code": code_of(item.get("structureType")),
        "structure_type_name": name_of(item.get("structureType")),
        "locality_type_code": code_of(item.get("localityType")),
        "locality_type_name": name_of(item.get("localityType")),
        "parent_id": ref_id(item, "parent"),
        "active": flag(item.get("active")),
    }


def _specialty_columns(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "department_id": ref_id(item, "department"),
        "education_type_code": code_of(item.get("educationType")),
        "education_type_name": name_of(item.get("educationType")),
    }


def _group_columns(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "department_id": ref_id(item, "department"),
        "specialty_id": ref_id(item, "specialty") or ref_id(item, "specilaty"),
        "curriculum_id": ref_id(item, "curriculum"),
        "education_lang_code": code_of(item.get("educationLang")),
        "education_lang_name": name_of(item.get("educationLang")),
        "education_form_code": code_of(item.get("educationForm")),
        "education_form_name": name_of(item.get("educationForm")),
    }


def _semester_columns(item: dict[str, Any]) -> dict[str, Any]:
    year = item.get("educationYear")
    weeks = [week for week in item.get("curriculumWeeks") or [] if isinstance(week, dict)]
    return {
        "curriculum_id": ref_id(item, "curriculum"),
        "education_year_code": ref_id(item, "education_year") or code_of(year),
        "education_year_name": name_of(year),
        "level_code": code_of(item.get("level")),
        "level_name": name_of(item.get("level")),
        "current": flag(item.get("current")),
        "start_date": _item_date(item, "start_date") or _week_bound(weeks, "start_date", min),
        "end_date": _item_date(item, "end_date") or _week_bound(weeks, "end_date", max),
    }


_COLUMNS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    DEPARTMENTS: _department_columns, SPECIALTIES: _specialty_columns, GROUPS: _group_columns,
    SEMESTERS: _semester_columns}


def ref_id(item: dict[str, Any], name: str) -> str | None:
    """The id of a related row: `name` as an object (`department: {"id": 12}`) or a bare id
    (`parent: 12`), else the raw foreign key `_name` (`_curriculum: 401`)."""
    for value in (item.get(name), item.get(f"_{name}")):
        found = id_text(value.get("id") if isinstance(value, dict) else value)
        if found is not None:
            return found
    return None


def flag(value: Any) -> bool | None:
    """A boolean as HEMIS may send it: true/false, 1/0 or their text; anything else → None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = text(value)
    if word is None:
        return None
    lowered = word.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def local_date(value: Any) -> date | None:
    """A date HEMIS prints (`"02.09.2024"`, or ISO); None for anything else."""
    word = text(value)
    for pattern in LOCAL_DATE_FORMATS if word else ():
        try:
            return datetime.strptime(word, pattern).date()  # type: ignore[arg-type]
        except ValueError:
            continue
    return None


def _item_date(item: dict[str, Any], field: str) -> date | None:
    """A date field of the item itself: its printed form (`field_f`) first, else its Unix seconds."""
    return local_date(item.get(f"{field}_f")) or local_date(item.get(field)) or birth_date(item.get(field))


def _week_bound(weeks: list[dict[str, Any]], field: str, pick: Callable[..., date]) -> date | None:
    """The semester's first day (`min` of its weeks' starts) or last day (`max` of their ends).

    A week's printed date (`start_date_f`) is preferred to its timestamp: the timestamp of a local
    midnight in Tashkent (UTC+5) falls on the previous day in UTC."""
    days = [day for week in weeks if (day := _item_date(week, field)) is not None]
    return pick(days) if days else None
