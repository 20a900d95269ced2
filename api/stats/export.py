"""Statistics tables as downloads: CSV (UTF-8 with a BOM, so Excel reads Cyrillic names) and XLSX
(openpyxl: a bold, frozen header row, set column widths, number formats, score cells coloured by
the organization's scale through `api.stats.xlsx_style`).

A table is its columns — (field of a row, column title, width in characters, number format) —
and its rows: the employees table (`COLUMNS`), the months (`MONTHLY_COLUMNS`), the hours of the
day (`HOURLY_COLUMNS`). Every cell goes through `api.stats.cell_safety`: a name is data, never a
formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from api.stats.cell_safety import csv_row, write_xlsx_row
from api.stats.xlsx_style import colour_score_columns, style_header

Columns = Sequence[tuple[str, str, int, str | None]]

# (field of a /stats/employees row, column title, width in characters, number format)
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("employeeId", "Employee ID", 12, "0"),
    ("name", "Name", 32, None),
    ("extCode", "Extension", 11, None),
    ("calls", "Calls", 9, "0"),
    ("answered", "Answered", 10, "0"),
    ("missed", "Missed", 9, "0"),
    ("talkTimeS", "Talk time, s", 13, "0"),
    ("scoredCalls", "Scored calls", 13, "0"),
    ("avgScore", "Average score", 14, "0.00"),
    ("bestScore", "Best score", 11, "0.00"),
    ("worstScore", "Worst score", 12, "0.00"),
    ("violations", "Violations", 11, "0"),
)
MONTHLY_COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("month", "Month", 10, None),
    ("calls", "Calls", 9, "0"),
    ("answered", "Answered", 10, "0"),
    ("missed", "Missed", 9, "0"),
    ("talkTimeS", "Talk time, s", 13, "0"),
    ("scoredCalls", "Scored calls", 13, "0"),
    ("avgScore", "Average score", 14, "0.00"),
    ("violations", "Violations", 11, "0"),
)
HOURLY_COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("hour", "Hour", 7, "0"),
    ("calls", "Calls", 9, "0"),
    ("answered", "Answered", 10, "0"),
    ("missed", "Missed", 9, "0"),
    ("talkTimeS", "Talk time, s", 13, "0"),
)
# Fields that hold a score on the organization's scale: their XLSX cells are coloured.
SCORE_FIELDS = frozenset({"avgScore", "bestScore", "worstScore"})
SHEET_TITLE = "Employees"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def employees_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    return table_csv(COLUMNS, rows)


def employees_xlsx(rows: Sequence[dict[str, Any]], window: dict[str, str], scale: int) -> bytes:
    title = f"Employees {window['from']}..{window['to']} ({window['timeZone']}), scores out of {scale}"
    return table_xlsx(COLUMNS, rows, sheet_title=SHEET_TITLE, title=title, scale=scale)


def table_csv(columns: Columns, rows: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(title for _, title, _, _ in columns))
    for row in rows:
        writer.writerow(csv_row(row[field] for field, _, _, _ in columns))
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(columns: Columns, rows: Sequence[dict[str, Any]], *, sheet_title: str, title: str, scale: int,
               score_fields: Collection[str] = SCORE_FIELDS) -> bytes:
    """One sheet: the header (bold, frozen), the rows, widths and number formats, and the cells of
    `score_fields` coloured by `scale` (the organization's: 10 or 100)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    write_xlsx_row(sheet, 1, (heading for _, heading, _, _ in columns))
    for number, row in enumerate(rows, start=2):
        write_xlsx_row(sheet, number, (row[field] for field, _, _, _ in columns))
    for index, (_, _, width, number_format) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    style_header(sheet)
    colour_score_columns(sheet, [index for index, (field, _, _, _) in enumerate(columns, start=1)
                                 if field in score_fields], scale)
    workbook.properties.title = title
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
