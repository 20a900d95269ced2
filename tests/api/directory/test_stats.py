"""`GET /stats/students` (and its downloads): the active students by faculty x education form x
course, checked against counts the test makes from the rows it inserted."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from openpyxl import load_workbook

from tests.api.directory.conftest import get_json


def _expected(rows: list[dict], status: str | None = None) -> Counter:
    return Counter((row["department_id"], row["education_form_code"], row["level_code"]) for row in rows
                   if row["is_active"] and (status is None or row["status_code"] == status))


def _counted(cells: list[dict]) -> Counter:
    return Counter({(cell["departmentId"], cell["educationFormCode"], cell["levelCode"]): cell["count"]
                    for cell in cells})


@pytest.mark.parametrize("status", [None, "11", "14", "99"])
def test_the_counts_are_those_of_the_active_rows(client, world, status):
    query = f"?status={status}" if status else ""
    body = get_json(client, f"/stats/students{query}", world.a.headers)
    expected = _expected(world.a.rows["students"], status)
    assert _counted(body["cells"]) == expected
    assert body["total"] == sum(expected.values()) and body["status"] == status
    faculties = Counter()
    for (faculty, _form, _level), count in expected.items():
        faculties[faculty] += count
    assert {total["departmentId"]: total["count"] for total in body["faculties"]} == dict(faculties)
    assert sum(total["count"] for total in body["educationForms"]) == body["total"]
    assert sum(total["count"] for total in body["courses"]) == body["total"]
    assert all(total["course"] == int(total["levelCode"][1]) for total in body["courses"])


def test_cells_carry_the_names_and_are_in_faculty_order(client, world):
    cells = get_json(client, "/stats/students", world.a.headers)["cells"]
    names = [cell["departmentName"] for cell in cells]
    assert names == sorted(names) and names[0] == "=Iqtisodiyot+1"
    cell = next(cell for cell in cells if cell["educationFormCode"] == "13" and cell["levelCode"] == "12")
    assert (cell["educationFormName"], cell["levelName"], cell["course"]) == ("Sirtqi", "2-kurs", 2)


def test_each_organization_counts_only_its_own(client, world, auth_headers):
    body = get_json(client, "/stats/students", world.b.headers)
    assert _counted(body["cells"]) == _expected(world.b.rows["students"])
    superadmin = auth_headers("SUPERADMIN")
    body = get_json(client, f"/stats/students?organizationId={world.a.organization_id}", superadmin)
    assert body["organizationId"] == world.a.organization_id
    assert _counted(body["cells"]) == _expected(world.a.rows["students"])
    get_json(client, "/stats/students?organizationId=424242", superadmin, status=404)


def test_the_downloads_have_the_cells(client, world):
    cells = get_json(client, "/stats/students?status=12", world.a.headers)["cells"]
    response = client.get("/stats/students.csv?status=12", headers=world.a.headers)
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(row["Faculty ID"], row["Education form code"], row["Level code"], int(row["Students"])) for row in rows] \
        == [(cell["departmentId"], cell["educationFormCode"], cell["levelCode"], cell["count"]) for cell in cells]
    assert rows[0]["Faculty"] == "'=Iqtisodiyot+1"
    sheet = load_workbook(io.BytesIO(client.get("/stats/students.xlsx?status=12", headers=world.a.headers)
                                     .get_data())).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[7]) for row in values] == [(cell["departmentId"], cell["count"]) for cell in cells]


def test_refusals(client, world, make_user, auth_headers, db):
    from shared.models import Organization

    assert get_json(client, "/stats/students?status=1%201", world.a.headers, status=400)["errors"]["status"]
    employee = auth_headers(user=make_user("EMPLOYEE", organization=db.get(Organization, world.a.organization_id)))
    assert client.get("/stats/students", headers=employee).status_code == 403
