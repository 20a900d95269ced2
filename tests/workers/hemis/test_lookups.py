"""Lookup-list items → rows of hemis_departments / hemis_specialties / hemis_groups / hemis_semesters:
the simulator's lists as HEMIS serves them, stored in the real database, and items of odd shapes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from sqlalchemy import select

from shared.hemis.names import LOOKUP_KINDS as NIGHTLY_LOOKUPS
from shared.models import utcnow
from simulators.hemis.control import SimulatorControl
from workers.hemis.client import list_url
from workers.hemis.envelope import parse_list_page
from workers.hemis.lookups import LIST_PARAMS, LIST_PATHS, LOOKUP_KINDS, lookup_key, lookup_row
from workers.hemis.mapping import UnusableItem
from workers.hemis.upsert import model_for, upsert_rows

# What a lookup row carries; the rest are the run's marks and the organization, set by the upsert.
MARKS = {"id", "organization_id", "is_active", "last_seen_run_id", "deactivated_by_run_id", "synced_at", "created_at"}


def fetch_all(settings: Any, kind: str) -> list[dict[str, Any]]:
    """Every item of a list, paged as the workers page, read by the workers' envelope parser."""
    items, page, page_count = [], 1, 1
    while page <= page_count:
        response = requests.get(list_url(settings.hemis_api_url, LIST_PATHS[kind]),
                                params={**LIST_PARAMS[kind], "page": page, "limit": 50},
                                headers={"Authorization": f"Bearer {settings.hemis_bearer_token}"}, timeout=10)
        parsed = parse_list_page(response.content, response.headers["Content-Type"], kind)
        items, page_count, page = items + parsed.items, parsed.page_count, page + 1
    assert len(items) == parsed.total_count
    return items


def columns(kind: str) -> set[str]:
    return {column.name for column in model_for(kind).__table__.columns} - MARKS


def test_the_kinds_are_the_nightly_order_and_each_has_its_list():
    assert LOOKUP_KINDS == NIGHTLY_LOOKUPS == ("departments", "specialties", "groups", "semesters")
    assert set(LIST_PATHS) == set(LIST_PARAMS) == set(LOOKUP_KINDS)
    assert LIST_PARAMS["departments"] == {"active": "all"}


@pytest.mark.parametrize("kind", LOOKUP_KINDS)
def test_the_simulators_lists_map_to_the_models_rows_and_store(hemis: SimulatorControl, settings, db, hemis_org, kind):
    items = fetch_all(settings, kind)
    rows = [lookup_row(kind, item) for item in items]
    assert all(set(row) == columns(kind) for row in rows)
    assert [row["hemis_id"] for row in rows] == [str(item["id"]) for item in items] == [
        lookup_key(kind, item) for item in items]
    assert all(row["raw"] is item and row["name"] == item["name"] for row, item in zip(rows, items))
    written = upsert_rows(db, kind, rows, organization_id=hemis_org.id, run_id="run-1", now=utcnow())
    db.commit()
    stored = {record.hemis_id: record for record in db.scalars(select(model_for(kind)))}
    assert written == len(rows) == len(stored)
    for row in rows:
        record = stored[row["hemis_id"]]
        assert {name: getattr(record, name) for name in row} == row, row["hemis_id"]
        assert record.organization_id == hemis_org.id and record.last_seen_run_id == "run-1"


def test_departments_keep_closed_units_and_their_parents(hemis: SimulatorControl, settings):
    mapped = [lookup_row("departments", item) for item in fetch_all(settings, "departments")]
    rows = {row["hemis_id"]: row for row in mapped}
    assert {row["active"] for row in rows.values()} == {True, False}  # `active=all`: closed units too
    kafedras = [row for row in rows.values() if row["structure_type_code"] == "12"]
    assert kafedras and all(rows[row["parent_id"]]["structure_type_code"] == "11" for row in kafedras)
    assert all(row["parent_id"] is None for row in rows.values() if row["structure_type_code"] == "11")
    assert {row["locality_type_code"] for row in rows.values()} == {"11"}


