"""Parsing HEMIS's envelope and items: the quirks of the real API."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from shared.models import Base, Organization, Student
from workers.hemis.client import list_url
from workers.hemis.envelope import HemisProtocolError, parse_list_page
from workers.hemis.mapping import employee_row, student_row
from workers.hemis.upsert import upsert_rows

PAGINATION = {"totalCount": 201, "pageSize": 200, "pageCount": 2, "page": 1}
JSON = "application/json; charset=UTF-8"


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_object_and_one_element_array_envelopes_parse_alike():
    plain = {"success": True, "error": None, "data": {"items": [{"id": 1}], "pagination": PAGINATION}, "code": 200}
    arrays = {"success": True, "error": None, "data": [{"items": [{"id": 1}], "pagination": [PAGINATION]}]}
    for payload in (plain, arrays):
        page = parse_list_page(body(payload), JSON, "t")
        assert page.items == [{"id": 1}] and (page.total_count, page.page_count, page.page) == (201, 2, 1)


@pytest.mark.parametrize("raw, content_type, message", [
    (body({"success": False, "error": "Invalid token", "data": None}), JSON, "success=false"),
    (b"<html><head><title>502 Bad Gateway</title></head></html>", "text/html", "HTML page"),
    (b"<html>502</html>", JSON, "HTML page"),
    (b"\x00garbage", JSON, "not JSON"),
    (body({"success": True, "data": {"items": "x", "pagination": PAGINATION}}), JSON, "items"),
    (body({"success": True, "data": {"items": []}}), JSON, "pagination"),
])
def test_bad_bodies_are_errors_never_data(raw, content_type, message):
    with pytest.raises(HemisProtocolError, match=message):
        parse_list_page(raw, content_type, "t")


def test_list_url_accepts_the_host_or_the_rest_base():
    for base in ("https://student.x.uz", "https://student.x.uz/", "https://student.x.uz/rest",
                 "https://student.x.uz/rest/v1/"):
        assert list_url(base, "student-list") == "https://student.x.uz/rest/v1/data/student-list"


def test_student_mapping_normalizes_codes_ids_and_timestamps():
    item = {"id": 50421, "meta_id": "90001", "student_id_number": "", "studentStatus": {"code": 11, "name": "O‘qimoqda"},
            "specialty": {"id": "207ab7dc", "code": "60610100", "name": "Fizika"}, "birth_date": -86400,
            "created_at": 1698345600, "avg_gpa": 0, "phone": None, "email": "  ", "level": {"code": "11", "name": "1"}}
    row = student_row(item)
    assert row["hemis_id"] == "50421" and row["meta_id"] == "90001" and row["status_code"] == "11"
    assert row["specialty_id"] == "207ab7dc"
    assert row["birth_date"] == date(1969, 12, 31)
    assert row["hemis_created_at"] == datetime(2023, 10, 26, 18, 40, tzinfo=timezone.utc)
    assert row["student_id_number"] is None and row["avg_gpa"] is None and row["phone"] is None and row["email"] is None


def test_employee_mapping_keeps_tutor_groups_and_refuses_rows_without_meta_id():
    row = employee_row({"id": 1826, "meta_id": 7001, "tutorGroups": [{"id": 5, "name": "G"}],
                        "staffPosition": {"code": 34, "name": "Tyutor"}, "update_at": 10})
    assert row["meta_id"] == "7001" and row["tutor_groups"] == [{"id": 5, "name": "G"}]
    assert row["staff_position_code"] == "34" and row["hemis_updated_at"].year == 1970
    with pytest.raises(ValueError, match="meta_id"):
        employee_row({"id": 1826})


def test_sqlite_upsert_never_lets_a_blank_overwrite_and_tolerates_a_repeated_id(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'u.sqlite3'}")
    Base.metadata.create_all(engine)
    now = datetime.now(timezone.utc)
    first = student_row({"id": 1, "student_id_number": "320000000001", "phone": "+998", "email": "a@x.uz",
                         "full_name": "A"})
    later = student_row({"id": 1, "student_id_number": None, "phone": None, "email": "", "full_name": "B"})
    with Session(engine) as session:
        session.add(Organization(id=1, name="University"))
        session.flush()
        upsert_rows(session, "students", [first], organization_id=1, run_id="r1", now=now)
        assert upsert_rows(session, "students", [later, later], organization_id=1, run_id="r2", now=now) == 1
        session.commit()
        stored = session.scalar(select(Student))
        assert (stored.student_id_number, stored.phone, stored.email) == ("320000000001", "+998", "a@x.uz")
        assert stored.full_name == "B" and stored.last_seen_run_id == "r2"
        assert stored.hemis_created_at is None and stored.organization_id == 1
