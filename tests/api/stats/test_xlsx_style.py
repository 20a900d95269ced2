"""XLSX exports: score cells coloured red / amber / green by the organization's scale, the header
row bold and frozen, and every cell still data (`cell_safety`), read back from the downloaded
bytes with openpyxl."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.stats.export import COLUMNS, table_xlsx
from api.stats.xlsx_style import (
    AMBER,
    BAND_COLOURS,
    GREEN,
    RED,
    SCORE_AMBER_BELOW_FRACTION,
    SCORE_RED_BELOW_FRACTION,
    score_band,
)
from tests.api.stats.sim_data import local_time

EVIL_NAME = '=HYPERLINK("http://evil.test","Click")'


def _fill(cell) -> str | None:  # type: ignore[no-untyped-def]
    """The cell's solid fill as RRGGBB, None without one."""
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return str(cell.fill.fgColor.rgb)[-6:]


def _band_of(cell) -> str | None:  # type: ignore[no-untyped-def]
    return next((band for band, (fill, _font) in BAND_COLOURS.items() if fill == _fill(cell)), _fill(cell))


def _sheet(data: bytes) -> Worksheet:
    return load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("scale, value, band", [
    (10, 0, RED), (10, 4.99, RED), (10, 5, AMBER), (10, 7.99, AMBER), (10, 8, GREEN), (10, 10, GREEN),
    (100, 49.99, RED), (100, 50, AMBER), (100, 79.99, AMBER), (100, 80, GREEN), (100, 8, RED),
    (10, None, None), (100, "80", None), (100, True, None),
])
def test_bands_are_fractions_of_the_scale(scale, value, band):
    assert (SCORE_RED_BELOW_FRACTION, SCORE_AMBER_BELOW_FRACTION) == (0.5, 0.8)
    assert score_band(value, scale) == band


def test_a_table_colours_only_its_score_cells_and_freezes_its_header():
    rows = [{"employeeId": n, "name": name, "extCode": "201", "calls": 3, "answered": 2, "missed": 1, "talkTimeS": 9,
             "scoredCalls": 1, "avgScore": avg, "bestScore": best, "worstScore": worst, "violations": 0}
            for n, (name, avg, best, worst) in enumerate([("Ali", 4.0, 9.5, 1.0), (EVIL_NAME, 6.5, 8.0, 5.0),
                                                          ("Nobody", None, None, None)], start=1)]
    sheet = _sheet(table_xlsx(COLUMNS, rows, sheet_title="Employees", title="t", scale=10))
    assert sheet.freeze_panes == "A2" and all(cell.font.bold for cell in sheet[1])
    score_columns = [index for index, (field, *_rest) in enumerate(COLUMNS) if field.endswith("Score")]
    assert [[_band_of(row[index]) for index in score_columns] for row in sheet.iter_rows(min_row=2)] == \
        [[RED, GREEN, RED], [AMBER, GREEN, AMBER], [None, None, None]]
    assert not any(_fill(cell) for row in sheet.iter_rows(min_row=2) for index, cell in enumerate(row)
                   if index not in score_columns)
    assert not any(_fill(cell) for cell in sheet[1])
    name = sheet.cell(row=3, column=2)
    assert (name.value, name.data_type, name.quotePrefix) == (EVIL_NAME, "s", True)
    assert sheet.cell(row=2, column=9).number_format == "0.00"


def test_downloads_colour_scores_by_the_organizations_scale(client, synced, db):
    headers, organization, truth, users, _criteria = synced
    renamed = next(user for code, user in users.items() if code)
    renamed.full_name = EVIL_NAME
    db.commit()
    days = sorted({local_time(call).date() for call in truth})
    window = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"
    rows = client.get(f"/stats/employees?{window}", headers=headers).get_json()["employees"]

    sheet = _sheet(client.get(f"/stats/employees.xlsx?{window}", headers=headers).data)
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    bands = {(row["employeeId"], field): score_band(row[field], 100) for row in rows
             for field in ("avgScore", "bestScore", "worstScore")}
    assert {band for band in bands.values() if band} == {RED, AMBER, GREEN}  # the data spans the scale
    for line in sheet.iter_rows(min_row=2):
        for field, index in (("avgScore", 8), ("bestScore", 9), ("worstScore", 10)):
            assert _band_of(line[index]) == bands[(line[0].value, field)], (line[0].value, field, line[index].value)
    evil = next(line[1] for line in sheet.iter_rows(min_row=2) if line[0].value == renamed.id)
    assert (evil.value, evil.data_type) == (EVIL_NAME, "s")

    # The same averages out of 10: bands move with the scale, not with the raw number.
    organization.scoring_mode = "TEN"
    db.commit()
    ten = _sheet(client.get(f"/stats/employees.xlsx?{window}", headers=headers).data)
    for line in ten.iter_rows(min_row=2):
        assert _band_of(line[8]) == score_band(line[8].value, 10)
        if line[8].value is not None:
            assert line[8].value <= 10

    monthly = _sheet(client.get(f"/stats/monthly.xlsx?year={days[0].year}", headers=headers).data)
    assert monthly.freeze_panes == "A2" and monthly["A1"].value == "Month" and monthly["A1"].font.bold
    scored_months = [line for line in monthly.iter_rows(min_row=2) if line[6].value is not None]
    assert scored_months and all(_band_of(line[6]) == score_band(line[6].value, 10) for line in scored_months)
    assert all(_fill(line[6]) is None for line in monthly.iter_rows(min_row=2) if line[6].value is None)

    hourly = _sheet(client.get(f"/stats/hourly.xlsx?{window}", headers=headers).data)
    assert hourly.freeze_panes == "A2" and [cell.value for cell in hourly[1]][:2] == ["Hour", "Calls"]
    assert hourly.max_row == 25 and not any(_fill(cell) for row in hourly.iter_rows() for cell in row)
