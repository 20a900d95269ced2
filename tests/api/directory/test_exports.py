"""`/students.csv|.xlsx` and `/employees.csv|.xlsx`: the rows of the same filter as the JSON list,
in its order, every cell data (a name starting with `=` or `@` stays text), the CSV over many
pages of the keyset walk, the XLSX bounded."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from api.directory import export, listing
from api.stats.cell_safety import CSV_TEXT_PREFIX
from tests.api.directory.conftest import walk

CASES = [("students", "departmentId=9&active=all"), ("students", "course=2"), ("employees", "active=all"),
         ("students", "search=nobody")]


def _csv_rows(client, path: str, headers: dict) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv" and response.headers["X-Export-Truncated"] == "false"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _xlsx_rows(client, path: str, headers: dict) -> tuple[list[dict], list]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells), "a formula cell"
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows], cells


@pytest.mark.parametrize(("people", "query"), CASES)
def test_the_csv_has_the_rows_of_the_list_in_its_order(client, world, monkeypatch, people, query):
    monkeypatch.setattr(listing, "EXPORT_PAGE_ROWS", 7)  # many pages of the walk in one download
    listed = walk(client, f"/{people}?{query}&limit=500", world.a.headers, people)
    rows = _csv_rows(client, f"/{people}.csv?{query}", world.a.headers)
    assert [int(row["Id"]) for row in rows] == [item["id"] for item in listed]
    for row, item in zip(rows, listed, strict=True):
        name = item["fullName"] or ""
        assert row["Full name"] == (CSV_TEXT_PREFIX + name if name[:1] in "=@+-" and name else name)
        assert row["Department name"] == (CSV_TEXT_PREFIX if item["departmentName"].startswith("=") else "") + \
            item["departmentName"]
        assert row["Is active"] == ("yes" if item["isActive"] else "no")
        assert row["Synced at (UTC)"] == item["syncedAt"][:19].replace("T", " ")


@pytest.mark.parametrize(("people", "query"), CASES)
def test_the_xlsx_has_the_rows_of_the_list_and_no_formula(client, world, people, query):
    listed = walk(client, f"/{people}?{query}&limit=500", world.a.headers, people)
    rows, cells = _xlsx_rows(client, f"/{people}.xlsx?{query}", world.a.headers)
    assert [row["Id"] for row in rows] == [item["id"] for item in listed]
    for row, item in zip(rows, listed, strict=True):
        assert (row["Full name"], row["Hemis id"], row["Department name"]) == \
            (item["fullName"], item["hemisId"], item["departmentName"])
        assert row["Synced at (UTC)"].isoformat() == item["syncedAt"][:19]
    formula_like = [cell for cell in cells if isinstance(cell.value, str) and cell.value[:1] in "=@"]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula_like)
    assert formula_like or not listed


def test_the_xlsx_stops_at_its_bound_and_says_so(client, world, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 10)
    monkeypatch.setattr(listing, "EXPORT_PAGE_ROWS", 4)
    response = client.get("/students.xlsx?active=all", headers=world.a.headers)
    assert response.headers["X-Export-Truncated"] == "true"
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))[1:]
    listed = walk(client, "/students?active=all&limit=10", world.a.headers, "students")
    assert [row[0] for row in rows] == [item["id"] for item in listed[:10]]
    exact = client.get("/students.xlsx?departmentId=7&course=1", headers=world.a.headers)
    assert exact.headers["X-Export-Truncated"] == "false"


def test_a_download_reads_only_the_callers_organization(client, world):
    rows = _csv_rows(client, f"/students.csv?active=all&organizationId={world.b.organization_id}", world.a.headers)
    assert {int(row["Id"]) for row in rows} == {row["id"] for row in world.a.rows["students"]}


def test_a_bad_filter_is_a_400_before_any_download(client, world):
    for path in ("/students.csv?course=0", "/employees.xlsx?status=%3D1", "/students.xlsx?cursor=x"):
        response = client.get(path, headers=world.a.headers)
        assert response.status_code == 400 and response.get_json()["success"] is False