def test_groups_and_semesters_point_to_what_is_listed(hemis: SimulatorControl, settings):
    departments = {lookup_key("departments", item) for item in fetch_all(settings, "departments")}
    specialties = {lookup_key("specialties", item) for item in fetch_all(settings, "specialties")}
    groups = [lookup_row("groups", item) for item in fetch_all(settings, "groups")]
    assert {g["department_id"] for g in groups} <= departments and {g["specialty_id"] for g in groups} <= specialties
    assert all(g["curriculum_id"] and g["education_lang_code"] in ("11", "12") for g in groups)
    semesters = [(item, lookup_row("semesters", item)) for item in fetch_all(settings, "semesters")]
    assert {row["curriculum_id"] for _, row in semesters} == {g["curriculum_id"] for g in groups}
    for item, row in semesters:
        weeks = item["curriculumWeeks"]
        # The printed local dates: the timestamps are Tashkent midnights, the day before in UTC.
        assert row["start_date"].strftime("%d.%m.%Y") == weeks[0]["start_date_f"]
        assert row["end_date"].strftime("%d.%m.%Y") == weeks[-1]["end_date_f"]
        assert row["education_year_code"] == item["_education_year"] and row["level_code"] == item["level"]["code"]
    assert any(row["current"] for _, row in semesters) and not all(row["current"] for _, row in semesters)


def test_odd_shapes_are_read_and_blanks_are_none():
    department = lookup_row("departments", {"id": " 12 ", "code": 326101, "name": "  Fakultet  ",
                                            "parent": {"id": 11}, "active": "0", "structureType": None,
                                            "localityType": {"code": 11}})
    assert department == {"hemis_id": "12", "code": "326101", "name": "Fakultet", "structure_type_code": None,
                          "structure_type_name": None, "locality_type_code": "11", "locality_type_name": None,
                          "parent_id": "11", "active": False, "raw": department["raw"]}
    assert lookup_row("departments", {"id": 5, "parent": "11", "active": 1})["parent_id"] == "11"
    assert lookup_row("departments", {"id": 5, "parent": None, "active": "yes?"})["active"] is None

    specialty = lookup_row("specialties", {"id": "207ab7dc", "code": "60610100", "name": "Fizika", "department": None,
                                           "_department": 14, "educationType": {"code": 11, "name": "Bakalavr"}})
    assert (specialty["hemis_id"], specialty["department_id"]) == ("207ab7dc", "14")
    assert specialty["education_type_code"] == "11"

    group = lookup_row("groups", {"id": 4011.0, "name": "100-24", "specilaty": {"id": "5e0c7a2f"},
                                  "_curriculum": "11011", "educationLang": None,
                                  "educationForm": {"code": "13", "name": "Sirtqi"}})
    assert (group["hemis_id"], group["specialty_id"], group["curriculum_id"]) == ("4011", "5e0c7a2f", "11011")
    assert (group["education_lang_code"], group["education_form_code"], group["department_id"]) == (None, "13", None)

    semester = lookup_row("semesters", {"id": 7, "code": 12, "name": "2-semestr", "level": None, "current": "true",
                                        "_education_year": 2024, "curriculumWeeks": [
                                            {"start_date": 1739386800, "end_date": 1739905200},
                                            {"start_date": 1738177200, "end_date": 1738782000}, "junk"]})
    assert (semester["code"], semester["level_code"], semester["current"], semester["education_year_code"]) == (
        "12", None, True, "2024")
    # Without printed dates, a timestamp is read in UTC (2025-01-29 19:00 UTC is the 29th).
    assert (semester["start_date"], semester["end_date"]) == (date(2025, 1, 29), date(2025, 2, 18))
    dated = lookup_row("semesters", {"id": 8, "start_date_f": "02.09.2024", "end_date": 1737403200,
                                     "educationYear": {"code": "2024", "name": "2024-2025"}, "curriculumWeeks": None})
    assert (dated["start_date"], dated["end_date"]) == (date(2024, 9, 2), date(2025, 1, 20))
    assert (dated["education_year_code"], dated["education_year_name"]) == ("2024", "2024-2025")


@pytest.mark.parametrize("kind", LOOKUP_KINDS)
@pytest.mark.parametrize("item", [{}, {"id": None, "name": "x"}, {"id": "  "}, {"id": True}, {"id": {"id": 3}}])
def test_an_item_without_an_id_is_unusable(kind, item):
    assert lookup_key(kind, item) is None
    with pytest.raises(UnusableItem, match=LIST_PATHS[kind]):
        lookup_row(kind, item)


def test_only_lookup_lists_have_lookup_keys():
    with pytest.raises(ValueError, match="students"):
        lookup_key("students", {"id": 1})
