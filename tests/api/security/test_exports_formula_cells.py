"""Exports are data, never code (issue #18, point 4): names that a spreadsheet would evaluate come
out of `/stats/employees.csv` and `/stats/employees.xlsx` as text; figures stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from shared.models import Call, CallLogEntry

# Each starts with a character Excel, LibreOffice or Google Sheets would read as a formula.
FORMULA_NAMES = ('=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-2+3", "\t=1+1", "\r=1+1")
PLAIN_NAME = "Dilnoza Karimova"
TALK_S = 42
SCORE = 7.5


@pytest.fixture
def seeded(make_user, db, auth_headers):  # type: ignore[no-untyped-def]
    """An organization whose employees carry the names above; the first one has a call and a score."""
    admin = make_user("ADMIN")
    employees = []
    for number, name in enumerate((*FORMULA_NAMES, PLAIN_NAME)):
        employee = make_user("EMPLOYEE", organization=admin.organization, ext_code=str(200 + number))
        employee.full_name = name
        employees.append(employee)
    first, when = employees[0], datetime.now(timezone.utc) - timedelta(hours=1)
    db.add(CallLogEntry(organization_id=admin.organization_id, record_id="r-1", direction="incoming",
                        status="answered", started_at=when, ext_code=first.ext_code, employee_id=first.id,
                        talk_duration_s=TALK_S))
    db.add(Call(organization_id=admin.organization_id, employee_id=first.id, external_id="r-1",
                direction="incoming", status="answered", started_at=when, raw={}, ai_status="done",
                overall_score=SCORE, score_max=10))
    db.commit()
    names = {employee.id: employee.full_name for employee in employees}
    return auth_headers(user=admin), names, first.id


def test_the_csv_export_writes_formula_like_names_as_text(client, seeded):
    headers, names, scored_id = seeded
    response = client.get("/stats/employees.csv", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, *rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_id) == set(names)
    for employee_id, name in names.items():
        expected = name if name == PLAIN_NAME else "'" + name
        assert by_id[employee_id]["Name"] == expected
    # Figures are numbers, written as they are (no quote, no prefix).
    scored = by_id[scored_id]
    assert (scored["Calls"], scored["Talk time, s"], scored["Average score"]) == ("1", str(TALK_S), str(SCORE))
    figures = [value for row in by_id.values() for title, value in row.items() if title not in ("Name", "Extension")]
    assert figures and all(value == "" or float(value) >= 0 for value in figures)


def test_the_xlsx_export_has_no_formula_only_text_and_numbers(client, seeded):
    headers, names, scored_id = seeded
    response = client.get("/stats/employees.xlsx", headers=headers)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml  # no formula element anywhere
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]

    titles = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(titles, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(names)
    for employee_id, name in names.items():
        cell = rows[employee_id]["Name"]
        # XML turns a carriage return into a line feed when the file is read: still the same text.
        assert (cell.data_type, cell.value) == ("s", name.replace("\r", "\n"))
        assert cell.quotePrefix == (name != PLAIN_NAME)  # editing the cell in Excel keeps it text
    scored = rows[scored_id]
    for title, value in (("Employee ID", scored_id), ("Calls", 1), ("Talk time, s", TALK_S), ("Average score", SCORE)):
        assert (scored[title].data_type, scored[title].value) == ("n", value)


def test_the_call_list_xlsx_writes_formula_like_text_as_text(client, seeded):
    """`/calls.xlsx` is written by another library (XlsxWriter, for speed): the same rules hold."""
    headers, names, scored_id = seeded
    response = client.get("/calls.xlsx", headers=headers)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(response.data)).active
    titles = [cell.value for cell in sheet[1]]
    (row,) = [dict(zip(titles, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    employee = row["Employee"]
    assert (employee.data_type, employee.value, employee.quotePrefix) == ("s", names[scored_id], True)
    assert (row["Score"].data_type, row["Score"].value) == ("n", SCORE)
    assert row["Score"].fill.start_color.rgb[-6:] == "FFEB9C"  # 7.5 of 10: amber


def test_the_json_table_keeps_the_names_as_they_are(client, seeded):
    headers, names, _ = seeded
    employees = client.get("/stats/employees", headers=headers).get_json()["employees"]
    assert {row["employeeId"]: row["name"] for row in employees} == names
